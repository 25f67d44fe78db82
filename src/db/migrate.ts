import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import type { ReservedSql, Sql } from "postgres";

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "../../supabase/migrations");
export const BOOTSTRAP_FILE = path.resolve(
  import.meta.dirname,
  "../../supabase/bootstrap/local-bootstrap.sql",
);

// Supabase CLI naming: <14-digit version>_<name>.sql
const MIGRATION_NAME = /^(\d{14})_([a-z0-9][a-z0-9_-]*)\.sql$/;
// Any constant works; it only has to be the same for every runner of this project.
const MIGRATION_LOCK_KEY = 7_305_112_004;

export interface MigrationResult {
  bootstrapped: boolean;
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/**
 * Applies supabase/migrations in order and records each in
 * supabase_migrations.schema_migrations, the table the Supabase CLI uses, so a
 * database migrated by either tool is understood by the other. Safe to run twice
 * and concurrently (an advisory lock makes runners take turns).
 */
export async function migrate(
  sql: Sql,
  options: { dir?: string; bootstrapFile?: string } = {},
): Promise<MigrationResult> {
  const dir = options.dir ?? MIGRATIONS_DIR;
  const files = await listMigrations(dir);
  const reserved = await sql.reserve();
  try {
    await reserved`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    const bootstrapped = await bootstrapIfPlainPostgres(
      reserved,
      options.bootstrapFile ?? BOOTSTRAP_FILE,
    );
    await reserved.unsafe(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (
        version text primary key, statements text[], name text
      );`);
    const rows = await reserved<
      { version: string }[]
    >`select version from supabase_migrations.schema_migrations`;
    const done = new Set(rows.map((r) => r.version));
    const result: MigrationResult = { bootstrapped, applied: [], alreadyApplied: [] };
    for (const file of files) {
      if (done.has(file.version)) {
        result.alreadyApplied.push(file.fileName);
        continue;
      }
      const body = await readFile(path.join(dir, file.fileName), "utf8");
      try {
        await inTransaction(
          reserved,
          body,
          () => reserved`
          insert into supabase_migrations.schema_migrations (version, name, statements)
          values (${file.version}, ${file.name}, ${[body]})`,
        );
      } catch (err) {
        const pgErr = err as { message?: string; code?: string };
        throw new MigrationError(
          `[migrate] ${file.fileName} failed (SQLSTATE ${pgErr.code ?? "?"}): ${pgErr.message ?? String(err)}; nothing from it was applied`,
          { cause: err },
        );
      }
      result.applied.push(file.fileName);
    }
    return result;
  } finally {
    await reserved`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => undefined);
    reserved.release();
  }
}

async function listMigrations(dir: string) {
  const names = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  return names.map((fileName) => {
    const match = MIGRATION_NAME.exec(fileName);
    if (!match) {
      throw new MigrationError(
        `[migrate] ${fileName} does not follow the Supabase naming <YYYYMMDDHHMMSS>_<kebab-name>.sql`,
      );
    }
    return { fileName, version: match[1]!, name: match[2]! };
  });
}

/**
 * Plain Postgres lacks what every Supabase project has (API roles, auth schema).
 * On Supabase those already exist and belong to the platform: never touch them.
 */
async function bootstrapIfPlainPostgres(sql: ReservedSql, file: string): Promise<boolean> {
  const [state] = await sql<{ ready: boolean }[]>`
    select (select count(*) from pg_roles where rolname in ('anon', 'authenticated', 'service_role')) = 3
       and to_regclass('auth.users') is not null
       and to_regclass('auth.identities') is not null
       and to_regprocedure('auth.uid()') is not null as ready`;
  if (state?.ready) return false;
  await inTransaction(sql, await readFile(file, "utf8"));
  return true;
}

/** Runs a multi-statement script atomically on a reserved connection. */
async function inTransaction(sql: ReservedSql, script: string, after?: () => Promise<unknown>) {
  await sql.unsafe("begin");
  try {
    await sql.unsafe(script);
    await after?.();
    await sql.unsafe("commit");
  } catch (err) {
    await sql.unsafe("rollback").catch(() => undefined);
    throw err;
  }
}
