import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentsError } from "../../src/db/rpc/errors.ts";
import { createRpcClient, type RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
let rpc: RpcClient;
beforeAll(() => {
  rpc = createRpcClient(createSqlTransport(createSql(db.url, { max: 2, role: "service_role" })));
});
afterAll(() => rpc.close());

describe("recommendation_refresh_users", () => {
  it("pages, by user id, through the users who reach an active installation, and no one else", async () => {
    const reaching: string[] = [];
    for (let i = 0; i < 5; i++) {
      const user = await createUser(db.sql);
      await createInstallation(db.sql, { accountId: 990_000 + i, installedBy: user.githubId });
      reaching.push(user.id);
    }
    const suspended = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: suspended.githubId, status: "suspended" });
    await createUser(db.sql); // no installation at all

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { user_id: string }[] = await rpc.call("recommendation_refresh_users", {
        p_after: after,
        p_limit: 2,
      });
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((r) => r.user_id));
      after = page.at(-1)!.user_id;
    }
    expect(seen).toEqual([...reaching].sort());
  });

  it("refuses an unbounded page", async () => {
    await expect(
      db.sql`select * from public.recommendation_refresh_users(null, 100000)`,
    ).rejects.toMatchObject({ code: "22023" });
    await expect(
      rpc.call("recommendation_refresh_users", { p_after: null, p_limit: 0 }),
    ).rejects.toBeInstanceOf(InvalidArgumentsError);
  });
});
