import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { describe, expect, it, vi } from "vitest";
import { INNGEST_APP_ID } from "../../inngest.config.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { forwardedEventId } from "../../src/inngest/github-events.ts";
import { installationExamples } from "../support/webhook-examples.ts";
import { useWebhookStack } from "./webhook-stack.ts";

const stack = useWebhookStack();
const { db } = stack;
const FORWARDER = `${INNGEST_APP_ID}-forward-webhook-deliveries`;
const created = installationExamples().find((e) => e.payload.action === "created")!;
const BUDGET_MS = 200;
/** Far above the budget, far below GitHub's 10 s: only a request that ignored the budget fails it. */
const ANSWERED_WITHIN_MS = BUDGET_MS + 4_000;

/** The forwarder leaves deliveries younger than a few seconds to their intake. */
async function age(deliveryId: string) {
  await db.sql`
    update public.webhook_deliveries set received_at = received_at - interval '1 minute'
     where delivery_id = ${deliveryId}`;
}

/**
 * record_webhook_group waits for `release` while held, then commits without the caller's
 * signal: a write that lands after its request gave up (a cancel that came too late).
 */
function heldWrites() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const signals: AbortSignal[] = [];
  let held = true;
  const wrap = (rpc: RpcClient): RpcClient => ({
    ...rpc,
    call: async (name, args, options) => {
      if (name === "record_webhook_group" && held) {
        if (options?.signal) signals.push(options.signal);
        await released;
        return rpc.call(name, args);
      }
      return rpc.call(name, args, options);
    },
  });
  return {
    wrap,
    signals,
    release: () => {
      held = false;
      release();
    },
  };
}

describe("POST /api/webhooks/github: the durable write's budget (GITHUB_WEBHOOK_WRITE_TIMEOUT_MS)", () => {
  it("answers 503 within the budget when the write hangs, forwards nothing, and the late row is forwarded once by the forwarder", async () => {
    const writes = heldWrites();
    const s = stack.arrangeWebhooks({
      wrapRpc: writes.wrap,
      env: { GITHUB_WEBHOOK_WRITE_TIMEOUT_MS: String(BUDGET_MS) },
    });
    const body = JSON.stringify(created.payload);
    const deliveryId = randomUUID();

    const started = performance.now();
    const first = await s.deliver({ event: created.event, body, deliveryId });
    const elapsed = performance.now() - started;
    expect([first.res.status, first.body]).toEqual([503, { error: "write_timeout", deliveryId }]);
    expect(elapsed).toBeLessThan(ANSWERED_WITHIN_MS);
    // The group's only caller gave up: the query was asked to cancel.
    expect(writes.signals.map((signal) => signal.aborted)).toEqual([true]);
    expect(s.forwarded()).toEqual([]);
    const warned = s.logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((r) => r["level"] === 40 && r["deliveryId"] === deliveryId);
    expect(warned).toEqual([
      expect.objectContaining({ reason: "write_timeout", budgetMs: BUDGET_MS, status: 503 }),
    ]);
    const signature = s.logLines.join("").includes(s.webhookSecrets[0]!);
    expect(signature, "a secret in the logs").toBe(false);
    expect(JSON.stringify(warned)).not.toContain(created.payload.installation.account.login);

    // The write lands after the answer: the row stays pending, nothing is sent by the intake.
    writes.release();
    await vi.waitFor(async () => expect(await stack.deliveryRows(deliveryId)).toHaveLength(1), {
      timeout: 10_000,
    });
    await s.application.webhooks.settled();
    expect(await stack.deliveryRows(deliveryId)).toMatchObject([
      { status: "received", attempts: 1, processed: false },
    ]);
    expect(s.forwarded()).toEqual([]);

    await age(deliveryId);
    const [run] = await s.executor.tick(FORWARDER);
    expect(run).toMatchObject({ status: "completed", result: { forwarded: 1, failed: 0 } });
    expect(s.forwarded()).toEqual([expect.objectContaining({ id: forwardedEventId(deliveryId) })]);

    // GitHub's redelivery (the sweep asks for failed deliveries) is a duplicate: no second send.
    const again = await s.deliver({ event: created.event, body, deliveryId });
    expect([again.res.status, again.body]).toEqual([202, { deliveryId, status: "duplicate" }]);
    expect(await s.executor.tick(FORWARDER)).toMatchObject([
      { status: "completed", result: { forwarded: 0, failed: 0 } },
    ]);
    expect(s.forwarded()).toHaveLength(1);
    expect(s.executor.stored.skipped).toEqual([]);
    expect(await stack.deliveryRows(deliveryId)).toMatchObject([
      { status: "forwarded", attempts: 2 },
    ]);
  });

  it("cancels a write blocked in Postgres past the budget, so nothing commits, and the redelivery is accepted and forwarded once", async () => {
    const s = stack.arrangeWebhooks({
      env: { GITHUB_WEBHOOK_WRITE_TIMEOUT_MS: String(BUDGET_MS) },
    });
    const body = JSON.stringify(created.payload);
    const deliveryId = randomUUID();
    // An uncommitted insert of the same key: the intake's insert waits on it (a held lock).
    const blocker = await db.sql.reserve();
    try {
      await blocker`begin`;
      await blocker`
        insert into public.webhook_deliveries (delivery_id, event, payload_sha256, status, updated_by)
        values (${deliveryId}, 'installation', ${"0".repeat(64)}, 'ignored', 'system:github-webhooks')`;
      const waitingWrites = () => db.sql`
        select pid from pg_stat_activity
         where query like '%record_webhook_group%' and wait_event_type = 'Lock'
           and pid <> pg_backend_pid()`;

      const started = performance.now();
      const first = await s.deliver({ event: created.event, body, deliveryId });
      expect(performance.now() - started).toBeLessThan(ANSWERED_WITHIN_MS);
      expect([first.res.status, first.body]).toEqual([503, { error: "write_timeout", deliveryId }]);
      // The cancelled query stops waiting on the lock and gives its connection back.
      await vi.waitFor(async () => expect(await waitingWrites()).toEqual([]), { timeout: 10_000 });
    } finally {
      await blocker`rollback`;
      blocker.release();
    }
    expect(await stack.deliveryRows(deliveryId)).toEqual([]);
    expect(s.forwarded()).toEqual([]);

    const again = await s.deliver({ event: created.event, body, deliveryId });
    expect([again.res.status, again.body]).toEqual([202, { deliveryId, status: "accepted" }]);
    expect(await stack.deliveryRows(deliveryId)).toMatchObject([
      { status: "forwarded", attempts: 1 },
    ]);
    expect(s.forwarded()).toEqual([expect.objectContaining({ id: forwardedEventId(deliveryId) })]);
  });
});
