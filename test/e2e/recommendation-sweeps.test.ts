import { describe, expect, it } from "vitest";
import { INNGEST_APP_ID } from "../../inngest.config.ts";
import { createRecommendations, createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;
const DAY = 86_400_000;
const ACTOR = "system:recommendation-sweeps";

/** A clock the test moves; the sweeps read it once per run. */
function clock(start = new Date()) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

async function rows(userId: string) {
  return db.sql<{ id: number; status: string; updated_by: string }[]>`
    select id, status, updated_by from public.recommendations where user_id = ${userId} order by id`;
}

describe("scheduled sweeps", () => {
  it("expires open recommendations past their expiry, as the system actor, and a second run changes nothing", async () => {
    const time = clock();
    const s = stack.arrange({ now: time.now });
    const user = await createUser(db.sql);
    const [soon] = await createRecommendations(db.sql, user.id, 1, {
      expiresAt: new Date(time.now().getTime() + DAY),
    });
    const [later] = await createRecommendations(db.sql, user.id, 1, {
      expiresAt: new Date(time.now().getTime() + 7 * DAY),
    });
    time.advance(2 * DAY);

    const [run] = await s.executor.tick(`${INNGEST_APP_ID}-expire-recommendations`);
    expect(run).toMatchObject({ status: "completed", result: { expired: 1 } });
    expect(await rows(user.id)).toEqual([
      { id: soon, status: "expired", updated_by: ACTOR },
      { id: later, status: "open", updated_by: "system:test" },
    ]);
    const [again] = await s.executor.tick(`${INNGEST_APP_ID}-expire-recommendations`);
    expect(again).toMatchObject({ result: { expired: 0 } });
  });

  it("warns a claim once at day 10, releases it after day 14 so the slot and the issue are free, then changes nothing", async () => {
    let offset = 0;
    const s = stack.arrange({ now: () => new Date(Date.now() + offset) });
    const user = await createUser(db.sql);
    const [rec, other] = await createRecommendations(db.sql, user.id, 2, {
      expiresAt: new Date(Date.now() + 30 * DAY),
    });
    const token = await s.userToken(user);
    expect((await s.action("claim-recommendation", token, { recommendationId: rec })).status).toBe(
      200,
    );
    const fn = `${INNGEST_APP_ID}-release-idle-claims`;
    const expiring = () =>
      s.executor.stored.events.filter((e) => e.event.name === "recommendation/claim.expiring");

    offset = 9 * DAY;
    expect((await s.executor.tick(fn))[0]).toMatchObject({ result: { warned: 0, released: 0 } });

    offset = 11 * DAY;
    expect((await s.executor.tick(fn))[0]).toMatchObject({ result: { warned: 1, released: 0 } });
    expect(expiring().map((e) => e.event.data)).toEqual([
      { userId: user.id, recommendationId: rec, claimExpiresAt: expect.any(String) },
    ]);
    expect((await s.executor.tick(fn))[0]).toMatchObject({ result: { warned: 0, released: 0 } });

    offset = 15 * DAY;
    expect((await s.executor.tick(fn))[0]).toMatchObject({ result: { warned: 0, released: 1 } });
    expect(await rows(user.id)).toEqual([
      { id: rec, status: "open", updated_by: ACTOR },
      { id: other, status: "open", updated_by: "system:test" },
    ]);
    expect((await s.executor.tick(fn))[0]).toMatchObject({ result: { warned: 0, released: 0 } });
    expect(expiring()).toHaveLength(1);
  });

  it("does not release a claim whose pull request is being verified, unless the verification is stuck for a day", async () => {
    let offset = 0;
    const s = stack.arrange({ now: () => new Date(Date.now() + offset) });
    const user = await createUser(db.sql);
    const [rec] = await createRecommendations(db.sql, user.id, 1, {
      expiresAt: new Date(Date.now() + 30 * DAY),
    });
    const token = await s.userToken(user);
    expect((await s.action("claim-recommendation", token, { recommendationId: rec })).status).toBe(
      200,
    );
    await db.sql`
      insert into public.recommendation_completions
        (recommendation_id, user_id, pr_owner, pr_repo, pr_number, created_by, updated_by)
      values (${rec!}, ${user.id}, 'octo', 'demo', 7, ${`user:${user.id}`}, ${`user:${user.id}`})`;
    const fn = `${INNGEST_APP_ID}-release-idle-claims`;

    offset = 15 * DAY;
    await db.sql`update public.recommendation_completions set updated_at = now() + ${`${14.5 * 24} hours`}::interval where recommendation_id = ${rec!}`;
    expect((await s.executor.tick(fn))[0]).toMatchObject({ result: { released: 0 } });

    await db.sql`update public.recommendation_completions set updated_at = now() + ${`${13 * 24} hours`}::interval where recommendation_id = ${rec!}`;
    expect((await s.executor.tick(fn))[0]).toMatchObject({ result: { released: 1 } });
  });
});
