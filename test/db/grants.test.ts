import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { asRole, rolledBack, sqlState } from "../support/as-role.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
const API_ROLES = ["anon", "authenticated"] as const;
const TABLE_PRIVILEGES = [
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "TRUNCATE",
  "REFERENCES",
  "TRIGGER",
  "MAINTAIN", // Postgres 17
];

async function publicSequences(): Promise<string[]> {
  const rows = await db.sql<{ seq: string }[]>`
    select format('%I.%I', n.nspname, c.relname) as seq
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'S' order by 1`;
  return rows.map((r) => r.seq);
}

describe("sequences in public", () => {
  it("gives anon and authenticated no USAGE, SELECT or UPDATE on any of them", async () => {
    const seqs = await publicSequences();
    expect(seqs).toContain("public.recommendations_id_seq");
    const held = await db.sql`
      select s.seq, r.role, p.privilege
      from unnest(${seqs}::text[]) s (seq)
        cross join unnest(${API_ROLES}::text[]) r (role)
        cross join unnest(array['USAGE', 'SELECT', 'UPDATE']) p (privilege)
      where has_sequence_privilege(r.role, s.seq::regclass, p.privilege)`;
    expect(held).toEqual([]);
  });

  it("refuses setval and nextval to anon and authenticated with 42501", async () => {
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const seq of await publicSequences()) {
      for (const role of API_ROLES) {
        for (const call of ["setval", "nextval"] as const) {
          const key = `${role} ${call}(${seq})`;
          outcomes[key] = await asRole(db.sql, role, { role }, (tx) =>
            sqlState(
              call === "setval"
                ? tx`select setval(${seq}::regclass, 1)`
                : tx`select nextval(${seq}::regclass)`,
            ),
          );
          expected[key] = "42501";
        }
      }
    }
    expect(outcomes).toEqual(expected);
  });
});

describe("tables in public", () => {
  it("gives anon and authenticated no privilege at all on any table, nor on any column", async () => {
    const tables = await db.sql<{ name: string }[]>`
      select format('%I.%I', n.nspname, c.relname) as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')`;
    expect(tables.length).toBeGreaterThanOrEqual(8);
    const held = await db.sql`
      select t.name, r.role, p.privilege
      from unnest(${tables.map((t) => t.name)}::text[]) t (name)
        cross join unnest(${API_ROLES}::text[]) r (role)
        cross join unnest(${TABLE_PRIVILEGES}::text[]) p (privilege)
      where has_table_privilege(r.role, t.name::regclass, p.privilege)
      union all
      select t.name, r.role, 'a column privilege'
      from unnest(${tables.map((t) => t.name)}::text[]) t (name)
        cross join unnest(${API_ROLES}::text[]) r (role)
      where has_any_column_privilege(r.role, t.name::regclass, 'SELECT, INSERT, UPDATE, REFERENCES')`;
    expect(held).toEqual([]);
  });

  it("keeps what service_role needs: schema USAGE, EXECUTE on every RPC, DML on every table", async () => {
    const [row] = await db.sql`
      select has_schema_privilege('service_role', 'public', 'USAGE') as schema_usage,
             (select array_agg(p.proname::text order by p.proname) from pg_proc p
               where p.pronamespace = 'public'::regnamespace
                 and not has_function_privilege('service_role', p.oid, 'EXECUTE')) as not_executable,
             (select array_agg(c.relname::text order by c.relname) from pg_class c
               where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
                 and not has_table_privilege('service_role', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
             ) as tables_without_dml`;
    expect(row).toEqual({ schema_usage: true, not_executable: null, tables_without_dml: null });
    // Tables only SECURITY DEFINER functions write: service_role reads them, nothing more.
    const readOnly = await db.sql<{ table: string; privileges: string[] }[]>`
      select c.relname::text as table,
             array(select p from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                                              'REFERENCES', 'TRIGGER']) p
                    where has_table_privilege('service_role', c.oid, p)) as privileges
        from pg_class c
       where c.oid in ('public.api_keys'::regclass, 'public.candidate_repositories'::regclass,
                       'public.issue_webhook_states'::regclass)
       order by 1`;
    expect(readOnly).toEqual(
      ["api_keys", "candidate_repositories", "issue_webhook_states"].map((table) => ({
        table,
        privileges: ["SELECT"],
      })),
    );
    const ok = await asRole(
      db.sql,
      "service_role",
      {},
      (tx) => tx`select ok from public.healthcheck()`,
    );
    expect(ok).toEqual([{ ok: true }]);
  });
});

describe("default privileges for objects created later in public", () => {
  it("grant nothing to PUBLIC, anon or authenticated, and close new functions globally", async () => {
    const rows = await db.sql<{ owner: string; scope: string; grantees: string[] }[]>`
      select owner, scope, array_agg(distinct grantee order by grantee) as grantees
      from (
        select d.defaclrole::regrole::text as owner,
               case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences'
                 when 'f' then 'functions' when 'T' then 'types' when 'n' then 'schemas' end
                 || coalesce(' in ' || n.nspname, ' (global)') as scope,
               case when a.grantee = 0 then 'PUBLIC' else a.grantee::regrole::text end as grantee
        from pg_default_acl d
          cross join aclexplode(d.defaclacl) a
          left join pg_namespace n on n.oid = d.defaclnamespace
      ) acl
      group by owner, scope order by owner, scope`;
    const [me] = await db.sql<{ owner: string }[]>`select current_user as owner`;
    const owner = me!.owner;
    // Without the global entry, Postgres's built-in default gives PUBLIC EXECUTE.
    expect(rows).toEqual([
      { owner, scope: "functions (global)", grantees: [owner] },
      { owner, scope: "functions in public", grantees: ["service_role"] },
      { owner, scope: "sequences in public", grantees: ["service_role"] },
      { owner, scope: "tables in public", grantees: ["service_role"] },
    ]);
  });

  it("close a new function, table and sequence to PUBLIC, anon and authenticated", async () => {
    const nobody = `cfj_nobody_${randomBytes(4).toString("hex")}`;
    const seen = await rolledBack(db.sql, async (tx) => {
      // A role with no grants holds exactly what PUBLIC holds.
      await tx.unsafe(`
        create role ${nobody} nologin;
        create function public.t_new_fn() returns int language sql as 'select 1';
        create table public.t_new_table (id bigint generated always as identity primary key);
        create sequence public.t_new_seq;`);
      const privileges = await tx`
        select r.role,
               has_function_privilege(r.role, 'public.t_new_fn()', 'EXECUTE') as function,
               has_table_privilege(r.role, 'public.t_new_table', ${TABLE_PRIVILEGES.join(",")}) as table,
               has_sequence_privilege(r.role, 'public.t_new_seq', 'USAGE, SELECT, UPDATE') as sequence,
               has_sequence_privilege(r.role, pg_get_serial_sequence('public.t_new_table', 'id'),
                 'USAGE, SELECT, UPDATE') as identity
        from unnest(array['anon', 'authenticated', ${nobody}, 'service_role']) r (role)`;
      await tx`set local role anon`;
      return { privileges, anonCall: await sqlState(tx`select public.t_new_fn()`) };
    });
    const none = { function: false, table: false, sequence: false, identity: false };
    expect(seen).toEqual({
      privileges: [
        { role: "anon", ...none },
        { role: "authenticated", ...none },
        { role: nobody, ...none },
        { role: "service_role", function: true, table: true, sequence: true, identity: true },
      ],
      anonCall: "42501",
    });
  });
});
