import { randomBytes, randomUUID } from "node:crypto";
import { Hono } from "hono";
import { SignJWT, type JWTPayload } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { mintDevToken } from "../../src/auth/mint-dev-token.ts";
import { createSessionVerifier } from "../../src/auth/session-verifier.ts";
import {
  ClaimLimitReachedError,
  ConflictError,
  DatabaseUnavailableError,
  InvalidArgumentsError,
  RecommendationNotClaimedError,
  RecommendationNotFoundError,
  RecommendationNotOpenError,
  RpcContractError,
} from "../../src/db/rpc/errors.ts";
import {
  ActionError,
  defineAction,
  registerActions,
  type ActionContext,
} from "../../src/http/actions/index.ts";
import { createLogger } from "../../src/log/logger.ts";
import { collectingLogger } from "../support/collecting-logger.ts";

const SECRET = randomBytes(32).toString("base64url");
const USER_ID = randomUUID();
const verifier = createSessionVerifier({ jwtSecret: SECRET });
const validToken = () =>
  mintDevToken({ secret: SECRET, userId: USER_ID, githubLogin: "octo-ada", githubId: "5001001" });

const calls: Array<{ ctx: ActionContext; input: unknown }> = [];
let failWith: unknown;

const actions = {
  "claim-recommendation": defineAction({
    input: z.object({ recommendationId: z.number().int().positive() }).strict(),
    async run(ctx, input) {
      calls.push({ ctx, input });
      ctx.logger.info({ recommendationId: input.recommendationId }, "claiming");
      return { claimed: input.recommendationId, by: ctx.session.userId };
    },
  }),
  "list-claims": defineAction({
    input: z.object({}).strict(),
    async run(ctx, input) {
      calls.push({ ctx, input });
      return [];
    },
  }),
  fail: defineAction({
    input: z.object({}).strict(),
    async run(ctx, input) {
      calls.push({ ctx, input });
      throw failWith;
    },
  }),
};

function setup() {
  const { logger, lines, records } = collectingLogger();
  const app = new Hono();
  registerActions(app, { verifier, actions, logger });
  return { app, lines, records };
}

