import { createHash, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { forwardedEventId } from "../../src/inngest/github-events.ts";
import {
  expectedForward,
  installationExamples,
  payloadContent,
} from "../support/webhook-examples.ts";
import { useWebhookStack } from "./webhook-stack.ts";

const stack = useWebhookStack();
const examples = installationExamples();
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("POST /api/webhooks/github: accepted deliveries", () => {
  it.each(examples.map((e) => [e.label, e] as const))(
    "accepts %s: one delivery row and exactly its identifier-only event, no GitHub call",
    async (_label, example) => {
      const s = stack.arrangeWebhooks();
      const body = JSON.stringify(example.payload);
      const { res, deliveryId, body: answer } = await s.deliver({ event: example.event, body });

      expect(res.status).toBe(202);
      expect(answer).toEqual({ deliveryId, status: "accepted" });
      const expected = expectedForward(example, deliveryId);
      expect(await stack.deliveryRows(deliveryId)).toEqual([
        {
          delivery_id: deliveryId,
          event: example.event,
          action: example.payload.action,
          installation_id: example.payload.installation.id,
          payload_sha256: sha256(body),
          status: "forwarded",
          attempts: 1,
          forward_event: expected.name,
          forward_data: expected.data,
          last_error: null,
          updated_by: "system:github-webhooks",
          processed: true,
        },
      ]);
      expect(s.forwarded()).toEqual([
        { name: expected.name, id: forwardedEventId(deliveryId), data: expected.data },
      ]);
      expect(Object.values(s.fake.state.requests).every((n) => n === 0)).toBe(true);
    },
  );

  it("accepts a delivery signed with the second secret in the list (rotation)", async () => {
    const s = stack.arrangeWebhooks();
    const example = examples.find((e) => e.payload.action === "deleted")!;
    const { res, deliveryId } = await s.deliver({
      event: example.event,
      body: JSON.stringify(example.payload),
      secret: s.webhookSecrets[1]!,
    });
    expect(res.status).toBe(202);
    expect(await stack.deliveryRows(deliveryId)).toMatchObject([{ status: "forwarded" }]);
    expect(s.forwarded()).toHaveLength(1);
  });

  it("records a redelivered delivery id once and forwards it once", async () => {
    const s = stack.arrangeWebhooks();
    const example = examples.find((e) => e.payload.action === "created")!;
    const body = JSON.stringify(example.payload);
    const deliveryId = randomUUID();
    const first = await s.deliver({ event: example.event, body, deliveryId });
    // A redelivery carries the same id; here even signed with the other secret.
    const again = await s.deliver({
      event: example.event,
      body,
      deliveryId,
      secret: s.webhookSecrets[1]!,
    });

    expect([first.res.status, again.res.status]).toEqual([202, 202]);
    expect([first.body["status"], again.body["status"]]).toEqual(["accepted", "duplicate"]);
    expect(await stack.deliveryRows(deliveryId)).toMatchObject([
      { delivery_id: deliveryId, status: "forwarded", attempts: 1 },
    ]);
    expect(s.forwarded()).toEqual([expect.objectContaining({ id: forwardedEventId(deliveryId) })]);
    expect(s.executor.stored.skipped).toEqual([]);
  });

  it("answers 202 to an event type it does not handle and records it as ignored, forwarding nothing", async () => {
    const s = stack.arrangeWebhooks();
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    const push = JSON.stringify({ ref: "refs/heads/main", installation: { id: 4242 } });
    const ping = await s.deliver({ event: "ping", body });
    const pushed = await s.deliver({ event: "push", body: push });
    const renamed = await s.deliver({
      event: "installation",
      body: JSON.stringify({ action: "renamed", installation: { id: 7 } }),
    });

    expect([ping, pushed, renamed].map((d) => [d.res.status, d.body["status"]])).toEqual([
      [202, "ignored"],
      [202, "ignored"],
      [202, "ignored"],
    ]);
    expect(await stack.deliveryRows(pushed.deliveryId)).toEqual([
      expect.objectContaining({
        event: "push",
        action: null,
        installation_id: 4242,
        payload_sha256: sha256(push),
        status: "ignored",
        forward_event: null,
        forward_data: null,
        updated_by: "system:github-webhooks",
        processed: true,
      }),
    ]);
    expect(await stack.deliveryRows(renamed.deliveryId)).toMatchObject([
      { event: "installation", action: "renamed", status: "ignored" },
    ]);
    expect(s.forwarded()).toEqual([]);
    expect(s.executor.stored.events).toEqual([]);
  });

  it("keeps payload content and every secret out of the database, Inngest and the logs", async () => {
    const s = stack.arrangeWebhooks();
    const created = examples.find((e) => e.payload.action === "created")!;
    // Someone else installs the App on this account: their login must not travel.
    const otherSender = {
      ...created.payload.sender,
      login: `installer-${randomUUID().slice(0, 8)}`,
    };
    const deliveries = [
      ...examples,
      { ...created, payload: { ...created.payload, sender: otherSender } },
    ];
    for (const example of deliveries) {
      const { res } = await s.deliver({
        event: example.event,
        body: JSON.stringify(example.payload),
      });
      expect(res.status).toBe(202);
    }
    expect(s.forwarded()).toHaveLength(deliveries.length);

    // installation.created forwards the account's login (public); any other login must not travel.
    const accountLogins = new Set(
      deliveries
        .filter((d) => d.payload.action === "created")
        .map((d) => `"${d.payload.installation.account.login}"`),
    );
    const forbidden = [
      ...new Set([...deliveries.flatMap(payloadContent), otherSender.login]),
    ].filter((text) => !accountLogins.has(text));
    expect(forbidden).toContain(`"octocat"`);
    // Negative control: the scanned content is really in the payloads.
    expect(forbidden.length).toBeGreaterThan(5);
    for (const text of forbidden) {
      expect(JSON.stringify(deliveries.map((d) => d.payload)), text).toContain(text);
    }
    const secrets = s.secrets();
    expect(secrets).toEqual(expect.arrayContaining(s.webhookSecrets));
    const stored = s.executor.storedText();
    const logs = s.logLines.join("");
    const rows = await stack.databaseText();
    expect(logs).toContain("[webhooks] delivery forwarded");
    for (const text of [...forbidden, ...secrets]) {
      expect(rows.includes(text), `database holds ${text}`).toBe(false);
      expect(stored.includes(text), `inngest holds ${text}`).toBe(false);
      expect(logs.includes(text), `logs hold ${text}`).toBe(false);
    }
  });
});
