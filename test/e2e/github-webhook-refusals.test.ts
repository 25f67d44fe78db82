import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError } from "../../src/db/rpc/errors.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { installationExamples } from "../support/webhook-examples.ts";
import { newWebhookSecret, signBody, useWebhookStack } from "./webhook-stack.ts";

const stack = useWebhookStack();
const examples = installationExamples();

async function nothingWritten(s: { forwarded: () => unknown[] }, deliveryId: string) {
  expect(await stack.deliveryRows(deliveryId)).toEqual([]);
  expect(s.forwarded()).toEqual([]);
}

describe("POST /api/webhooks/github: refused deliveries write and send nothing", () => {
  it.each(examples.map((e) => [e.label, e] as const))(
    "refuses %s with 401 when wrongly signed, signed with a rotated-out secret, tampered, or unsigned",
    async (_label, example) => {
      const retired = newWebhookSecret();
      const s = stack.arrangeWebhooks();
      const body = JSON.stringify(example.payload);
      const tampered = JSON.stringify({
        ...example.payload,
        installation: { ...example.payload.installation, id: 1 },
      });
      const attempts = {
        "wrong secret": await s.deliver({ event: example.event, body, secret: newWebhookSecret() }),
        "rotated out": await s.deliver({ event: example.event, body, secret: retired }),
        tampered: await s.deliver({
          event: example.event,
          body: tampered,
          signature: signBody(s.webhookSecrets[0]!, body),
        }),
        "not a signature": await s.deliver({ event: example.event, body, signature: "sha1=abc" }),
        unsigned: await s.deliver({ event: example.event, body, signature: null }),
      };
      const outcomes = Object.fromEntries(
        Object.entries(attempts).map(([k, v]) => [k, [v.res.status, v.body["error"]]]),
      );
      expect(outcomes).toEqual({
        "wrong secret": [401, "signature_invalid"],
        "rotated out": [401, "signature_invalid"],
        tampered: [401, "signature_invalid"],
        "not a signature": [401, "signature_invalid"],
        unsigned: [401, "signature_missing"],
      });
      for (const { deliveryId } of Object.values(attempts)) await nothingWritten(s, deliveryId);
      const logs = s.logLines.join("");
      expect(logs).toContain("[webhooks] delivery refused");
      for (const secret of [...s.secrets(), retired]) expect(logs).not.toContain(secret);
    },
  );

  it("stops accepting a secret once it is removed from GITHUB_WEBHOOK_SECRET", async () => {
    const [current, old] = [newWebhookSecret(), newWebhookSecret()];
    const example = examples.find((e) => e.payload.action === "suspend")!;
    const body = JSON.stringify(example.payload);
    const during = stack.arrangeWebhooks({ secrets: [current, old] });
    const accepted = await during.deliver({ event: example.event, body, secret: old });
    expect(accepted.res.status).toBe(202);

    // The service restarts with the old secret gone from the list.
    const after = stack.arrangeWebhooks({ secrets: [current] });
    const refused = await after.deliver({ event: example.event, body, secret: old });
    expect(refused.res.status).toBe(401);
    await nothingWritten(after, refused.deliveryId);
    expect((await after.deliver({ event: example.event, body, secret: current })).res.status).toBe(
      202,
    );
  });

  it("answers 400 without X-GitHub-Delivery or X-GitHub-Event, or with malformed ones", async () => {
    const s = stack.arrangeWebhooks();
    const example = examples[0]!;
    const body = JSON.stringify(example.payload);
    const before = await stack.deliveryRows();
    const statuses = [
      await s.deliver({ event: example.event, body, omit: ["x-github-delivery"] }),
      await s.deliver({ event: example.event, body, omit: ["x-github-event"] }),
      await s.deliver({ event: "Installation; drop", body }),
      await s.deliver({ event: example.event, body, deliveryId: "../../etc" }),
    ].map((d) => [d.res.status, d.body["error"]]);
    expect(statuses).toEqual(Array(4).fill([400, "delivery_headers_invalid"]));
    expect(await stack.deliveryRows()).toEqual(before);
    expect(s.forwarded()).toEqual([]);
  });

  it("answers 400 to signed bodies that are not JSON or lack what their event needs", async () => {
    const s = stack.arrangeWebhooks();
    const created = examples.find((e) => e.payload.action === "created")!.payload;
    const notJson = await s.deliver({ event: "installation", body: "{not json" });
    const noAccount = await s.deliver({
      event: "installation",
      body: JSON.stringify({ ...created, installation: { id: 5 } }),
    });
    expect([notJson, noAccount].map((d) => [d.res.status, d.body["error"]])).toEqual([
      [400, "invalid_json"],
      [400, "invalid_payload"],
    ]);
    await nothingWritten(s, notJson.deliveryId);
    await nothingWritten(s, noAccount.deliveryId);
  });

  it("answers 413 to a body over GITHUB_WEBHOOK_MAX_BODY_BYTES, even without Content-Length", async () => {
    const s = stack.arrangeWebhooks({ env: { GITHUB_WEBHOOK_MAX_BODY_BYTES: "4096" } });
    const example = examples.find((e) => e.payload.action === "deleted")!;
    const body = JSON.stringify({ ...example.payload, padding: "x".repeat(4096) });
    const big = await s.deliver({ event: example.event, body });
    expect([big.res.status, big.body["error"]]).toEqual([413, "payload_too_large"]);
    await nothingWritten(s, big.deliveryId);

    // Chunked: no Content-Length to trust, so the reader stops at the limit.
    const chunks = [body.slice(0, 3000), body.slice(3000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const res = await s.application.http.request("/api/webhooks/github", {
      method: "POST",
      headers: {
        "x-github-delivery": "chunked-1",
        "x-github-event": example.event,
        "x-hub-signature-256": signBody(s.webhookSecrets[0]!, body),
      },
      body: stream,
      duplex: "half",
    });
    expect(res.status).toBe(413);
    await nothingWritten(s, "chunked-1");
    // Under the limit, the same example is accepted.
    const small = await s.deliver({ event: example.event, body: JSON.stringify(example.payload) });
    expect(small.res.status).toBe(202);
  });

  it("answers 503 webhook_secret_not_configured without a secret, and warns once", async () => {
    const s = stack.arrangeWebhooks({ secrets: [] });
    const example = examples[0]!;
    const body = JSON.stringify(example.payload);
    const answers = [
      await s.deliver({ event: example.event, body, secret: "anything" }),
      await s.deliver({ event: example.event, body, secret: "anything" }),
    ];
    expect(answers.map((d) => [d.res.status, d.body["error"]])).toEqual([
      [503, "webhook_secret_not_configured"],
      [503, "webhook_secret_not_configured"],
    ]);
    const warnings = s.logLines
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((r) => r.msg.includes("GITHUB_WEBHOOK_SECRET is not set"));
    expect(warnings).toEqual([expect.objectContaining({ level: 40 })]);
    for (const { deliveryId } of answers) await nothingWritten(s, deliveryId);
  });

  it("answers 503 when the database cannot record the delivery, and sends nothing", async () => {
    const databaseDown = (rpc: RpcClient): RpcClient => ({
      ...rpc,
      call: (name) =>
        Promise.reject(new DatabaseUnavailableError(name, "08006", "connection failure")),
    });
    const s = stack.arrangeWebhooks({ wrapRpc: databaseDown });
    const example = examples[0]!;
    const { res, body, deliveryId } = await s.deliver({
      event: example.event,
      body: JSON.stringify(example.payload),
    });
    expect([res.status, body, res.headers.get("retry-after")]).toEqual([
      503,
      { error: "database_unavailable" },
      "5",
    ]);
    await nothingWritten(s, deliveryId);
  });
});
