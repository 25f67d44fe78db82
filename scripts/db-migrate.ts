import { loadEnvOrExit } from "../src/config/load-env.ts";
import { migrate } from "../src/db/migrate.ts";
import { createSql } from "../src/db/sql-client.ts";
import { scriptDatabase } from "./db-url.ts";
import { runScript } from "./run-script.ts";

await runScript(async () => {
  const db = await scriptDatabase(loadEnvOrExit());
  const sql = createSql(db.url, { max: 1 });
  try {
    const result = await migrate(sql);
    if (result.bootstrapped)
      console.log("bootstrapped Supabase roles and auth schema (plain Postgres)");
    for (const f of result.applied) console.log(`applied  ${f}`);
    console.log(
      `${result.applied.length} applied, ${result.alreadyApplied.length} already applied`,
    );
  } finally {
    await sql.end();
    await db.embedded?.stop();
  }
});
