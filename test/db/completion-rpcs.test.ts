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
