import { describe, expect, it } from "vitest";
import {
  ClaimLimitReachedError,
  InvalidArgumentsError,
  RecommendationNotClaimedError,
  RecommendationNotFoundError,
  RecommendationNotOpenError,
} from "../../src/db/rpc/errors.ts";
import { createRpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { activeClaims, createRecommendations, createUser } from "../support/fixtures.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
const CONCURRENCY = 24;
const ROUNDS = 15;

function serviceRpc(max: number) {
  return createRpcClient(createSqlTransport(createSql(db.url, { max, role: "service_role" })));
}

describe("claim_recommendation_atomic under contention", () => {
  it(`never lets ${CONCURRENCY} concurrent connections push one user above 3 active claims`, async () => {
    const rpc = serviceRpc(CONCURRENCY);
    const user = await createUser(db.sql);
    const recs = await createRecommendations(db.sql, user.id, CONCURRENCY);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        await db.sql`update public.recommendations set status = 'open', claimed_at = null, claim_expires_at = null where user_id = ${user.id}`;
        const outcomes = await Promise.allSettled(
          recs.map((id) =>
            rpc.call("claim_recommendation_atomic", { p_rec_id: id, p_user_id: user.id }),
          ),
        );
        const won = outcomes.filter((o) => o.status === "fulfilled");
        const refused = outcomes
          .filter((o) => o.status === "rejected")
          .map((o): unknown => o.reason);
        expect(won, `round ${round}`).toHaveLength(3);
        expect(
          refused.every((e) => e instanceof ClaimLimitReachedError),
          `round ${round}`,
        ).toBe(true);
        expect(await activeClaims(db.sql, user.id), `round ${round}`).toBe(3);
      }
    } finally {
      await rpc.close();
    }
  });

  it("the same harness does push the naive form (docs/claim-cap.md) over the cap (the test can see a race)", async () => {
    // Control: if this stopped failing the naive form, the contention above would prove nothing.
    await db.sql.unsafe(`
      create schema if not exists naive;
      create or replace function naive.claim(p_rec_id bigint, p_user_id uuid) returns table (id bigint)
      language plpgsql as $$
      declare
        v_active bigint;
      begin
        select count(*) into v_active from public.recommendations c
         where c.user_id = p_user_id and c.status = 'claimed';
        -- Check, then act: the naive form's race, its window widened so that the control
        -- races on any machine (it flaked when a loaded CPU ran the 24 calls one by one).
        perform pg_sleep(0.3);
        if v_active < 3 then
          return query
            update public.recommendations r
               set status = 'claimed', claimed_at = now(), claim_expires_at = now() + interval '14 days'
             where r.id = p_rec_id and r.user_id = p_user_id and r.status = 'open'
            returning r.id;
        end if;
      end
      $$;`);
    const sql = createSql(db.url, { max: CONCURRENCY });
    const user = await createUser(db.sql);
    const recs = await createRecommendations(db.sql, user.id, CONCURRENCY);
    let worst = 0;
    try {
      for (let round = 0; round < ROUNDS && worst <= 3; round++) {
        await db.sql`update public.recommendations set status = 'open', claimed_at = null, claim_expires_at = null where user_id = ${user.id}`;
        await Promise.all(recs.map((id) => sql`select * from naive.claim(${id}, ${user.id})`));
        worst = Math.max(worst, await activeClaims(db.sql, user.id));
      }
    } finally {
      await sql.end();
    }
    expect(worst).toBeGreaterThan(3);
  });
});

