import { randomBytes, randomUUID } from "node:crypto";
import canonicalize from "canonicalize";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { INNGEST_APP_ID, INNGEST_SERVE_PATH } from "../../inngest.config.ts";
import { createApplication } from "../../src/application.ts";
import { createSessionVerifier } from "../../src/auth/session-verifier.ts";
import { readEnv } from "../../src/config/env.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { collectingLogger } from "../support/collecting-logger.ts";
import { createInngestExecutor } from "../support/inngest-executor.ts";
import { hasValidResponseSignature, signatureHeader } from "../support/inngest-executor/sign.ts";
import { useMsw } from "../support/msw.ts";

const INNGEST_URL = "http://inngest.example.test";
const ORIGIN = "https://jobs.example.test";
const server = useMsw();
const noDatabase = {
  transport: "sql",
  call: () => Promise.reject(new Error("no database call expected")),
  close: () => Promise.resolve(),
} as unknown as RpcClient;

function arrange(env: Record<string, string>) {
  const signingKey = `signkey-test-${randomBytes(32).toString("hex")}`;
  const { logger, lines } = collectingLogger({ level: "debug" });
  const application = createApplication({
    env: readEnv({
      NODE_ENV: "test",
      INNGEST_MAX_REQUEST_BYTES: String(64 * 1024),
      ...env,
      ...(env.INNGEST_SIGNING_KEY === "generated" ? { INNGEST_SIGNING_KEY: signingKey } : {}),
    }),
    rpc: noDatabase,
    logger,
    verifier: createSessionVerifier({ jwtSecret: randomBytes(32).toString("base64url") }),
    github: null,
    inngestBaseUrl: INNGEST_URL,
  });
  const registrations: string[] = [];
  server.use(
    http.post(`${INNGEST_URL}/fn/register`, async ({ request }) => {
      registrations.push(((await request.json()) as { url: string }).url);
      return HttpResponse.json({ ok: true, modified: true });
    }),
  );
  const call = (
    method: string,
    init: { body?: string | ReadableStream<Uint8Array>; headers?: Record<string, string> } = {},
  ) =>
    application.http.request(`http://localhost${INNGEST_SERVE_PATH}?fnId=x&stepId=step`, {
      method,
      ...init,
      // Node's fetch needs this for a streamed request body.
      ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
    });
  return { application, call, lines, registrations, signingKey };
}

/** A body that yields 16 KiB chunks forever, counting how many were pulled. */
function endlessBody() {
  const state = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled += 1;
      controller.enqueue(new Uint8Array(16 * 1024).fill(0x20));
    },
  });
  return { stream, state };
}

const SIGNED = { INNGEST_SIGNING_KEY: "generated", INNGEST_EVENT_KEY: "event-key-test" };

