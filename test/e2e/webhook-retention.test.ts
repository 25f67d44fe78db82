import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { INNGEST_APP_ID } from "../../inngest.config.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;
const DAY = 86_400_000;
const FN = `${INNGEST_APP_ID}-prune-webhook-records`;

async function delivery(status: "forwarded" | "received", receivedAt: Date) {
  const id = randomUUID();
  await db.sql`
    insert into public.webhook_deliveries
      (delivery_id, event, status, payload_sha256, forward_event, forward_data, received_at,
       processed_at, updated_by)
    values (${id}, 'installation', ${status}, ${"a".repeat(64)}, 'github/installation.deleted',
            ${db.sql.json({ deliveryId: id, installationId: 1 })}, ${receivedAt},
            ${status === "forwarded" ? receivedAt : null}, 'system:test')`;
  return id;
}

const exists = async (id: string) =>
  (await db.sql`select 1 from public.webhook_deliveries where delivery_id = ${id}`).length === 1;

describe("prune-webhook-records (daily retention)", () => {
  it("deletes forwarded deliveries past 30 days by the scheduler's clock, keeps pending ones, and a second run finds nothing", async () => {
    let now = Date.now();
    const s = stack.arrange({ now: () => new Date(now) });
    const start = new Date(now);
    const forwarded = await delivery("forwarded", start);
    const pending = await delivery("received", start);
    const recent = await delivery("forwarded", new Date(now + 20 * DAY));

    now += 31 * DAY;
    const [run] = await s.executor.tick(FN);
    expect(run).toMatchObject({
      status: "completed",
      result: { deliveries: 1, issueStates: 0, before: new Date(now - 30 * DAY).toISOString() },
    });
    expect([await exists(forwarded), await exists(pending), await exists(recent)]).toEqual([
      false,
      true,
      true,
    ]);
    const [again] = await s.executor.tick(FN);
    expect(again).toMatchObject({ result: { deliveries: 0, issueStates: 0 } });
  });

  it("drains a backlog larger than one batch in one run, batch by batch", async () => {
    const s = stack.arrange();
    await db.sql`
      insert into public.webhook_deliveries
        (delivery_id, event, status, payload_sha256, received_at, processed_at, updated_by)
      select gen_random_uuid()::text, 'push', 'ignored', ${"b".repeat(64)},
             now() - interval '40 days', now() - interval '40 days', 'system:test'
        from generate_series(1, 1100)`;
    const [run] = await s.executor.tick(FN);
    expect(run).toMatchObject({ status: "completed", result: { deliveries: 1100 } });
    const batches = run!.steps.map((step) => step.id).filter((id) => id.startsWith("prune-batch-"));
    expect(batches).toEqual(["prune-batch-1", "prune-batch-2", "prune-batch-3"]);
  });
});