const post = (
  app: Hono,
  name: string,
  init: { token?: string; scheme?: string; body?: string; headers?: Record<string, string> } = {},
) =>
  app.request(`/api/actions/${name}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(init.token !== undefined
        ? { authorization: `${init.scheme ?? "Bearer"} ${init.token}` }
        : {}),
      ...init.headers,
    },
    body: init.body ?? "",
  });

const signed = (overrides: JWTPayload, secret = SECRET) =>
  new SignJWT({
    aud: "authenticated",
    role: "authenticated",
    sub: USER_ID,
    exp: Math.floor(Date.now() / 1000) + 600,
    ...overrides,
  })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(secret));

beforeEach(() => {
  calls.length = 0;
  failWith = undefined;
});

describe("registerActions", () => {
  it("runs the action with the verified session and wraps the result", async () => {
    const { app } = setup();
    for (const scheme of ["Bearer", "bearer", "BEARER"]) {
      const res = await post(app, "claim-recommendation", {
        token: await validToken(),
        scheme,
        body: JSON.stringify({ recommendationId: 7 }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ data: { claimed: 7, by: USER_ID } });
    }
    expect(calls).toHaveLength(3);
    expect(calls[0]?.ctx.session).toEqual({
      userId: USER_ID,
      sessionId: expect.any(String),
      isAnonymous: false,
      actorSource: "human",
    });
  });

  it("treats an empty body as {}", async () => {
    const res = await post(setup().app, "list-claims", { token: await validToken() });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: [] });
    expect(calls[0]?.input).toEqual({});
  });

  const unauthorized: Array<[string, string, () => Promise<Record<string, string>>]> = [
    ["no Authorization header", "missing", async () => ({})],
    [
      "another scheme",
      "missing",
      async () => ({
        authorization: `Basic ${Buffer.from(`u:${randomUUID()}`).toString("base64")}`,
      }),
    ],
    ["Bearer with nothing after it", "missing", async () => ({ authorization: "Bearer " })],
    [
      "a token signed with another secret",
      "invalid_signature",
      async () => ({
        authorization: `Bearer ${await signed({}, randomBytes(32).toString("base64url"))}`,
      }),
    ],
    [
      "an expired token",
      "expired",
      async () => ({
        authorization: `Bearer ${await signed({ exp: Math.floor(Date.now() / 1000) - 3600 })}`,
      }),
    ],
    [
      "a service_role token",
      "not_a_user",
      async () => ({ authorization: `Bearer ${await signed({ role: "service_role" })}` }),
    ],
  ];

  it.each(unauthorized)(
    "answers 401 for %s and never runs the action",
    async (_what, reason, headers) => {
      const res = await post(setup().app, "claim-recommendation", {
        headers: await headers(),
        body: JSON.stringify({ recommendationId: 1 }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      expect(await res.json()).toEqual({ error: "unauthorized", reason });
      expect(calls).toEqual([]);
    },
  );

  it("checks the token before looking at the body", async () => {
    const res = await post(setup().app, "claim-recommendation", { body: "{not json" });
    expect(res.status).toBe(401);
  });

  it.each([
    ["an unknown key", { recommendationId: 1, note: "hi" }, ["note"]],
    ["a wrong type", { recommendationId: "1" }, ["recommendationId"]],
    ["a missing field", {}, ["recommendationId"]],
    ["an array", [], ["(body)"]],
  ])("answers 400 for %s and never runs the action", async (_what, body, issues) => {
    const res = await post(setup().app, "claim-recommendation", {
      token: await validToken(),
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_input", issues });
    expect(calls).toEqual([]);
  });

  it("drops a forged userId, actor, verified flag or role, warns with the key names only, and runs as the session", async () => {
    const { app, records, lines } = setup();
    const victim = randomUUID();
    const res = await post(app, "claim-recommendation", {
      token: await validToken(),
      body: JSON.stringify({
        recommendationId: 4,
        userId: victim,
        user_id: victim,
        actor: "system:seed",
        actorSource: "human",
        verified: true,
        Role: "admin",
        roles: ["admin"],
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { claimed: 4, by: USER_ID } });
    expect(calls.map((c) => c.input)).toEqual([{ recommendationId: 4 }]);
    expect(
      records().find((r) => r.msg === "[actions] dropped server-controlled fields"),
    ).toMatchObject({
      level: 40,
      action: "claim-recommendation",
      userId: USER_ID,
      droppedKeys: ["userId", "user_id", "actor", "actorSource", "verified", "Role", "roles"],
    });
    for (const line of lines) {
      expect(line).not.toContain(victim);
      expect(line).not.toContain("system:seed");
      expect(line).not.toContain("admin");
    }
  });

  it("answers 400 for malformed JSON and 413 for a body over 16 KB", async () => {
    const { app } = setup();
    const token = await validToken();
    const malformed = await post(app, "claim-recommendation", { token, body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      error: "invalid_input",
      reason: "malformed_json",
      issues: [],
    });
    const huge = await post(app, "claim-recommendation", {
      token,
      body: JSON.stringify({ recommendationId: 1, pad: "x".repeat(17 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(calls).toEqual([]);
  });

  it("answers 404 for an unknown action (before auth) and 405 for other methods", async () => {
    const { app } = setup();
    expect((await post(app, "no-such-action")).status).toBe(404);
    expect((await post(app, "constructor")).status).toBe(404);
    const get = await app.request("/api/actions/claim-recommendation", {
      headers: { authorization: `Bearer ${await validToken()}` },
    });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(calls).toEqual([]);
  });

  it.each([
    [new ClaimLimitReachedError("claim", "CF001", "m"), 409, "claim_limit_reached"],
    [new RecommendationNotFoundError("claim", "CF002", "m"), 404, "recommendation_not_found"],
    [new RecommendationNotOpenError("claim", "CF003", "m"), 409, "recommendation_not_open"],
    [new RecommendationNotClaimedError("claim", "CF004", "m"), 409, "recommendation_not_claimed"],
    [new InvalidArgumentsError("claim", "22P02", "m"), 400, "invalid_arguments"],
    [new DatabaseUnavailableError("claim", "57014", "m"), 503, "database_unavailable"],
    [
      new ActionError(422, "not_your_installation", "install the app on this account first"),
      422,
      "not_your_installation",
    ],
    [new ConflictError("claim", "23505", "m"), 500, "internal_error"],
    [new RpcContractError("claim", "42883", "m"), 500, "internal_error"],
    [new Error("boom"), 500, "internal_error"],
  ])("maps %s to %i %s", async (error, status, code) => {
    failWith = error;
    const res = await post(setup().app, "fail", { token: await validToken() });
    expect(res.status).toBe(status);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.error).toBe(code);
    expect(res.headers.get("retry-after")).toBe(code === "database_unavailable" ? "5" : null);
    if (error instanceof ActionError)
      expect(body.message).toBe("install the app on this account first");
    if (status === 500) expect(Object.keys(body).sort()).toEqual(["error", "requestId"]);
  });

  it("never sends an internal error's message or stack, and logs it under the request id", async () => {
    const { app, records } = setup();
    const marker = `db-host-${randomUUID()}`;
    failWith = new Error(`connect failed to ${marker}`);
    const res = await post(app, "fail", {
      token: await validToken(),
      headers: { "x-request-id": "req-42" },
    });
    const text = await res.text();
    expect(text).not.toContain(marker);
    expect(text).not.toContain("at ");
    expect(JSON.parse(text)).toEqual({ error: "internal_error", requestId: "req-42" });
    expect(res.headers.get("x-request-id")).toBe("req-42");
    const line = records().find((r) => r.status === 500);
    expect(line).toMatchObject({ requestId: "req-42", action: "fail", userId: USER_ID, level: 50 });
    expect(JSON.stringify(line)).toContain(marker);
  });

  it("logs one line per call with action, userId, status and duration, and never the token", async () => {
    const { app, lines, records } = setup();
    const token = await validToken();
    await post(app, "claim-recommendation", {
      token,
      body: JSON.stringify({ recommendationId: 3 }),
    });
    await post(app, "claim-recommendation", {
      token,
      body: JSON.stringify({ recommendationId: 3, note: USER_ID }),
    });
    await post(app, "claim-recommendation", { token: `${token.slice(0, -4)}AAAA`, body: "{}" });
    const calls = records().filter((r) => r.msg === "[actions] call");
    expect(calls.map((r) => [r.action, r.status])).toEqual([
      ["claim-recommendation", 200],
      ["claim-recommendation", 400],
      ["claim-recommendation", 401],
    ]);
    expect(calls[0]).toMatchObject({
      userId: USER_ID,
      durationMs: expect.any(Number),
      requestId: expect.any(String),
    });
    expect(calls[2]).toMatchObject({ reason: "invalid_signature" });
    // The action's own logger carries the user and the request id.
    expect(records().find((r) => r.msg === "claiming")).toMatchObject({
      userId: USER_ID,
      requestId: calls[0]?.requestId,
      recommendationId: 3,
    });
    // Nothing credential-shaped was even handed to the logger (no redaction was needed).
    for (const line of lines) {
      expect(line).not.toContain(token.split(".")[1]);
      expect(line).not.toContain("[REDACTED]");
      expect(line.toLowerCase()).not.toContain("authorization");
    }
  });

  it("refuses bad names and non-strict object inputs at registration", () => {
    const run = async () => null;
    expect(() =>
      registerActions(new Hono(), {
        verifier,
        logger: createLogger(),
        actions: { Claim_Rec: defineAction({ input: z.object({}).strict(), run }) },
      }),
    ).toThrow(/Claim_Rec/);
    expect(() =>
      registerActions(new Hono(), {
        verifier,
        logger: createLogger(),
        actions: { loose: defineAction({ input: z.object({}), run }) },
      }),
    ).toThrow(/strict/);
  });
});
