-- Grants that hold on Supabase: anon and authenticated get nothing in public, now or
-- for objects created later; clients read through server actions (service_role).
-- Default privileges below are the migration owner's: `postgres` on Supabase.

-- PUBLIC's EXECUTE on new functions is a global default, which the per-schema revoke
-- in 20261122000000 cannot remove. Each RPC grants EXECUTE explicitly.
alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;

-- Supabase's defaults let anon/authenticated setval() identity sequences.
revoke all on all sequences in schema public from public, anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;

-- pg_graphql shows any table a role can SELECT, RLS or not (splinter 0026/0027); and
-- the first migration's revoke list missed MAINTAIN (Postgres 17). The read policies
-- stay: defense in depth should a grant come back, and lint 0008 stays quiet.
revoke all on all tables in schema public from public, anon, authenticated;
alter default privileges in schema public revoke all on tables from anon, authenticated;

-- Deleting a candidate issue cascades to its recommendations through this column
-- (splinter 0001: the unique (user_id, candidate_issue_id) index does not lead with it).
create index recommendations_candidate_issue_idx on public.recommendations (candidate_issue_id);
