import { describe, expect, it } from "vitest";
import { asRole, sqlState } from "../support/as-role.ts";
import { createRecommendations, createUser } from "../support/fixtures.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();

async function claimedCompletion() {
  const user = await createUser(db.sql);
  const [recId] = await createRecommendations(db.sql, user.id, 1);
  await db.sql`select public.claim_recommendation_atomic(${recId!}, ${user.id}::uuid)`;
  const [row] = await db.sql<{ completion_id: number }[]>`
    select * from public.request_completion(${recId!}, ${user.id}::uuid, 'octo', 'demo', 5)`;
  return { user, recId: recId!, completionId: row!.completion_id };
}

describe("completion RPCs and table, per role", () => {
  it("lets only service_role call the completion RPCs", async () => {
    const { user, recId, completionId } = await claimedCompletion();
    const calls = {
      request: `select * from public.request_completion(${recId}, '${user.id}', 'octo', 'demo', 5)`,
      context: `select * from public.completion_context(${completionId})`,
      verdict: `select * from public.record_completion_verdict(${completionId}, 'accepted', null, 'system:test')`,
    };
    for (const role of ["anon", "authenticated"] as const) {
      for (const [name, query] of Object.entries(calls)) {
        const claims = { sub: user.id, role };
        expect(
          await asRole(db.sql, role, claims, (tx) => sqlState(tx.unsafe(query))),
          `${role} ${name}`,
        ).toBe("42501");
      }
    }
    expect(
      await asRole(db.sql, "service_role", {}, (tx) => sqlState(tx.unsafe(calls.verdict))),
    ).toBe("ok");
  });

  it("refuses a verdict written by a user actor (every verdict is the system's)", async () => {
    const { user, completionId } = await claimedCompletion();
    expect(
      await sqlState(
        db.sql`select * from public.record_completion_verdict(${completionId}, 'accepted', null, ${`user:${user.id}`})`,
      ),
    ).toBe("22023");
  });

  it("gives signed-in users no direct read or write on the completions table", async () => {
    const { user } = await claimedCompletion();
    const other = await claimedCompletion();
    const own = await asRole(
      db.sql,
      "authenticated",
      { sub: user.id, role: "authenticated" },
      (tx) => sqlState(tx`select user_id from public.recommendation_completions`),
    );
    // Table privileges are revoked outright, so even one's own rows are read through RPCs only.
    expect(own).toBe("42501");
    expect(
      await asRole(db.sql, "authenticated", { sub: other.user.id, role: "authenticated" }, (tx) =>
        sqlState(
          tx`update public.recommendation_completions set status = 'accepted' where user_id = ${other.user.id}`,
        ),
      ),
    ).toBe("42501");
  });
});

describe("request_completion on a verification that never finished", () => {
  const request = (userId: string, recId: number) =>
    db.sql<{ completion_id: number; status: string; requests: number }[]>`
      select * from public.request_completion(${recId}, ${userId}::uuid, 'octo', 'demo', 5)`;

  it("re-sends the same request while the verification may still be running", async () => {
    const { user, recId } = await claimedCompletion();
    const [again] = await request(user.id, recId);
    expect([again!.status, again!.requests]).toEqual(["verifying", 1]);
  });

  it("starts a new verification (requests + 1) once the last one is an hour old, naming the user", async () => {
    const { user, recId, completionId } = await claimedCompletion();
    // Its run exhausted its retries: nothing will ever record a verdict for request 1.
    await db.sql`update public.recommendation_completions
                    set updated_at = now() - interval '61 minutes', updated_by = 'system:test'
                  where id = ${completionId}`;
    const [again] = await request(user.id, recId);
    expect([again!.completion_id, again!.status, again!.requests]).toEqual([
      completionId,
      "verifying",
      2,
    ]);
    const [row] = await db.sql<{ updated_by: string; fresh: boolean }[]>`
      select updated_by, updated_at > now() - interval '1 minute' as fresh
        from public.recommendation_completions where id = ${completionId}`;
    expect(row).toEqual({ updated_by: `user:${user.id}`, fresh: true });
    // The retry of that new request re-sends its id rather than bumping again.
    const [retry] = await request(user.id, recId);
    expect(retry!.requests).toBe(2);
  });
});
