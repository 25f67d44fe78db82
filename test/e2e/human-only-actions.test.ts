import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createActions } from "../../src/actions/index.ts";
import type { ApiKeyAuth } from "../../src/api-keys/api-key-auth.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import type { AppInngest } from "../../src/inngest/client.ts";
import { createInstallation, createRecommendations, createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

/** Every action the router refuses to API keys, read from the action definitions themselves. */
const HUMAN_ONLY = Object.entries(
  createActions({ rpc: {} as RpcClient, inngest: {} as AppInngest, apiKeys: {} as ApiKeyAuth }),
)
  .filter(([, def]) => def.humanOnly)
  .map(([name]) => name);

const recommendation = async (id: number) =>
  (await db.sql`select status, updated_by from public.recommendations where id = ${id}`)[0];

describe("API-key sessions (actor source api_key)", () => {
  it("are refused with 403 human_only on every human-only action, and nothing changes", async () => {
    expect(HUMAN_ONLY.sort()).toEqual([
      "bootstrap-profile",
      "claim-recommendation",
      "complete-recommendation",
      "create-api-key",
      "list-api-keys",
      "release-recommendation",
      "revoke-api-key",
    ]);
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const [open, held] = await createRecommendations(db.sql, user.id, 2);
    const token = await s.userToken(user);
    expect((await s.action("claim-recommendation", token, { recommendationId: held })).status).toBe(
      200,
    );
    const { id: keyId, key } = await s.apiKey(token);
    const bodies: Record<string, object> = {
      "bootstrap-profile": {},
      "claim-recommendation": { recommendationId: open },
      "release-recommendation": { recommendationId: held },
      "complete-recommendation": {
        recommendationId: held,
        pullRequestUrl: "https://github.com/octo/demo/pull/1",
      },
      "create-api-key": { name: "minted by a key" },
      "list-api-keys": {},
      "revoke-api-key": { keyId },
    };
    const keysBefore = await db.sql`select id, revoked_at from public.api_keys order by id`;

    for (const name of HUMAN_ONLY) {
      // A body claiming to be a person changes nothing: the router refuses before reading it,
      // and would drop actorSource anyway.
      const res = await s.action(name, key, { ...bodies[name], actorSource: "human" });
      expect(res.status, name).toBe(403);
      expect(await res.json(), name).toEqual({
        error: "human_only",
        message: expect.stringContaining("a person must do this"),
      });
    }
    expect(await recommendation(open!)).toEqual({ status: "open", updated_by: "system:test" });
    expect(await recommendation(held!)).toEqual({
      status: "claimed",
      updated_by: `user:${user.id}`,
    });
    expect(await db.sql`select id, revoked_at from public.api_keys order by id`).toEqual(
      keysBefore,
    );
    expect(await db.sql`select 1 from public.recommendation_completions`).toEqual([]);
    // A key cannot sign in: no audit was queued on the owner's behalf.
    expect(s.executor.stored.events.filter((e) => e.event.name === "audit/run")).toEqual([]);
    expect((await s.action("get-profile", key)).status).toBe(200);
  });

  it("may request an audit: audit/run for the key's owner carries identifiers only", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql, { login: "octo-robot" });
    const { key } = await s.apiKey(await s.userToken(user));

    const res = await s.action("request-audit", key);
    expect(res.status).toBe(202);
    const hour = new Date().toISOString().slice(0, 13);
    expect(await res.json()).toEqual({
      data: { status: "queued", eventId: expect.stringMatching(`^audit-run:${user.id}:request:`) },
    });
    // A script asking again in the same hour queues nothing more.
    expect((await s.action("request-audit", key)).status).toBe(202);
    await s.executor.drain();

    const sent = s.executor.stored.events.filter((e) => e.event.name === "audit/run");
    expect(sent.map((e) => e.event.id)).toEqual(
      expect.arrayContaining([expect.stringMatching(`^audit-run:${user.id}:request:${hour}`)]),
    );
    expect(sent[0]!.event.data).toEqual({
      userId: user.id,
      githubLogin: "octo-robot",
      githubId: user.githubId,
    });
    const auditRuns = s.executor.stored.runs.filter((r) => r.functionId.endsWith("-audit-run"));
    expect(auditRuns).toHaveLength(1);

    // The key, its hash and its display prefix are nowhere Inngest stores or logs reach.
    const hash = createHash("sha256").update(key).digest("hex");
    const stored = s.executor.storedText();
    const logs = s.logLines.join("");
    for (const secret of [key, hash, key.slice(0, 12), ...s.secrets()]) {
      expect(stored.includes(secret), "inngest storage").toBe(false);
      expect(logs.includes(secret), "logs").toBe(false);
    }
    expect(logs).toContain('"apiKeyId"');
  });

  it("request-audit names the user's installation in audit/run, so its concurrency key does", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const installationId = await createInstallation(db.sql, { accountId: user.githubId });
    const { key } = await s.apiKey(await s.userToken(user));

    expect((await s.action("request-audit", key)).status).toBe(202);
    await s.executor.drain();
    const sent = s.executor.stored.events.filter((e) => e.event.name === "audit/run");
    expect(sent.map((e) => e.event.data)).toEqual([
      { userId: user.id, githubLogin: user.login, githubId: user.githubId, installationId },
    ]);
  });

  it("request-audit for an audited user says so and queues nothing (audit-run would skip it)", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const { key } = await s.apiKey(await s.userToken(user));
    const [audit] = await db.sql<{ id: number }[]>`
      insert into public.audits (user_id, idempotency_key, status, signals, xp, level, created_by, updated_by)
      values (${user.id}, ${`a-${user.id}`}, 'completed', ${db.sql.json({})}, 640, 2,
              'system:audit-run', 'system:audit-run')
      returning id`;

    const res = await s.action("request-audit", key);
    expect([res.status, await res.json()]).toEqual([
      202,
      { data: { status: "already_audited", auditId: audit!.id } },
    ]);
    expect(s.executor.stored.events.filter((e) => e.event.name === "audit/run")).toEqual([]);
  });

  it("may read the owner's profile and recommendations and track events, recorded as api_key", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const other = await createUser(db.sql);
    const recs = await createRecommendations(db.sql, user.id, 2);
    await createRecommendations(db.sql, other.id, 2);
    const { key } = await s.apiKey(await s.userToken(user));

    const profile = await s.action("get-profile", key);
    expect(await profile.json()).toMatchObject({ data: { githubLogin: user.login } });
    const list = (await (await s.action("list-recommendations", key)).json()) as {
      data: { items: { id: number }[] };
    };
    expect(list.data.items.map((i) => i.id)).toEqual(recs);

    const tracked = await s.action("track-event", key, {
      kind: "repository.viewed",
      properties: { repository: "octo/demo" },
    });
    expect(tracked.status).toBe(200);
    expect(
      await db.sql`select name, actor, actor_source, verified from public.tracked_events where user_id = ${user.id}`,
    ).toEqual([
      {
        name: "repository.viewed",
        actor: `user:${user.id}`,
        actor_source: "api_key",
        verified: true,
      },
    ]);
  });
});
