import type { Sql } from "postgres";
import { describe, expect, it } from "vitest";
import { rolledBack } from "../support/as-role.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();

// Schemas every splinter lint skips (the platform's own), as upstream lists them.
const EXCLUDED_SCHEMAS = [
  "_timescaledb_cache",
  "_timescaledb_catalog",
  "_timescaledb_config",
  "_timescaledb_internal",
  "auth",
  "cron",
  "extensions",
  "graphql",
  "graphql_public",
  "information_schema",
  "net",
  "pgmq",
  "pgroonga",
  "pgsodium",
  "pgsodium_masks",
  "pgtle",
  "pgbouncer",
  "pg_catalog",
  "realtime",
  "repack",
  "storage",
  "supabase_functions",
  "supabase_migrations",
  "tiger",
  "topology",
  "vault",
];

// Port of supabase/splinter@55db5b1 lints/0027_pg_graphql_authenticated_table_exposed.sql (0026: role anon).
function graphqlExposed(tx: Sql, role: "anon" | "authenticated") {
  return tx<{ object: string; object_type: string }[]>`
    with exposed_objects as (
      select
        n.nspname as schema_name,
        c.relname as object_name,
        c.relkind as object_relkind,
        case c.relkind
          when 'r' then 'table'
          when 'v' then 'view'
          when 'm' then 'materialized view'
          when 'f' then 'foreign table'
        end as object_type
      from
        pg_catalog.pg_class c
        join pg_catalog.pg_namespace n
          on c.relnamespace = n.oid
      where
        c.relkind in ('r', 'v', 'm', 'f')
        and exists (
          select 1
          from pg_catalog.pg_attribute a
          where a.attrelid = c.oid
            and a.attnum > 0
            and not a.attisdropped
            and pg_catalog.has_column_privilege(${role}::name, c.oid, a.attnum, 'SELECT')
        )
        -- upstream also requires pg_graphql to be installed; the embedded server has none
        and n.nspname not in ${tx(EXCLUDED_SCHEMAS)}
    )
    select format('%s.%s', schema_name, object_name) as object, object_type
    from exposed_objects
    order by schema_name, object_name`;
}

// Port of supabase/splinter@55db5b1 lints/0001_unindexed_foreign_keys.sql.
function unindexedForeignKeys(tx: Sql) {
  return tx<{ fkey: string }[]>`
    with foreign_keys as (
      select
        cl.relnamespace::regnamespace::text as schema_name,
        cl.relname as table_name,
        cl.oid as table_oid,
        ct.conname as fkey_name,
        ct.conkey as col_attnums
      from
        pg_catalog.pg_constraint ct
        join pg_catalog.pg_class cl
          on ct.conrelid = cl.oid
        left join pg_catalog.pg_depend d
          on d.objid = cl.oid
          and d.deptype = 'e'
      where
        ct.contype = 'f'
        and d.objid is null
    ),
    index_ as (
      select
        pi.indrelid as table_oid,
        indexrelid::regclass as index_,
        string_to_array(indkey::text, ' ')::smallint[] as col_attnums
      from pg_catalog.pg_index pi
      where indisvalid
    )
    select format('%s.%s %s', fk.schema_name, fk.table_name, fk.fkey_name) as fkey
    from
      foreign_keys fk
      left join index_ idx
        on fk.table_oid = idx.table_oid
        and fk.col_attnums = idx.col_attnums[1:array_length(fk.col_attnums, 1)]
    where
      idx.index_ is null
      and fk.schema_name not in ${tx(EXCLUDED_SCHEMAS)}
    order by 1`;
}

describe("Supabase's database linter (splinter), ported", () => {
  it("0026: no table is visible to anon through pg_graphql", async () => {
    expect(await graphqlExposed(db.sql, "anon")).toEqual([]);
  });

  it("0027: no table is visible to signed-in users through pg_graphql", async () => {
    expect(await graphqlExposed(db.sql, "authenticated")).toEqual([]);
  });

  it("0026/0027 as ported catch a table-level and a column-level SELECT grant", async () => {
    const found = await rolledBack(db.sql, async (tx) => {
      await tx`grant select on public.audits to anon`;
      await tx`grant select (id) on public.candidate_issues to authenticated`;
      return {
        anon: await graphqlExposed(tx, "anon"),
        authenticated: await graphqlExposed(tx, "authenticated"),
      };
    });
    expect(found).toEqual({
      anon: [{ object: "public.audits", object_type: "table" }],
      authenticated: [{ object: "public.candidate_issues", object_type: "table" }],
    });
  });

  it("0001: every foreign key has an index led by its columns", async () => {
    expect(await unindexedForeignKeys(db.sql)).toEqual([]);
  });

  it("indexes recommendations.candidate_issue_id, which deleting a candidate issue cascades through", async () => {
    const rows = await db.sql`
      select ic.relname as index
      from pg_index i
        join pg_class ic on ic.oid = i.indexrelid
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indrelid = 'public.recommendations'::regclass
        and a.attname = 'candidate_issue_id'
        and i.indisvalid`;
    expect(rows).toEqual([{ index: "recommendations_candidate_issue_idx" }]);
  });
});
