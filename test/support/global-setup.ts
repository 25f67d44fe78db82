import { randomBytes } from "node:crypto";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres.ts";
import { freePort } from "../../src/db/free-port.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { TEMPLATE_DB } from "./pg.ts";
import { leftoverTempDirs, makeTempDir, removeTempDir } from "./temp-dir.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

/**
 * One real Postgres for the whole run; a template database migrated once, from
 * which every test file clones its own database in ~0.1 s.
 */
export default async function setup(project: TestProject) {
  process.env.CFJ_TEST_RUN ??= randomBytes(4).toString("hex");
  // Inside a private (0700) folder, like a clone under /root: as root the cluster is staged.
  const dir = await makeTempDir("test-pg");
  const pg = await startEmbeddedPostgres({
    dir: path.join(dir, "data"),
    port: await freePort(),
    durable: false,
  });
  const admin = createSql(pg.url, { max: 1 });
  await admin.unsafe(`create database ${TEMPLATE_DB}`);
  const templateUrl = withDatabase(pg.url, TEMPLATE_DB);
  const templateSql = createSql(templateUrl, { max: 1 });
  await migrate(templateSql);
  await templateSql.end();
  await admin.end();
  project.provide("pgAdminUrl", pg.url);
  return async () => {
    await pg.stop();
    await removeTempDir(dir);
    const left = await leftoverTempDirs();
    if (left.length > 0) {
      // vitest only logs a teardown error; the exit code is how CI notices.
      console.error(`[test] tests left temporary folders behind: ${left.join(", ")}`);
      process.exitCode = 1;
    }
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
