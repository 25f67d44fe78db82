import { randomBytes } from "node:crypto";
import { copyFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { MIGRATIONS_DIR, MigrationError, migrate } from "../../src/db/migrate.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { useTempDirs } from "../support/temp-dir.ts";

const admin = createSql(inject("pgAdminUrl"), { max: 1 });
const created: string[] = [];
const tempDir = useTempDirs("mig");

async function emptyDatabase() {
  const name = `m_${randomBytes(5).toString("hex")}`;
  await admin.unsafe(`create database ${name}`);
  created.push(name);
  const u = new URL(inject("pgAdminUrl"));
  u.pathname = `/${name}`;
  return createSql(u.toString(), { max: 2 });
}

afterAll(async () => {
  for (const name of created) await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describe("migration runner", () => {
  it("bootstraps plain Postgres, applies every migration once, and is a no-op the second time", async () => {
    const sql = await emptyDatabase();
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith(".sql")).sort();
    const first = await migrate(sql);
    expect(first).toEqual({ bootstrapped: true, applied: files, alreadyApplied: [] });
    const second = await migrate(sql);
    expect(second).toEqual({ bootstrapped: false, applied: [], alreadyApplied: files });
    const recorded = await sql<
      { version: string }[]
    >`select version from supabase_migrations.schema_migrations order by version`;
    expect(recorded.map((r) => r.version)).toEqual(files.map((f) => f.slice(0, 14)));
    await sql.end();
  });

  it("lets two runners race safely: one applies, the other finds everything applied", async () => {
    const sql = await emptyDatabase();
    const [a, b] = await Promise.all([migrate(sql), migrate(sql)]);
    expect([a.applied.length, b.applied.length].sort()).toEqual([
      0,
      (await readdir(MIGRATIONS_DIR)).length,
    ]);
    await sql.end();
  });

  it("rolls back a failing migration completely and names it", async () => {
    const sql = await emptyDatabase();
    const dir = await tempDir();
    await writeFile(
      path.join(dir, "20990101000000_good.sql"),
      "create table public.kept (id int);",
    );
    await writeFile(
      path.join(dir, "20990101000001_bad.sql"),
      "create table public.half (id int);\nselect 1/0;",
    );
    await expect(migrate(sql, { dir })).rejects.toThrow(
      /20990101000001_bad\.sql failed \(SQLSTATE 22012\)/,
    );
    const [state] =
      await sql`select to_regclass('public.kept') is not null as kept, to_regclass('public.half') is not null as half`;
    expect(state).toEqual({ kept: true, half: false });
    await sql.end();
  });

  it("refuses a file that does not follow the Supabase naming", async () => {
    const sql = await emptyDatabase();
    const dir = await tempDir();
    await writeFile(path.join(dir, "0012_claim.sql"), "select 1;");
    await expect(migrate(sql, { dir })).rejects.toBeInstanceOf(MigrationError);
    await sql.end();
  });
});

describe("local bootstrap", () => {
  // Supabase's platform defaults for `postgres` in public; the runner plays `postgres` here.
  it("grants the API roles everything on new tables, sequences and functions in public, as Supabase does", async () => {
    const sql = await emptyDatabase();
    expect(await migrate(sql, { dir: await tempDir() })).toMatchObject({ bootstrapped: true });
    const rows = await sql<{ type: string; grantee: string; privileges: string[] }[]>`
      select d.defaclobjtype as type, a.grantee::regrole::text as grantee,
             array_agg(a.privilege_type order by a.privilege_type) as privileges
      from pg_default_acl d cross join aclexplode(d.defaclacl) a
      where d.defaclrole = current_user::regrole and d.defaclnamespace = 'public'::regnamespace
      group by 1, 2 order by 1, 2`;
    const all = {
      f: ["EXECUTE"],
      S: ["SELECT", "UPDATE", "USAGE"],
      r: ["DELETE", "INSERT", "MAINTAIN", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"],
    };
    expect(rows).toEqual(
      (["S", "f", "r"] as const).flatMap((type) =>
        ["anon", "authenticated", "service_role"].map((grantee) => ({
          type,
          grantee,
          privileges: all[type],
        })),
      ),
    );
    await sql.end();
  });

  // Without this, the grants tests could pass on plain Postgres and miss a Supabase hazard.
  it("reproduces Supabase's hazards on the schema as it was before the grants migration", async () => {
    const sql = await emptyDatabase();
    const dir = await tempDir();
    for (const f of await readdir(MIGRATIONS_DIR)) {
      // Everything before 20261124000000_grants-hold-on-supabase.sql.
      if (f < "20261124000000") await copyFile(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
    }
    await migrate(sql, { dir });
    await sql`create function public.t_probe() returns int language sql as 'select 1'`;
    const [state] = await sql`
        select has_function_privilege('anon', 'public.t_probe()', 'execute') as anon_executes_new_function,
               has_sequence_privilege('anon', 'public.recommendations_id_seq', 'update') as anon_setvals,
               has_table_privilege('authenticated', 'public.profiles', 'select') as authenticated_selects`;
    expect(state).toEqual({
      anon_executes_new_function: true,
      anon_setvals: true,
      authenticated_selects: true,
    });
    await sql.end();
  });
});
