import { describe, expect, it } from "vitest";
import type { SessionVerifier } from "../../src/auth/session.ts";
import { createRecommendations, createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

/**
 * Stands in for the API-key verifier of a later issue: `machine.<user JWT>` verifies the
 * real token and marks the session a machine's. No real key format is needed to prove
 * the router's rule.
 */
const machineSessions = (real: SessionVerifier): SessionVerifier => ({
  async verify(token) {
    if (!token.startsWith("machine.")) return real.verify(token);
    return { ...(await real.verify(token.slice("machine.".length))), actorSource: "machine" };
  },
});

const recommendation = async (id: number) =>
  (await db.sql`select status, updated_by from public.recommendations where id = ${id}`)[0];

describe("human-only actions with a machine session", () => {
  it("refuses claim-recommendation with 403 human_only and claims nothing", async () => {
    const s = stack.arrange({ github: false, wrapVerifier: machineSessions });
    const user = await createUser(db.sql);
    const [recId] = await createRecommendations(db.sql, user.id, 1);
    const token = await s.userToken(user);

    const res = await s.action("claim-recommendation", `machine.${token}`, {
      recommendationId: recId,
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: "human_only",
      message: expect.stringContaining("a person must do this"),
    });
    expect(await recommendation(recId!)).toEqual({ status: "open", updated_by: "system:test" });

    // The same user, signed in as a person, may.
    const human = await s.action("claim-recommendation", token, { recommendationId: recId });
    expect(human.status).toBe(200);
    expect(await recommendation(recId!)).toEqual({
      status: "claimed",
      updated_by: `user:${user.id}`,
    });
  });

  it("refuses release-recommendation with 403 human_only and leaves the claim in place", async () => {
    const s = stack.arrange({ github: false, wrapVerifier: machineSessions });
    const user = await createUser(db.sql);
    const [recId] = await createRecommendations(db.sql, user.id, 1);
    const token = await s.userToken(user);
    expect(
      (await s.action("claim-recommendation", token, { recommendationId: recId })).status,
    ).toBe(200);

    const res = await s.action("release-recommendation", `machine.${token}`, {
      recommendationId: recId,
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "human_only" });
    expect(await recommendation(recId!)).toMatchObject({ status: "claimed" });

    const human = await s.action("release-recommendation", token, { recommendationId: recId });
    expect(human.status).toBe(200);
    expect(await recommendation(recId!)).toMatchObject({ status: "open" });
  });

  it("lets a machine session track events, recorded with actor_source machine", async () => {
    const s = stack.arrange({ github: false, wrapVerifier: machineSessions });
    const user = await createUser(db.sql);
    const token = await s.userToken(user);
    const res = await s.action("track-event", `machine.${token}`, {
      kind: "repository.viewed",
      properties: { repository: "octo/demo" },
    });
    expect(res.status).toBe(200);
    expect(
      await db.sql`select name, actor, actor_source, verified from public.tracked_events where user_id = ${user.id}`,
    ).toEqual([
      {
        name: "repository.viewed",
        actor: `user:${user.id}`,
        actor_source: "machine",
        verified: true,
      },
    ]);
  });
});
