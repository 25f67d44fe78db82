import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadEnvOrExit } from "../src/config/load-env.ts";
import { migrate } from "../src/db/migrate.ts";
import { createSql } from "../src/db/sql-client.ts";
import { scriptDatabase } from "./db-url.ts";
import { runScript } from "./run-script.ts";

await runScript(async () => {
  const db = await scriptDatabase(loadEnvOrExit());
  const sql = createSql(db.url, { max: 1 });
  try {
    await migrate(sql);
    const seed = await readFile(path.resolve(import.meta.dirname, "../supabase/seed.sql"), "utf8");
    await sql.begin((tx) => tx.unsafe(seed));
    const rows = await sql<{ github_login: string; open: number }[]>`
      select p.github_login, count(*) filter (where r.status = 'open')::int as open
      from public.profiles p join public.recommendations r on r.user_id = p.id
      group by p.github_login order by 1`;
    for (const r of rows) console.log(`${r.github_login}: ${r.open} open recommendations`);
  } finally {
    await sql.end();
    await db.embedded?.stop();
  }
});
