import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { INNGEST_APP_ID } from "../../inngest.config.ts";
import { DatabaseUnavailableError } from "../../src/db/rpc/errors.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { forwardedEventId } from "../../src/inngest/github-events.ts";
import { expectedForward, installationExamples } from "../support/webhook-examples.ts";
import { INNGEST_URL } from "./audit-stack.ts";
import { useWebhookStack } from "./webhook-stack.ts";

const stack = useWebhookStack();
const { db, server } = stack;
const FORWARDER = `${INNGEST_APP_ID}-forward-webhook-deliveries`;
const examples = installationExamples();
const created = examples.find((e) => e.payload.action === "created")!;

/** The forwarder leaves deliveries younger than a few seconds to their intake. */
async function age(deliveryIds: string[]) {
  await db.sql`
    update public.webhook_deliveries set received_at = received_at - interval '1 minute'
     where delivery_id in ${db.sql(deliveryIds)}`;
}

describe("deliveries Inngest did not take are forwarded by the scheduled forwarder", () => {
  it("answers 202 while Inngest is down, keeps the delivery pending, then forwards it exactly once", async () => {
    const s = stack.arrangeWebhooks();
    // The Event API is unreachable: every send fails at the network.
    let inngestDown = true;
    server.use(
      http.post(`${INNGEST_URL}/e/:key`, () => (inngestDown ? HttpResponse.error() : undefined)),
    );
    const { res, deliveryId, body } = await s.deliver({
      event: created.event,
      body: JSON.stringify(created.payload),
    });
    expect([res.status, body]).toEqual([202, { deliveryId, status: "accepted" }]);
    expect(await stack.deliveryRows(deliveryId)).toMatchObject([
      { status: "received", attempts: 1, processed: false, updated_by: "system:github-webhooks" },
    ]);
    expect(s.forwarded()).toEqual([]);
    const warned = s.logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((r) => r["level"] === 40 && r["deliveryId"] === deliveryId);
    expect(warned).toEqual([
      expect.objectContaining({ msg: expect.stringContaining("stays pending") }),
    ]);

    // Inngest is back.
    inngestDown = false;
    const young = await s.executor.tick(FORWARDER);
    expect(young).toMatchObject([{ status: "completed", result: { forwarded: 0, failed: 0 } }]);
    expect(s.forwarded()).toEqual([]);

    await age([deliveryId]);
    const [run] = await s.executor.tick(FORWARDER);
    expect(run).toMatchObject({ status: "completed", result: { forwarded: 1, failed: 0 } });
    const expected = expectedForward(created, deliveryId);
    expect(s.forwarded()).toEqual([
      { name: expected.name, id: forwardedEventId(deliveryId), data: expected.data },
    ]);
    expect(await stack.deliveryRows(deliveryId)).toMatchObject([
      {
        status: "forwarded",
        attempts: 2,
        processed: true,
        updated_by: "system:forward-webhook-deliveries",
      },
    ]);

    // The next tick and a dashboard rerun of the forwarding run find nothing left.
    expect(await s.executor.tick(FORWARDER)).toMatchObject([
      { status: "completed", result: { forwarded: 0, failed: 0 } },
    ]);
    expect(await s.executor.rerun(run!)).toMatchObject([
      { status: "completed", result: { forwarded: 0, failed: 0 } },
    ]);
    expect(s.forwarded()).toHaveLength(1);

    // Nothing the forwarder's runs stored, logged or wrote holds a secret.
    const secrets = s.secrets();
    expect(secrets).toEqual(expect.arrayContaining(s.webhookSecrets));
    const stored = s.executor.storedText();
    const logs = s.logLines.join("");
    const rows = await stack.databaseText();
    for (const secret of secrets) {
      expect(stored.includes(secret), "inngest storage").toBe(false);
      expect(logs.includes(secret), "logs").toBe(false);
      expect(rows.includes(secret), "database").toBe(false);
    }
  });

  it("resends an event that went out but was not marked under the same id, which starts nothing twice", async () => {
    let failMarks = 1;
    const flakyMarks = (rpc: RpcClient): RpcClient => ({
      ...rpc,
      call: (name, args) => {
        if (name === "mark_webhook_deliveries_forwarded" && failMarks-- > 0) {
          return Promise.reject(new DatabaseUnavailableError(name, "08006", "connection failure"));
        }
        return rpc.call(name, args);
      },
    });
    const t = stack.arrangeWebhooks({ wrapRpc: flakyMarks });
    const example = examples.find((e) => e.payload.action === "unsuspend")!;
    const { body } = await t.deliver({
      event: example.event,
      body: JSON.stringify(example.payload),
      deliveryId: "sent-not-marked",
    });
    expect(body).toEqual({ deliveryId: "sent-not-marked", status: "accepted" });
    expect(await stack.deliveryRows("sent-not-marked")).toMatchObject([{ status: "received" }]);

    await age(["sent-not-marked"]);
    await t.executor.tick(FORWARDER);
    const id = forwardedEventId("sent-not-marked");
    expect(t.executor.stored.events.filter((e) => e.event.id === id)).toHaveLength(2);
    expect(t.executor.stored.skipped).toEqual([
      expect.objectContaining({ reason: "duplicate-event-id", eventId: id }),
    ]);
    expect(await stack.deliveryRows("sent-not-marked")).toMatchObject([{ status: "forwarded" }]);
  });

  it("marks a pending delivery whose recorded data no longer fits its event failed, and forwards the rest", async () => {
    const s = stack.arrangeWebhooks();
    await db.sql`
      insert into public.webhook_deliveries (delivery_id, event, action, installation_id, payload_sha256,
             forward_event, forward_data, status, received_at, updated_by)
      values ('stale-shape', 'installation', 'deleted', 77, ${"0".repeat(64)},
              'github/installation.deleted', ${db.sql.json({ deliveryId: "stale-shape", installationId: 77, extra: 1 })},
              'received', now() - interval '1 minute', 'system:github-webhooks'),
             ('good-shape', 'installation', 'deleted', 78, ${"1".repeat(64)},
              'github/installation.deleted', ${db.sql.json({ deliveryId: "good-shape", installationId: 78 })},
              'received', now() - interval '1 minute', 'system:github-webhooks')`;
    const [run] = await s.executor.tick(FORWARDER);
    expect(run).toMatchObject({ status: "completed", result: { forwarded: 1, failed: 1 } });
    expect(s.forwarded()).toEqual([
      {
        name: "github/installation.deleted",
        id: forwardedEventId("good-shape"),
        data: { deliveryId: "good-shape", installationId: 78 },
      },
    ]);
    expect(await stack.deliveryRows("stale-shape")).toMatchObject([
      { status: "failed", last_error: "event_schema_mismatch", processed: true },
    ]);
  });

  it("retries a forwarding run whose send failed with the memoized claim and the same event ids", async () => {
    const s = stack.arrangeWebhooks();
    const example = examples.find((e) => e.payload.action === "suspend")!;
    let failSends = Number.POSITIVE_INFINITY;
    server.use(
      http.post(`${INNGEST_URL}/e/:key`, () =>
        failSends-- > 0 ? HttpResponse.error() : undefined,
      ),
    );
    const { deliveryId, body } = await s.deliver({
      event: example.event,
      body: JSON.stringify(example.payload),
    });
    expect(body["status"]).toBe("accepted");
    await age([deliveryId]);
    // The SDK tries a send 5 times; the step fails once, then its retry gets through.
    failSends = 5;
    const [run] = await s.executor.tick(FORWARDER);
    expect(run).toMatchObject({ status: "completed", result: { forwarded: 1, failed: 0 } });
    // One failed attempt of the send step, retried with the claim it memoized: one claim.
    expect(run!.attempts.filter((a) => a.ops?.includes("StepError"))).toHaveLength(1);
    expect(run!.steps.map((step) => step.id)).toEqual([
      "claim-deliveries-1",
      "forward-deliveries-1",
      "mark-forwarded-1",
    ]);
    expect(s.forwarded()).toEqual([expect.objectContaining({ id: forwardedEventId(deliveryId) })]);
    expect(await stack.deliveryRows(deliveryId)).toMatchObject([
      { status: "forwarded", attempts: 2 },
    ]);
  });
});
