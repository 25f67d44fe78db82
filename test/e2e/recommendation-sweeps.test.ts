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

  describe("per-run bound (2 rows per batch × 2 batches)", () => {
    const sweepBounds = { batch: 2, batches: 2 };
    /** Rows of these users by status and last writer. */
    const tally = (userIds: string[]) => db.sql`
      select status, updated_by, count(*)::int as n from public.recommendations
       where user_id in ${db.sql(userIds)} group by status, updated_by order by status, updated_by`;

    it("expire-recommendations changes 4 of 7 due rows and reports more, the next run the other 3, then nothing", async () => {
      const time = clock();
      const s = stack.arrange({ now: time.now, sweepBounds, github: false });
      // Two users: the bound is per run, not per user.
      const users = [await createUser(db.sql), await createUser(db.sql)];
      await createRecommendations(db.sql, users[0]!.id, 4, {
        expiresAt: new Date(time.now().getTime() + DAY),
      });
      await createRecommendations(db.sql, users[1]!.id, 3, {
        expiresAt: new Date(time.now().getTime() + DAY),
      });
      time.advance(2 * DAY);
      const fn = `${INNGEST_APP_ID}-expire-recommendations`;
      const ids = users.map((u) => u.id);
      const [first] = await s.executor.tick(fn);
      expect(first).toMatchObject({ status: "completed", result: { expired: 4, more: true } });
      expect(first!.steps.map((st) => [st.id, st.data])).toEqual([
        ["read-clock", expect.any(String)],
        ["expire-batch-1", 2],
        ["expire-batch-2", 2],
      ]);
      expect(await tally(ids)).toEqual([
        { status: "expired", updated_by: ACTOR, n: 4 },
        { status: "open", updated_by: "system:test", n: 3 },
      ]);

      const [second] = await s.executor.tick(fn);
      expect(second).toMatchObject({ status: "completed", result: { expired: 3, more: false } });
      const [third] = await s.executor.tick(fn);
      expect(third).toMatchObject({ status: "completed", result: { expired: 0, more: false } });
      expect(await tally(ids)).toEqual([{ status: "expired", updated_by: ACTOR, n: 7 }]);
    });

    it("release-idle-claims releases 4 of 7 idle claims and reports more, the next run the other 3, then nothing", async () => {
      const time = clock();
      const s = stack.arrange({ now: time.now, sweepBounds, github: false });
      const user = await createUser(db.sql);
      const ids = await createRecommendations(db.sql, user.id, 7, {
        expiresAt: new Date(time.now().getTime() + 30 * DAY),
      });
      // Claimed 15 days ago: past the 14-day deadline, so released, not warned.
      await db.sql`
        update public.recommendations
           set status = 'claimed', claimed_at = ${new Date(time.now().getTime() - 15 * DAY)},
               claim_expires_at = ${new Date(time.now().getTime() - DAY)}
         where id in ${db.sql(ids)}`;
      const fn = `${INNGEST_APP_ID}-release-idle-claims`;

      const [first] = await s.executor.tick(fn);
      expect(first).toMatchObject({
        status: "completed",
        result: { warned: 0, released: 4, more: true },
      });
      expect(await tally([user.id])).toEqual([
        { status: "claimed", updated_by: "system:test", n: 3 },
        { status: "open", updated_by: ACTOR, n: 4 },
      ]);
      const [second] = await s.executor.tick(fn);
      expect(second).toMatchObject({ result: { warned: 0, released: 3, more: false } });
      const [third] = await s.executor.tick(fn);
      expect(third).toMatchObject({ result: { warned: 0, released: 0, more: false } });
      expect(await tally([user.id])).toEqual([{ status: "open", updated_by: ACTOR, n: 7 }]);
    });

    it("refuses a bound out of range when the functions are created", () => {
      for (const bounds of [
        { batch: 0, batches: 2 },
        { batch: 501, batches: 2 },
        { batch: 2, batches: 0 },
        { batch: 2, batches: 11 },
        { batch: 2.5, batches: 2 },
      ])
        expect(() => stack.arrange({ sweepBounds: bounds, github: false })).toThrow(/sweepBounds/);
    });
  });
});
