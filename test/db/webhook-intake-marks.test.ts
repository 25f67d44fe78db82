import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRpcClient, type RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import type { AppInngest } from "../../src/inngest/client.ts";
import { createLogger } from "../../src/log/logger.ts";
import { createWebhookIntake, type VerifiedDelivery } from "../../src/webhooks/webhook-intake.ts";
import { useTestDatabase } from "../support/pg.ts";
import { installationExamples } from "../support/webhook-examples.ts";

const db = useTestDatabase();
let rpc: RpcClient;
beforeAll(() => {
  rpc = createRpcClient(createSqlTransport(createSql(db.url, { max: 4, role: "service_role" })));
});
afterAll(() => rpc.close());

const deleted = installationExamples().find((e) => e.payload.action === "deleted")!;
const delivery = (): VerifiedDelivery => ({
  deliveryId: randomUUID(),
  event: "installation",
  payload: deleted.payload,
  payloadSha256: "c".repeat(64),
});

/** The real intake on the real database, with a recorded rpc and an Inngest that takes all. */
function arrange(options: { failGroupWithMarks?: number } = {}) {
  const calls: { name: string; forwarded?: string[] }[] = [];
  const sent: string[] = [];
  let failures = options.failGroupWithMarks ?? 0;
  const recording: RpcClient = {
    ...rpc,
    call(name, args) {
      const forwarded = (args as { p_forwarded?: string[] }).p_forwarded;
      calls.push({ name, ...(forwarded ? { forwarded } : {}) });
      if (name === "record_webhook_group" && forwarded?.length && failures-- > 0) {
        return Promise.reject(new Error("group refused"));
      }
      return rpc.call(name, args);
    },
  };
  const inngest = {
    send: (events: { data: { deliveryId: string } }[]) => {
      sent.push(...events.map((e) => e.data.deliveryId));
      return Promise.resolve({ ids: events.map(() => randomUUID()) });
    },
  } as unknown as AppInngest;
  // A linger no test waits out: a mark goes with a group, or when settled() asks.
  const intake = createWebhookIntake({
    rpc: recording,
    inngest,
    logger: createLogger({ level: "silent" }),
    markLingerMs: 60_000,
  });
  const sentEventually = async (id: string) => {
    while (!sent.includes(id)) await new Promise((r) => setTimeout(r, 5));
  };
  return { intake, calls, sentEventually };
}

async function statusOf(deliveryId: string) {
  const [row] = await db.sql<{ status: string; updated_by: string }[]>`
    select status, updated_by from public.webhook_deliveries where delivery_id = ${deliveryId}`;
  return row;
}

describe("webhook intake: forwarded marks ride with the next group", () => {
  it("marks a sent delivery in the next group's transaction, and the last ones when settled", async () => {
    const { intake, calls, sentEventually } = arrange();
    const a = delivery();
    const b = delivery();
    expect(await intake(a)).toEqual({ status: "accepted" });
    await sentEventually(a.deliveryId);
    expect(await statusOf(a.deliveryId)).toMatchObject({ status: "received" });

    expect(await intake(b)).toEqual({ status: "accepted" });
    // One transaction recorded b and marked a.
    expect(calls).toEqual([
      { name: "record_webhook_group", forwarded: [] },
      { name: "record_webhook_group", forwarded: [a.deliveryId] },
    ]);
    expect(await statusOf(a.deliveryId)).toEqual({
      status: "forwarded",
      updated_by: "system:github-webhooks",
    });

    // No group follows b: settled() writes its mark alone, without waiting out the linger.
    await intake.settled();
    expect(calls.at(-1)).toEqual({ name: "mark_webhook_deliveries_forwarded" });
    expect(await statusOf(b.deliveryId)).toMatchObject({ status: "forwarded" });
  });

  it("writes the marks alone when the group carrying them is refused, and records the group without them", async () => {
    const { intake, calls, sentEventually } = arrange({ failGroupWithMarks: 1 });
    const a = delivery();
    const b = delivery();
    await intake(a);
    await sentEventually(a.deliveryId);
    expect(await intake(b)).toEqual({ status: "accepted" });
    await intake.settled();
    expect(calls.slice(0, 2)).toEqual([
      { name: "record_webhook_group", forwarded: [] },
      { name: "record_webhook_group", forwarded: [a.deliveryId] },
    ]);
    // Then, in either order: a's mark alone, and b's group again without riders.
    expect(calls.slice(2, 4)).toEqual(
      expect.arrayContaining([
        { name: "mark_webhook_deliveries_forwarded" },
        { name: "record_webhook_group", forwarded: [] },
      ]),
    );
    expect(await statusOf(a.deliveryId)).toMatchObject({ status: "forwarded" });
    expect(await statusOf(b.deliveryId)).toMatchObject({ status: "forwarded" });
  });
});
