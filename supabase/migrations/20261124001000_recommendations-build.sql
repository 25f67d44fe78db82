-- Building recommendations (the recommendations-build function). Candidate issues are a
-- cache shared by every user of an installation: each repository records when its
-- candidates were last fetched, so many users cost one GitHub search batch per freshness
-- window. A refresh takes a short lease per repository so that two runs racing for users
-- of one installation do not both search GitHub.

create table public.candidate_repositories (
  repo_full_name text primary key,
  installation_id bigint not null,
  fetched_at timestamptz,
  -- Held by the run refreshing this repository; another run skips it until it lapses.
  lease_owner text,
  lease_until timestamptz,
  updated_at timestamptz not null default now(),
  updated_by public.actor not null
);
alter table public.candidate_repositories enable row level security;
revoke all on public.candidate_repositories from public, anon, authenticated;
grant all on public.candidate_repositories to service_role;

-- What ranking reads about an issue, as GitHub reported it at fetch time.
alter table public.candidate_issues
  add column issue_created_at timestamptz,
  add column issue_updated_at timestamptz,
  add column assigned boolean not null default false;
create index candidate_issues_repo_open_idx on public.candidate_issues (repo_full_name) where state = 'open';

-- The repositories of the user's active installations (the account's own or the ones the
-- user installed, as the installation policy reads them) and when each was fetched.
create function public.recommendation_build_context(p_user_id uuid)
returns table (installation_id bigint, repo_full_name text, fetched_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select distinct on (r.full_name) i.id, r.full_name, c.fetched_at
    from public.profiles p
    join public.github_installations i
      on i.status = 'active' and p.github_id in (i.account_id, i.installed_by_github_id)
    join public.github_installation_repositories r on r.installation_id = i.id
    left join public.candidate_repositories c on c.repo_full_name = r.full_name
   where p.id = p_user_id
   order by r.full_name, i.id
$$;

revoke all on function public.recommendation_build_context(uuid) from public, anon, authenticated;
grant execute on function public.recommendation_build_context(uuid) to service_role;

-- Leases the given repositories whose candidates are older than p_fresh_seconds (or were
-- never fetched) to p_lease_owner, and returns them: the caller searches GitHub for these
-- only. A retry by the same owner gets its own lease back.
create function public.claim_candidate_refresh(
  p_installation_id bigint,
  p_repositories text[],
  p_fresh_seconds integer,
  p_lease_seconds integer,
  p_lease_owner text,
  p_actor text
)
returns table (repo_full_name text)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_installation_id is null or p_repositories is null or p_lease_owner is null
     or p_fresh_seconds is null or p_fresh_seconds < 0
     or p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception using errcode = '22023', message = 'installation, repositories, lease owner, freshness and a lease of 1..3600 s are required';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'candidate refreshes write as a named system actor';
  end if;
  insert into public.candidate_repositories (repo_full_name, installation_id, updated_by)
  select distinct x, p_installation_id, p_actor::public.actor from unnest(p_repositories) x
  on conflict on constraint candidate_repositories_pkey do nothing;

  return query
  with due as (
    select c.repo_full_name from public.candidate_repositories c
     where c.repo_full_name = any (p_repositories)
       and (c.fetched_at is null or c.fetched_at <= now() - make_interval(secs => p_fresh_seconds))
       and (c.lease_until is null or c.lease_until <= now() or c.lease_owner = p_lease_owner)
     order by c.repo_full_name
     for update skip locked
  )
  update public.candidate_repositories c
     set installation_id = p_installation_id, lease_owner = p_lease_owner,
         lease_until = now() + make_interval(secs => p_lease_seconds),
         updated_at = now(), updated_by = p_actor::public.actor
    from due where c.repo_full_name = due.repo_full_name
  returning c.repo_full_name;
end;
$$;

revoke all on function public.claim_candidate_refresh(bigint, text[], integer, integer, text, text) from public, anon, authenticated;
grant execute on function public.claim_candidate_refresh(bigint, text[], integer, integer, text, text) to service_role;

-- Stores what one search batch found for the repositories p_lease_owner leased: issues
-- are upserted by GitHub id, open issues of those repositories that the search no longer
-- returns are closed (assigned, relabelled or closed on GitHub), and the repositories are
-- marked fresh. Repositories whose lease was lost meanwhile are left alone.
create function public.store_candidate_issues(
  p_repositories text[],
  p_issues jsonb,
  p_lease_owner text,
  p_actor text
)
returns table (stored integer, closed integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_repos text[];
  v_stored integer;
  v_closed integer;
begin
  if p_repositories is null or p_lease_owner is null or p_issues is null or jsonb_typeof(p_issues) <> 'array' then
    raise exception using errcode = '22023', message = 'repositories, lease owner and an issue array are required';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'candidate refreshes write as a named system actor';
  end if;
  select coalesce(array_agg(held.repo_full_name), '{}') into v_repos
    from (select c.repo_full_name from public.candidate_repositories c
           where c.repo_full_name = any (p_repositories) and c.lease_owner = p_lease_owner
           for update) held;

  insert into public.candidate_issues as ci (
    github_issue_id, repo_full_name, number, title, html_url, language, labels, state,
    issue_created_at, issue_updated_at, assigned, fetched_at, updated_by)
  select i.github_issue_id, i.repo_full_name, i.number, i.title, i.html_url, i.language,
         coalesce(i.labels, '{}'), 'open', i.created_at, i.updated_at, coalesce(i.assigned, false),
         now(), p_actor::public.actor
    from jsonb_to_recordset(p_issues) as i (
      github_issue_id bigint, repo_full_name text, number integer, title text, html_url text,
      language text, labels text[], created_at timestamptz, updated_at timestamptz, assigned boolean)
   where i.repo_full_name = any (v_repos)
  on conflict (github_issue_id) do update
     set repo_full_name = excluded.repo_full_name, number = excluded.number,
         title = excluded.title, html_url = excluded.html_url, language = excluded.language,
         labels = excluded.labels, state = 'open', issue_created_at = excluded.issue_created_at,
         issue_updated_at = excluded.issue_updated_at, assigned = excluded.assigned,
         fetched_at = now(), updated_by = excluded.updated_by;
  get diagnostics v_stored = row_count;

  update public.candidate_issues ci
     set state = 'closed', fetched_at = now(), updated_by = p_actor::public.actor
   where ci.repo_full_name = any (v_repos) and ci.state = 'open'
     and ci.github_issue_id not in (
       select (x ->> 'github_issue_id')::bigint from jsonb_array_elements(p_issues) x);
  get diagnostics v_closed = row_count;

  update public.candidate_repositories c
     set fetched_at = now(), lease_owner = null, lease_until = null,
         updated_at = now(), updated_by = p_actor::public.actor
   where c.repo_full_name = any (v_repos);

  return query select v_stored, v_closed;
end;
$$;

revoke all on function public.store_candidate_issues(text[], jsonb, text, text) from public, anon, authenticated;
grant execute on function public.store_candidate_issues(text[], jsonb, text, text) to service_role;

-- Open candidates in the repositories of the user's active installations, with what
-- ranking needs to skip some: claimed by someone else, or dropped by this user before
-- (released: back to open or expired with the user's own actor; or left to expire).
create function public.recommendation_candidates(p_user_id uuid)
returns table (
  candidate_issue_id bigint,
  repo_full_name text,
  number integer,
  title text,
  labels text[],
  language text,
  issue_created_at timestamptz,
  issue_updated_at timestamptz,
  assigned boolean,
  claimed_by_other boolean,
  dropped boolean
)
language sql
stable
security definer
set search_path = ''
as $$
  select ci.id, ci.repo_full_name, ci.number, ci.title, ci.labels, ci.language,
         coalesce(ci.issue_created_at, ci.fetched_at), coalesce(ci.issue_updated_at, ci.fetched_at),
         ci.assigned,
         exists (select 1 from public.recommendations o
                  where o.candidate_issue_id = ci.id and o.user_id <> p_user_id
                    and o.status in ('claimed', 'completed')),
         exists (select 1 from public.recommendations m
                  where m.candidate_issue_id = ci.id and m.user_id = p_user_id
                    and (m.status = 'expired'
                         or (m.status = 'open' and m.updated_by = ('user:' || p_user_id))))
    from public.candidate_issues ci
   where ci.state = 'open'
     and ci.repo_full_name in (select c.repo_full_name from public.recommendation_build_context(p_user_id) c)
   order by ci.id
   limit 2000
$$;

revoke all on function public.recommendation_candidates(uuid) from public, anon, authenticated;
grant execute on function public.recommendation_candidates(uuid) to service_role;

-- Inserts the ranked recommendations, one per (user, candidate issue). An existing open
-- row gets the new score and expiry; claimed, completed and expired rows are untouched,
-- so a retry or rerun adds nothing twice and never reopens what the user acted on.
create function public.upsert_recommendations(
  p_user_id uuid,
  p_items jsonb,
  p_expires_at timestamptz,
  p_actor text
)
returns table (inserted integer, refreshed integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_inserted integer := 0;
  v_refreshed integer := 0;
begin
  if p_user_id is null or p_expires_at is null or p_items is null or jsonb_typeof(p_items) <> 'array' then
    raise exception using errcode = '22023', message = 'user, expiry and an item array are required';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'recommendations are built by a named system actor';
  end if;
  with items as (
    select i.candidate_issue_id, i.rank_score
      from jsonb_to_recordset(p_items) as i (candidate_issue_id bigint, rank_score real)
  ), written as (
    insert into public.recommendations as r (user_id, candidate_issue_id, rank_score, expires_at, created_by, updated_by)
    select p_user_id, items.candidate_issue_id, items.rank_score, p_expires_at, p_actor::public.actor, p_actor::public.actor
      from items
    on conflict (user_id, candidate_issue_id) do update
       set rank_score = excluded.rank_score, expires_at = excluded.expires_at,
           updated_at = now(), updated_by = excluded.updated_by
     where r.status = 'open' and r.updated_by not like 'user:%'
    returning (xmax = 0) as inserted
  )
  select count(*) filter (where written.inserted), count(*) filter (where not written.inserted)
    into v_inserted, v_refreshed from written;
  return query select v_inserted, v_refreshed;
end;
$$;

revoke all on function public.upsert_recommendations(uuid, jsonb, timestamptz, text) from public, anon, authenticated;
grant execute on function public.upsert_recommendations(uuid, jsonb, timestamptz, text) to service_role;
