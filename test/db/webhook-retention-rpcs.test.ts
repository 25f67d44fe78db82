import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentsError } from "../../src/db/rpc/errors.ts";
import { createRpcClient, type RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
let rpc: RpcClient;
beforeAll(() => {
  rpc = createRpcClient(createSqlTransport(createSql(db.url, { max: 2, role: "service_role" })));
});
afterAll(() => rpc.close());

const ACTOR = "system:webhook-retention";
const DAY = 86_400_000;

async function delivery(status: string, ageDays: number) {
  const id = randomUUID();
  const forward = status !== "ignored";
  await db.sql`
    insert into public.webhook_deliveries
      (delivery_id, event, status, payload_sha256, forward_event, forward_data, received_at,
       processed_at, updated_by)
    values (${id}, 'installation', ${status}, ${"a".repeat(64)},
            ${forward ? "github/installation.deleted" : null},
            ${forward ? db.sql.json({ deliveryId: id, installationId: 1 }) : null},
            now() - make_interval(days => ${ageDays}),
            ${status === "received" ? null : db.sql`now() - make_interval(days => ${ageDays})`},
            'system:test')`;
  return id;
}

async function issueState(ageDays: number) {
  const issueId = Math.floor(Math.random() * 1e12) + 1;
  await db.sql`
    insert into public.issue_webhook_states
      (github_issue_id, installation_id, repository_id, issue_number, eligible, issue_updated_at,
       source, updated_at, updated_by)
    values (${issueId}, 1, 1, 1, false, now() - make_interval(days => ${ageDays}), 'closed',
            now() - make_interval(days => ${ageDays}), 'system:test')`;
  return issueId;
}

const prune = (before: Date, limit = 500) =>
  rpc.call("prune_webhook_records", { p_before: before, p_limit: limit, p_actor: ACTOR });

describe("prune_webhook_records", () => {
  it("drops forwarded and ignored deliveries and issue verdicts older than the cut-off, never a pending or failed delivery", async () => {
    const old = {
      forwarded: await delivery("forwarded", 40),
      ignored: await delivery("ignored", 40),
      pending: await delivery("received", 40),
      failed: await delivery("failed", 40),
      issue: await issueState(40),
    };
    const young = { forwarded: await delivery("forwarded", 5), issue: await issueState(5) };

    expect(await prune(new Date(Date.now() - 30 * DAY))).toEqual([
      { deliveries: 2, issue_states: 1 },
    ]);
    const kept = await db.sql<{ delivery_id: string }[]>`
      select delivery_id from public.webhook_deliveries
       where delivery_id in ${db.sql(Object.values(old).filter((v) => typeof v === "string"))}
          or delivery_id = ${young.forwarded}`;
    expect(kept.map((r) => r.delivery_id).sort()).toEqual(
      [old.pending, old.failed, young.forwarded].sort(),
    );
    const states = await db.sql<{ github_issue_id: number }[]>`
      select github_issue_id from public.issue_webhook_states
       where github_issue_id in (${old.issue}, ${young.issue})`;
    expect(states).toEqual([{ github_issue_id: young.issue }]);
    // A second run finds nothing more.
    expect(await prune(new Date(Date.now() - 30 * DAY))).toEqual([
      { deliveries: 0, issue_states: 0 },
    ]);
  });

  it("takes at most p_limit rows of each per call", async () => {
    for (let i = 0; i < 3; i++) await delivery("forwarded", 60);
    expect((await prune(new Date(Date.now() - 30 * DAY), 2))[0]!.deliveries).toBe(2);
    expect((await prune(new Date(Date.now() - 30 * DAY), 2))[0]!.deliveries).toBe(1);
  });

  it("refuses a user actor, a missing cut-off and an unbounded limit, and deletes nothing then", async () => {
    const id = await delivery("forwarded", 90);
    const before = new Date(Date.now() - 30 * DAY);
    const refused = [
      db.sql`select * from public.prune_webhook_records(${before}, 10, ${`user:${randomUUID()}`})`,
      db.sql`select * from public.prune_webhook_records(null, 10, ${ACTOR})`,
      db.sql`select * from public.prune_webhook_records(${before}, 100000, ${ACTOR})`,
    ];
    for (const call of refused) await expect(call).rejects.toMatchObject({ code: "22023" });
    await expect(
      rpc.call("prune_webhook_records", { p_before: before, p_limit: 0, p_actor: ACTOR }),
    ).rejects.toBeInstanceOf(InvalidArgumentsError);
    expect(
      await db.sql`select 1 from public.webhook_deliveries where delivery_id = ${id}`,
    ).toHaveLength(1);
  });
});
