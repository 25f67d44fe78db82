import { randomBytes } from "node:crypto";
import { readdir, writeFile } from "node:fs/promises";
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
