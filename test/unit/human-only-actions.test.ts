import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createActions } from "../../src/actions/index.ts";
import type { ApiKeyAuth } from "../../src/api-keys/api-key-auth.ts";
import type { Session, SessionVerifier } from "../../src/auth/session.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import type { AppInngest } from "../../src/inngest/client.ts";
import { defineAction, registerActions } from "../../src/http/actions/index.ts";
import { collectingLogger } from "../support/collecting-logger.ts";

const USER_ID = randomUUID();
/** Stands in for the API-key verifier (test/e2e/api-keys*.test.ts use real keys): the token names the session's kind. */
const verifier: SessionVerifier = {
  verify: (token) =>
    Promise.resolve<Session>({
      userId: USER_ID,
      isAnonymous: false,
      actorSource: token === "machine-key" ? "api_key" : "human",
    }),
};

const ran: string[] = [];
const actions = {
  "claim-thing": defineAction({
    input: z.object({ id: z.number() }).strict(),
    humanOnly: true,
    async run(_ctx, input) {
      ran.push(`claim ${input.id}`);
      return { claimed: input.id };
    },
  }),
  "view-thing": defineAction({
    input: z.object({}).strict(),
    async run(ctx) {
      ran.push(`view by ${ctx.session.actorSource}`);
      return { ok: true };
    },
  }),
};

function setup() {
  const { logger, records } = collectingLogger();
  const app = new Hono();
  registerActions(app, { verifier, actions, logger });
  const post = (name: string, token: string, body: string) =>
    app.request(`/api/actions/${name}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
    });
  return { post, records };
}

beforeEach(() => {
  ran.length = 0;
});

describe("human-only actions", () => {
  it("answers an API-key session with 403 human_only and a message, without running the action", async () => {
    const { post, records } = setup();
    const res = await post("claim-thing", "machine-key", JSON.stringify({ id: 1 }));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: "human_only",
      message: expect.stringMatching(/a person must do this/),
    });
    expect(ran).toEqual([]);
    expect(records().find((r) => r.msg === "[actions] call")).toMatchObject({
      status: 403,
      reason: "human_only",
      userId: USER_ID,
    });
  });

  it("refuses before reading the body: a malformed or oversized body still answers 403, not 400/413", async () => {
    const { post } = setup();
    expect((await post("claim-thing", "machine-key", "{not json")).status).toBe(403);
    expect((await post("claim-thing", "machine-key", "x".repeat(64 * 1024))).status).toBe(403);
    expect(ran).toEqual([]);
  });

  it("runs human-only actions for a human session", async () => {
    const res = await setup().post("claim-thing", "user-token", JSON.stringify({ id: 2 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { claimed: 2 } });
    expect(ran).toEqual(["claim 2"]);
  });

  it("runs other actions for an API-key session, which sees its actorSource", async () => {
    const res = await setup().post("view-thing", "machine-key", "{}");
    expect(res.status).toBe(200);
    expect(ran).toEqual(["view by api_key"]);
  });

  it("cannot be talked into 'human' by the body: actorSource and friends are dropped, the session decides", async () => {
    const { post } = setup();
    for (const key of ["actorSource", "actor_source", "actor", "verified", "role"]) {
      const res = await post("view-thing", "machine-key", JSON.stringify({ [key]: "human" }));
      expect(res.status, key).toBe(200);
    }
    expect(ran).toEqual(Array.from({ length: 5 }, () => "view by api_key"));
    const claim = await post("claim-thing", "machine-key", '{"id":3,"actorSource":"human"}');
    expect(claim.status).toBe(403);
    expect(await claim.json()).toMatchObject({ error: "human_only" });
    expect(ran).not.toContain("claim 3");
  });

  it("marks exactly sign-in, claim-, complete-, release-recommendation and key management human-only", () => {
    const all = createActions({
      rpc: {} as RpcClient,
      inngest: {} as AppInngest,
      apiKeys: {} as ApiKeyAuth,
    });
    const humanOnly = Object.entries(all)
      .filter(([, def]) => def.humanOnly)
      .map(([name]) => name);
    expect(humanOnly.sort()).toEqual([
      "bootstrap-profile",
      "claim-recommendation",
      "complete-recommendation",
      "create-api-key",
      "list-api-keys",
      "release-recommendation",
      "revoke-api-key",
    ]);
    expect(Object.keys(all)).toEqual(
      expect.arrayContaining([
        "track-event",
        "request-audit",
        "get-profile",
        "list-recommendations",
      ]),
    );
  });
});
