import { describe, expect, it } from "vitest";
import { createSql } from "../../src/db/sql-client.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();

/** Named statements this connection holds after one RPC-shaped query asking for prepare. */
async function preparedAfterOneQuery(url: string): Promise<number> {
  const sql = createSql(url, { max: 1 });
  try {
    await sql.unsafe("select * from public.healthcheck()", [], { prepare: true });
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_prepared_statements where statement like '%healthcheck%'`;
    return row!.n;
  } finally {
    await sql.end();
  }
}

// The SQL transport asks postgres.js to prepare each RPC (src/db/rpc/sql-transport.ts).
describe("prepared statements", () => {
  it("are used by default, and `?prepare=false` on the URL turns them off (transaction poolers)", async () => {
    expect(await preparedAfterOneQuery(db.url)).toBe(1);
    const url = new URL(db.url);
    url.searchParams.set("prepare", "false");
    expect(await preparedAfterOneQuery(url.toString())).toBe(0);
  });
});
