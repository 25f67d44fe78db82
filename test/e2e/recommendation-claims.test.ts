import { describe, expect, it } from "vitest";
import { activeClaims, createRecommendations, createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

describe("claiming recommendations over HTTP, as the signed-in user", () => {
  it("gives exactly 3 of 12 concurrent claims by one user, refuses the other 9 with 409, and a release frees a slot", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const recs = await createRecommendations(db.sql, user.id, 12);
    const token = await s.userToken(user);

    const answers = await Promise.all(
      recs.map(async (recommendationId) => {
        const res = await s.action("claim-recommendation", token, { recommendationId });
        return { recommendationId, status: res.status, body: await res.json() };
      }),
    );
    const won = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    expect(won).toHaveLength(3);
    for (const a of won)
      expect(a.body).toEqual({
        data: { recommendationId: a.recommendationId, status: "claimed" },
      });
    expect(refused).toHaveLength(9);
    for (const a of refused)
      expect(a).toMatchObject({ status: 409, body: { error: "claim_limit_reached" } });
    expect(await activeClaims(db.sql, user.id)).toBe(3);
    const claimed = await db.sql<{ id: number }[]>`
      select id from public.recommendations where user_id = ${user.id} and status = 'claimed' order by id`;
    expect(claimed.map((r) => r.id)).toEqual(
      won.map((a) => a.recommendationId).sort((a, b) => a - b),
    );

    const fourth = refused[0]!.recommendationId;
    expect(
      (await s.action("claim-recommendation", token, { recommendationId: fourth })).status,
    ).toBe(409);
    const release = await s.action("release-recommendation", token, {
      recommendationId: won[0]!.recommendationId,
    });
    expect(release.status).toBe(200);
    expect(await release.json()).toEqual({
      data: { recommendationId: won[0]!.recommendationId, status: "open" },
    });
    const again = await s.action("claim-recommendation", token, { recommendationId: fourth });
    expect(again.status).toBe(200);
    expect(await activeClaims(db.sql, user.id)).toBe(3);
  });

  it("answers 404 recommendation_not_found for another user's recommendation, on claim and on release, and changes nothing", async () => {
    const s = stack.arrange({ github: false });
    const owner = await createUser(db.sql);
    const intruder = await createUser(db.sql);
    const [open, held] = await createRecommendations(db.sql, owner.id, 2);
    const ownerToken = await s.userToken(owner);
    expect(
      (await s.action("claim-recommendation", ownerToken, { recommendationId: held })).status,
    ).toBe(200);

    const token = await s.userToken(intruder);
    for (const [name, recommendationId] of [
      ["claim-recommendation", open],
      ["claim-recommendation", held],
      ["release-recommendation", open],
      ["release-recommendation", held],
    ] as const) {
      const res = await s.action(name, token, { recommendationId });
      expect({ name, recommendationId, status: res.status, body: await res.json() }).toEqual({
        name,
        recommendationId,
        status: 404,
        body: { error: "recommendation_not_found" },
      });
    }
    const rows = await db.sql`
      select id, status, updated_by from public.recommendations where user_id = ${owner.id} order by id`;
    expect(rows).toEqual([
      { id: open, status: "open", updated_by: "system:test" },
      { id: held, status: "claimed", updated_by: `user:${owner.id}` },
    ]);
    expect(await activeClaims(db.sql, intruder.id)).toBe(0);
  });

  it("answers 409 recommendation_not_open for a lapsed claim, a completed or expired recommendation, and one past its expiry, and changes nothing", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const [lapsedClaim, completed, expired, pastExpiry, open] = await createRecommendations(
      db.sql,
      user.id,
      5,
    );
    const hourAgo = new Date(Date.now() - 3_600_000);
    // A claim past its 14-day deadline that the sweep has not released yet.
    await db.sql`
      update public.recommendations
         set status = 'claimed', claimed_at = ${new Date(Date.now() - 15 * 86_400_000)}, claim_expires_at = ${hourAgo}
       where id = ${lapsedClaim!}`;
    await db.sql`
      update public.recommendations set status = 'completed', completed_at = ${hourAgo} where id = ${completed!}`;
    await db.sql`update public.recommendations set status = 'expired' where id = ${expired!}`;
    // Still 'open' in the table, but its expiry passed before the sweep got to it.
    await db.sql`update public.recommendations set expires_at = ${hourAgo} where id = ${pastExpiry!}`;
    const snapshot = () =>
      db.sql`select * from public.recommendations where user_id = ${user.id} order by id`;
    const before = await snapshot();
    const token = await s.userToken(user);

    for (const recommendationId of [lapsedClaim, completed, expired, pastExpiry]) {
      const res = await s.action("claim-recommendation", token, { recommendationId });
      expect({ recommendationId, status: res.status, body: await res.json() }).toEqual({
        recommendationId,
        status: 409,
        body: { error: "recommendation_not_open" },
      });
    }
    expect(await snapshot()).toEqual(before);
    expect(await activeClaims(db.sql, user.id)).toBe(0);
    // The refusals are about those rows: an open one is still claimable.
    expect((await s.action("claim-recommendation", token, { recommendationId: open })).status).toBe(
      200,
    );
  });

  it("ignores a client-sent userId on claim and release: the caller acts on its own rows only", async () => {
    const s = stack.arrange({ github: false });
    const me = await createUser(db.sql);
    const other = await createUser(db.sql);
    const [mine] = await createRecommendations(db.sql, me.id, 1);
    const [theirs] = await createRecommendations(db.sql, other.id, 1);
    const token = await s.userToken(me);
    const forged = { userId: other.id, user_id: other.id, actorSource: "human" };

    const claim = await s.action("claim-recommendation", token, {
      recommendationId: mine,
      ...forged,
    });
    expect(claim.status).toBe(200);
    const stolen = await s.action("claim-recommendation", token, {
      recommendationId: theirs,
      ...forged,
    });
    expect(stolen.status).toBe(404);
    const release = await s.action("release-recommendation", token, {
      recommendationId: theirs,
      ...forged,
    });
    expect(release.status).toBe(404);
    const rows = await db.sql`
      select user_id, status, updated_by from public.recommendations where id in (${mine!}, ${theirs!}) order by id`;
    expect(rows).toEqual([
      { user_id: me.id, status: "claimed", updated_by: `user:${me.id}` },
      { user_id: other.id, status: "open", updated_by: "system:test" },
    ]);
  });
});
