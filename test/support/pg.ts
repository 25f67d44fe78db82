import { randomBytes } from "node:crypto";
import type { Sql } from "postgres";
import { afterAll, beforeAll, inject } from "vitest";
import { createSql } from "../../src/db/sql-client.ts";

export const TEMPLATE_DB = "cfj_migrated_template";

export interface TestDatabase {
  /** Connection string of this file's own database (superuser). */
  url: string;
  /** Superuser connection for arranging data and asserting on it. */
  sql: Sql<{ bigint: number }>;
}

function urlFor(database: string): string {
  const u = new URL(inject("pgAdminUrl"));
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh, migrated database for the calling test file, dropped after it. */
export function useTestDatabase(): TestDatabase {
  const name = `t_${randomBytes(6).toString("hex")}`;
  const handle = {} as TestDatabase;
  let admin: Sql<{ bigint: number }>;
  beforeAll(async () => {
    admin = createSql(inject("pgAdminUrl"), { max: 1 });
    await admin.unsafe(`create database ${name} template ${TEMPLATE_DB}`);
    handle.url = urlFor(name);
    handle.sql = createSql(handle.url, { max: 4 });
  });
  afterAll(async () => {
    await handle.sql?.end({ timeout: 5 });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  return handle;
}
