/**
 * npm run failed-runs [-- --limit N]: the dead letter, newest first. Reads with the
 * service's own database settings (DATABASE_URL, else the embedded server).
 */
import { parseArgs } from "node:util";
import { loadEnvOrExit } from "../src/config/load-env.ts";
import { createSql } from "../src/db/sql-client.ts";
import { scriptDatabase } from "./db-url.ts";

const { values } = parseArgs({ options: { limit: { type: "string", default: "50" } } });
const limit = Math.min(Math.max(Number.parseInt(values.limit, 10) || 50, 1), 1000);

const db = await scriptDatabase(loadEnvOrExit());
const sql = createSql(db.url, { max: 1 });
try {
  const [{ migrated } = { migrated: false }] = await sql<{ migrated: boolean }[]>`
    select to_regclass('public.failed_runs') is not null as migrated`;
  if (!migrated) {
    console.error(
      "[failed-runs] this database is not migrated yet: run `npm run db:migrate` first",
    );
    process.exitCode = 1;
  } else {
    const rows = await sql`
      select failed_at, function_id, run_id, event_name, event_id, error_name, error_message
        from public.failed_runs order by failed_at desc limit ${limit}`;
    if (rows.length === 0) console.log("no failed runs recorded");
    else console.table(rows.map((r) => ({ ...r, failed_at: (r.failed_at as Date).toISOString() })));
  }
} finally {
  await sql.end();
  await db.embedded?.stop();
}
