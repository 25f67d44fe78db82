import { describe, expect, it } from "vitest";
import { asRole, sqlState } from "../support/as-role.ts";
import { createRecommendations, createUser } from "../support/fixtures.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();

describe("roles and row level security", () => {
  it("refuses the claim RPC to anon and to authenticated users, even for their own recommendation", async () => {
    const user = await createUser(db.sql);
    const [recId] = await createRecommendations(db.sql, user.id, 1);
    for (const role of ["anon", "authenticated"] as const) {
      const attempt = asRole(
        db.sql,
        role,
        { sub: user.id, role },
        (tx) => tx`select * from public.claim_recommendation_atomic(${recId!}, ${user.id})`,
      );
      await expect(attempt).rejects.toMatchObject({ code: "42501" });
    }
    const [row] = await db.sql`select status from public.recommendations where id = ${recId!}`;
    expect(row!.status).toBe("open");
  });

  it("refuses the read RPCs to anon and to authenticated users, even for their own rows", async () => {
    const user = await createUser(db.sql);
    await createRecommendations(db.sql, user.id, 1);
    const codes: Record<string, string> = {};
    for (const role of ["anon", "authenticated"] as const) {
      codes[`${role} get_profile`] = await asRole(db.sql, role, { sub: user.id, role }, (tx) =>
        sqlState(tx`select * from public.get_profile(${user.id})`),
      );
      codes[`${role} list_recommendations`] = await asRole(
        db.sql,
        role,
        { sub: user.id, role },
        (tx) => sqlState(tx`select * from public.list_recommendations(${user.id}, null, 10)`),
      );
    }
    expect(codes).toEqual({
      "anon get_profile": "42501",
      "anon list_recommendations": "42501",
      "authenticated get_profile": "42501",
      "authenticated list_recommendations": "42501",
    });
  });

  it("grants EXECUTE on every function in public to service_role only", async () => {
    // Enumerated from the catalog, so a new RPC that forgets its grants fails here.
    const fns = await db.sql<{ sig: string }[]>`
      select p.oid::regprocedure::text as sig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.prokind = 'f'`;
    expect(fns.map((f) => f.sig)).toEqual(
      expect.arrayContaining([
        "claim_recommendation_atomic(bigint,uuid)",
        "get_profile(uuid)",
        "list_recommendations(uuid,bigint,integer)",
        "record_audit(text,uuid,text,text,bigint,jsonb,integer,smallint,text,text,text[])",
      ]),
    );
    for (const { sig } of fns) {
      const [row] = await db.sql`
        select has_function_privilege('anon', ${sig}::regprocedure, 'execute') as anon,
               has_function_privilege('authenticated', ${sig}::regprocedure, 'execute') as authenticated,
               has_function_privilege('service_role', ${sig}::regprocedure, 'execute') as service_role,
               exists (select 1 from aclexplode((select proacl from pg_proc where oid = ${sig}::regprocedure)) a where a.grantee = 0) as public`;
      expect(row, sig).toEqual({
        anon: false,
        authenticated: false,
        service_role: true,
        public: false,
      });
    }
  });

  it("refuses direct table reads to signed-in users and anon, even of their own rows", async () => {
    const a = await createUser(db.sql);
    await createRecommendations(db.sql, a.id, 2);
    const codes: Record<string, string> = {};
    for (const role of ["authenticated", "anon"] as const) {
      for (const table of ["recommendations", "profiles"]) {
        codes[`${role} ${table}`] = await asRole(db.sql, role, { sub: a.id, role }, (tx) =>
          sqlState(tx.unsafe(`select id from public.${table}`)),
        );
      }
    }
    expect(codes).toEqual({
      "authenticated recommendations": "42501",
      "authenticated profiles": "42501",
      "anon recommendations": "42501",
      "anon profiles": "42501",
    });
  });

  it("keeps the read policies: were SELECT granted again, a signed-in user would see only their own rows", async () => {
    const a = await createUser(db.sql);
    const b = await createUser(db.sql);
    await createRecommendations(db.sql, a.id, 2);
    await createRecommendations(db.sql, b.id, 3);
    const seen = await asRole(
      db.sql,
      "authenticated",
      { sub: a.id, role: "authenticated" },
      async (tx) => ({
        recs: await tx`select distinct user_id from public.recommendations`,
        profiles: await tx`select id from public.profiles`,
      }),
      (tx) => tx`grant select on public.recommendations, public.profiles to authenticated`,
    );
    expect(seen.recs).toEqual([{ user_id: a.id }]);
    expect(seen.profiles).toEqual([{ id: a.id }]);
  });

  it("refuses direct writes by signed-in users, even to their own rows", async () => {
    const a = await createUser(db.sql);
    const [recId] = await createRecommendations(db.sql, a.id, 1);
    const attempt = asRole(
      db.sql,
      "authenticated",
      { sub: a.id, role: "authenticated" },
      (tx) =>
        tx`update public.recommendations set status = 'claimed', claimed_at = now(), claim_expires_at = now() where id = ${recId!}`,
    );
    await expect(attempt).rejects.toMatchObject({ code: "42501" });
  });

  it("has RLS enabled on every table in public", async () => {
    const rows = await db.sql<{ relname: string; relrowsecurity: boolean }[]>`
      select c.relname, c.relrowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`;
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows.filter((r) => !r.relrowsecurity).map((r) => r.relname)).toEqual([]);
  });

  it("pins search_path to '' on every SECURITY DEFINER function in public", async () => {
    const rows = await db.sql<{ proname: string; proconfig: string[] | null }[]>`
      select p.proname, p.proconfig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.prosecdef`;
    expect(rows.map((r) => r.proname)).toContain("claim_recommendation_atomic");
    for (const r of rows) expect(r.proconfig, r.proname).toContain('search_path=""');
  });
});