describe("claim_recommendation_atomic rules", () => {
  it("claims an open recommendation, records the user as actor, and is idempotent for the holder", async () => {
    const rpc = serviceRpc(2);
    const user = await createUser(db.sql);
    const [recId] = await createRecommendations(db.sql, user.id, 1);
    expect(
      await rpc.call("claim_recommendation_atomic", { p_rec_id: recId!, p_user_id: user.id }),
    ).toEqual([{ id: recId }]);
    const [row] =
      await db.sql`select status, updated_by, claimed_at, extract(epoch from claim_expires_at - claimed_at)::int as ttl_seconds from public.recommendations where id = ${recId!}`;
    expect(row).toMatchObject({ status: "claimed", updated_by: `user:${user.id}` });
    expect(row!.ttl_seconds).toBe(14 * 86_400);
    // A retry of the same claim answers the same id and changes nothing.
    expect(
      await rpc.call("claim_recommendation_atomic", { p_rec_id: recId!, p_user_id: user.id }),
    ).toEqual([{ id: recId }]);
    expect(await activeClaims(db.sql, user.id)).toBe(1);
    await rpc.close();
  });

  it("does not count expired claims toward the cap", async () => {
    const rpc = serviceRpc(2);
    const user = await createUser(db.sql);
    const recs = await createRecommendations(db.sql, user.id, 4);
    await db.sql`
      update public.recommendations
      set status = 'claimed', claimed_at = now() - interval '15 days', claim_expires_at = now() - interval '1 day'
      where id in ${db.sql(recs.slice(0, 3))}`;
    expect(
      await rpc.call("claim_recommendation_atomic", { p_rec_id: recs[3]!, p_user_id: user.id }),
    ).toEqual([{ id: recs[3] }]);
    expect(await activeClaims(db.sql, user.id)).toBe(1);
    await rpc.close();
  });

  it("refuses someone else's recommendation as not found and changes nothing", async () => {
    const rpc = serviceRpc(2);
    const owner = await createUser(db.sql);
    const intruder = await createUser(db.sql);
    const [recId] = await createRecommendations(db.sql, owner.id, 1);
    await expect(
      rpc.call("claim_recommendation_atomic", { p_rec_id: recId!, p_user_id: intruder.id }),
    ).rejects.toBeInstanceOf(RecommendationNotFoundError);
    const [row] =
      await db.sql`select status, updated_by from public.recommendations where id = ${recId!}`;
    expect(row).toEqual({ status: "open", updated_by: "system:test" });
    await rpc.close();
  });

  it("refuses expired, completed and unknown recommendations with typed errors", async () => {
    const rpc = serviceRpc(2);
    const user = await createUser(db.sql);
    const [expired] = await createRecommendations(db.sql, user.id, 1, {
      expiresAt: new Date(Date.now() - 1000),
    });
    const [completed] = await createRecommendations(db.sql, user.id, 1);
    await db.sql`update public.recommendations set status = 'completed', completed_at = now() where id = ${completed!}`;
    await expect(
      rpc.call("claim_recommendation_atomic", { p_rec_id: expired!, p_user_id: user.id }),
    ).rejects.toBeInstanceOf(RecommendationNotOpenError);
    await expect(
      rpc.call("claim_recommendation_atomic", { p_rec_id: completed!, p_user_id: user.id }),
    ).rejects.toBeInstanceOf(RecommendationNotOpenError);
    await expect(
      rpc.call("claim_recommendation_atomic", { p_rec_id: 987_654_321, p_user_id: user.id }),
    ).rejects.toBeInstanceOf(RecommendationNotFoundError);
    await expect(
      rpc.call("claim_recommendation_atomic", { p_rec_id: -1, p_user_id: "not-a-uuid" }),
    ).rejects.toBeInstanceOf(InvalidArgumentsError);
    expect(await activeClaims(db.sql, user.id)).toBe(0);
    await rpc.close();
  });

  it("the fourth sequential claim is refused with ClaimLimitReachedError", async () => {
    const rpc = serviceRpc(1);
    const user = await createUser(db.sql);
    const recs = await createRecommendations(db.sql, user.id, 4);
    for (const id of recs.slice(0, 3))
      await rpc.call("claim_recommendation_atomic", { p_rec_id: id, p_user_id: user.id });
    await expect(
      rpc.call("claim_recommendation_atomic", { p_rec_id: recs[3]!, p_user_id: user.id }),
    ).rejects.toThrow(ClaimLimitReachedError);
    const [row] = await db.sql`select status from public.recommendations where id = ${recs[3]!}`;
    expect(row!.status).toBe("open");
    await rpc.close();
  });
});

describe("release_recommendation", () => {
  it("gives a claim back, records the actor, and frees a slot under the cap", async () => {
    const rpc = serviceRpc(1);
    const user = await createUser(db.sql);
    const recs = await createRecommendations(db.sql, user.id, 4);
    for (const id of recs.slice(0, 3))
      await rpc.call("claim_recommendation_atomic", { p_rec_id: id, p_user_id: user.id });
    await db.sql`update public.recommendations set updated_by = 'system:test' where id = ${recs[0]!}`;
    expect(
      await rpc.call("release_recommendation", { p_rec_id: recs[0]!, p_user_id: user.id }),
    ).toEqual([{ id: recs[0], status: "open" }]);
    const [row] =
      await db.sql`select status, claimed_at, updated_by from public.recommendations where id = ${recs[0]!}`;
    expect(row).toEqual({ status: "open", claimed_at: null, updated_by: `user:${user.id}` });
    expect(
      await rpc.call("claim_recommendation_atomic", { p_rec_id: recs[3]!, p_user_id: user.id }),
    ).toEqual([{ id: recs[3] }]);
    await rpc.close();
  });

  it("refuses to release what is not claimed, or not the caller's", async () => {
    const rpc = serviceRpc(1);
    const owner = await createUser(db.sql);
    const other = await createUser(db.sql);
    const [recId] = await createRecommendations(db.sql, owner.id, 1);
    await expect(
      rpc.call("release_recommendation", { p_rec_id: recId!, p_user_id: owner.id }),
    ).rejects.toBeInstanceOf(RecommendationNotClaimedError);
    await rpc.call("claim_recommendation_atomic", { p_rec_id: recId!, p_user_id: owner.id });
    await expect(
      rpc.call("release_recommendation", { p_rec_id: recId!, p_user_id: other.id }),
    ).rejects.toBeInstanceOf(RecommendationNotFoundError);
    expect(await activeClaims(db.sql, owner.id)).toBe(1);
    await rpc.close();
  });
});