describe("/api/inngest in signed mode", () => {
  it("refuses an unsigned call before reading its body", async () => {
    const s = arrange(SIGNED);
    const { stream, state } = endlessBody();
    const res = await s.call("POST", { body: stream });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "unauthorized" });
    expect(state.pulled).toBeLessThanOrEqual(1);
  });

  it("answers 413 to a body over the limit without buffering it, even with a signature header", async () => {
    const s = arrange(SIGNED);
    const { stream, state } = endlessBody();
    const res = await s.call("POST", {
      body: stream,
      headers: { "x-inngest-signature": signatureHeader(s.signingKey, "{}") },
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: "payload_too_large" });
    // 64 KiB limit / 16 KiB chunks: it stopped right after the limit, a few chunks of slack.
    expect(state.pulled).toBeLessThanOrEqual(8);
  });

  it("answers 400, not 500, to a body that is not JSON", async () => {
    const s = arrange(SIGNED);
    const body = "{not json";
    const res = await s.call("POST", {
      body,
      headers: { "x-inngest-signature": signatureHeader(s.signingKey, body) },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_json" });
  });

  it("refuses an unsigned sync, whatever Host it claims, and registers nothing", async () => {
    const s = arrange({ ...SIGNED, INNGEST_SERVE_ORIGIN: ORIGIN });
    const res = await s.call("PUT", { headers: { host: "evil.example" } });
    expect(res.status).toBe(401);
    expect(s.registrations).toEqual([]);
  });

  it("registers under the configured origin, never a request's Host header", async () => {
    const s = arrange({
      ...SIGNED,
      INNGEST_SERVE_ORIGIN: ORIGIN,
      INNGEST_ENABLE_UNAUTHED_SYNC: "1",
    });
    const res = await s.call("PUT", { headers: { host: "evil.example" } });
    expect(res.status).toBeLessThan(300);
    expect(s.registrations).toHaveLength(1);
    expect(new URL(s.registrations[0]!).origin).toBe(ORIGIN);
    expect(s.registrations[0]).not.toContain("evil.example");
  });

  it("logs syncs and refusals at warn with a reason, never the body or a key", async () => {
    const s = arrange(SIGNED);
    const marker = `marker-${randomBytes(8).toString("hex")}`;
    await s.call("POST", { body: JSON.stringify({ marker }) });
    await s.call("POST", {
      body: JSON.stringify({ marker }),
      headers: { "x-inngest-signature": signatureHeader(s.signingKey.replace(/.$/, "0"), "{}") },
    });
    await s.call("PUT");
    const warns = s.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.level === 40);
    expect(warns.map((l) => [l.msg, l.reason ?? l.status])).toEqual(
      expect.arrayContaining([
        ["[inngest] call refused", "unsigned call"],
        ["[inngest] call refused", "invalid signature"],
        ["[inngest] call refused", "unsigned sync (INNGEST_ENABLE_UNAUTHED_SYNC is off)"],
      ]),
    );
    const logs = s.lines.join("");
    expect(logs).not.toContain(marker);
    expect(logs).not.toContain(s.signingKey.replace(/^signkey-test-/, ""));
  });

  it("logs an accepted sync at warn with its status and whether it was signed", async () => {
    const s = arrange({
      ...SIGNED,
      INNGEST_SERVE_ORIGIN: ORIGIN,
      INNGEST_ENABLE_UNAUTHED_SYNC: "1",
    });
    const res = await s.call("PUT");
    expect(res.status).toBeLessThan(300);
    expect(s.registrations).toHaveLength(1);
    const warns = s.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.level === 40);
    expect(warns).toEqual([
      expect.objectContaining({
        msg: "[inngest] sync requested",
        status: res.status,
        signed: false,
      }),
    ]);
    expect(s.lines.join("")).not.toContain(s.signingKey.replace(/^signkey-test-/, ""));
  });

  it("answers a failing step, and every error of its own, without a stack or a path", async () => {
    const s = arrange(SIGNED);
    const answers: { signed: boolean; text: string }[] = [];
    const executor = createInngestExecutor({
      handler: async (req) => {
        const res = await s.application.http.fetch(req);
        answers.push({
          signed: res.headers.has("x-inngest-signature"),
          text: await res.clone().text(),
        });
        return res;
      },
      servePath: INNGEST_SERVE_PATH,
      appId: INNGEST_APP_ID,
      signingKey: s.signingKey,
      functions: s.application.functions,
      maxAttempts: 2,
    });
    const user = { userId: randomUUID(), githubLogin: "octo", githubId: 5 };
    // The first step's database call throws (noDatabase): retried, then failed, then onFailure.
    const [run] = await executor.send({ name: "audit/run", data: user });
    expect(run).toMatchObject({
      status: "failed",
      error: { name: "Error", message: "no database call expected" },
    });
    const failing = answers.filter((a) => a.text.includes("no database call expected"));
    expect(failing.length).toBeGreaterThanOrEqual(2);
    // What the SDK answers by itself, outside any function: an unknown function, a bad event.
    for (const [fnId, event] of [
      ["x", { name: "audit/run", data: user }],
      [`${INNGEST_APP_ID}-audit-run`, { name: "audit/run", data: { userId: "not-a-uuid" } }],
    ] as const) {
      const body = JSON.stringify({ version: 2, event, events: [event], steps: {}, ctx: {} });
      const res = await s.application.http.request(
        `http://localhost${INNGEST_SERVE_PATH}?fnId=${fnId}&stepId=step`,
        {
          method: "POST",
          body,
          headers: {
            "content-type": "application/json",
            "x-inngest-server-kind": "cloud",
            "x-inngest-signature": signatureHeader(s.signingKey, canonicalize(JSON.parse(body))!),
          },
        },
      );
      expect(res.status).toBeGreaterThanOrEqual(400);
      const text = await res.text();
      // Cleaned of its stack and signed again: Inngest can still trust the answer.
      expect(hasValidResponseSignature(res, s.signingKey, text)).toBe(true);
      answers.push({ signed: true, text });
    }
    for (const { signed, text } of answers) {
      expect(signed).toBe(true);
      for (const stack of text.matchAll(/"stack":"((?:[^"\\]|\\.)*)"/g)) expect(stack[1]).toBe("");
      expect(text).not.toContain(process.cwd());
      expect(text).not.toMatch(/node_modules|\bat .*\(.*:\d+:\d+\)/);
    }
    expect(executor.storedText()).not.toContain(process.cwd());
  });
});

describe("/api/inngest in dev mode (loopback only)", () => {
  it("answers without a stack or an absolute path, whatever goes wrong", async () => {
    const s = arrange({});
    const answers = [
      await s.call("POST", { body: JSON.stringify({ version: 2, event: {}, steps: {}, ctx: {} }) }),
      await s.call("POST", { body: "[1," }),
      await s.call("GET"),
    ];
    expect(answers[1]!.status).toBe(400);
    for (const res of answers) {
      const text = await res.text();
      expect(text).not.toMatch(/"stack"/);
      expect(text).not.toContain(process.cwd());
      expect(text).not.toMatch(/node_modules|\bat .*\(.*:\d+:\d+\)/);
    }
  });
});
