-- Keeping candidate issues fresh from GitHub `issues` webhooks (the issue-freshness
-- function). The intake derives from the payload whether the issue is still a candidate
-- (open, unassigned, carrying a newcomer label); this records the newest such verdict per
-- issue, ordered by the issue's updated_at, so that redeliveries, reruns and deliveries
-- arriving out of order converge on what GitHub said last.

create table public.issue_webhook_states (
  github_issue_id bigint primary key,
  installation_id bigint not null,
  repository_id bigint not null,
  issue_number integer not null check (issue_number > 0),
  eligible boolean not null,
  -- The issue's updated_at in the newest verdict: a delivery older than this is stale.
  issue_updated_at timestamptz not null,
  -- The issues action, or 'search' when a newer candidate search superseded the webhook.
  source text not null check (source ~ '^[a-z_]{1,40}$'),
  last_delivery_id text check (last_delivery_id ~ '^[A-Za-z0-9-]{1,100}$'),
  updated_at timestamptz not null default now(),
  updated_by public.actor not null
);
alter table public.issue_webhook_states enable row level security;
revoke all on public.issue_webhook_states from public, anon, authenticated;
grant all on public.issue_webhook_states to service_role;

-- Applies one issues delivery. Unknown installation or a repository it does not list:
-- 'unrelated', nothing written. Older than the recorded verdict: 'stale', nothing written
-- (at the same updated_at the unavailable verdict wins: hiding an issue costs one refresh).
-- Unavailable: the cached candidate is closed and OPEN recommendations for it expire, except
-- the one of the user it was just assigned to (p_keep_github_id). Claimed ones are left to
-- the claimer: their own pull request may be what closed it. Eligible: the repository is
-- searched again on the next build. A rerun of the current verdict writes nothing new.
create function public.apply_issue_event(
  p_installation_id bigint,
  p_repository_id bigint,
  p_issue_id bigint,
  p_issue_number integer,
  p_issue_updated_at timestamptz,
  p_eligible boolean,
  p_keep_github_id bigint,
  p_action text,
  p_delivery_id text,
  p_actor text
)
returns table (outcome text, candidates_closed integer, recommendations_expired integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_repo text;
  v_applied boolean := false;
  v_current boolean := false;
  v_closed integer := 0;
  v_expired integer := 0;
begin
  if p_installation_id is null or p_repository_id is null or p_issue_id is null
     or p_issue_number is null or p_issue_updated_at is null or p_eligible is null
     or p_action is null or p_delivery_id is null then
    raise exception using errcode = '22004', message = 'installation, repository, issue, updated_at, verdict, action and delivery are required';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'issue events are applied by a named system actor';
  end if;

  select r.full_name into v_repo
    from public.github_installation_repositories r
    join public.github_installations i on i.id = r.installation_id and i.status <> 'deleted'
   where r.installation_id = p_installation_id and r.repository_id = p_repository_id;
  if v_repo is null then
    return query select 'unrelated'::text, 0, 0;
    return;
  end if;

  insert into public.issue_webhook_states as s
      (github_issue_id, installation_id, repository_id, issue_number, eligible, issue_updated_at,
       source, last_delivery_id, updated_by)
    values (p_issue_id, p_installation_id, p_repository_id, p_issue_number, p_eligible,
            p_issue_updated_at, p_action, p_delivery_id, p_actor::public.actor)
    on conflict (github_issue_id) do update
      set installation_id = excluded.installation_id, repository_id = excluded.repository_id,
          issue_number = excluded.issue_number, eligible = excluded.eligible,
          issue_updated_at = excluded.issue_updated_at, source = excluded.source,
          last_delivery_id = excluded.last_delivery_id, updated_at = now(),
          updated_by = excluded.updated_by
      where excluded.issue_updated_at > s.issue_updated_at
         or (excluded.issue_updated_at = s.issue_updated_at and s.eligible and not excluded.eligible)
    returning true into v_applied;
  v_applied := coalesce(v_applied, false);
  if not v_applied then
    select s.last_delivery_id = p_delivery_id into v_current
      from public.issue_webhook_states s where s.github_issue_id = p_issue_id;
    if not coalesce(v_current, false) then
      return query select 'stale'::text, 0, 0;
      return;
    end if;
  end if;

  if p_eligible then
    if v_applied then
      update public.candidate_repositories c
         set fetched_at = null, updated_at = now(), updated_by = p_actor::public.actor
       where c.repo_full_name = v_repo and c.fetched_at is not null;
    end if;
  else
    update public.candidate_issues ci
       set state = 'closed', updated_by = p_actor::public.actor
     where ci.github_issue_id = p_issue_id and ci.state = 'open';
    get diagnostics v_closed = row_count;

    update public.recommendations r
       set status = 'expired', updated_at = now(), updated_by = p_actor::public.actor
      from public.candidate_issues ci
     where ci.github_issue_id = p_issue_id and r.candidate_issue_id = ci.id and r.status = 'open'
       and not exists (select 1 from public.profiles p
                        where p.id = r.user_id and p.github_id = p_keep_github_id);
    get diagnostics v_expired = row_count;
  end if;

  return query select case when v_applied then 'applied' else 'current' end, v_closed, v_expired;
end;
$$;

revoke all on function public.apply_issue_event(bigint, bigint, bigint, integer, timestamptz, boolean, bigint, text, text, text) from public, anon, authenticated;
grant execute on function public.apply_issue_event(bigint, bigint, bigint, integer, timestamptz, boolean, bigint, text, text, text) to service_role;

-- As before, except that a search result no newer than an issue's unavailable verdict is
-- stored closed (GitHub's search index lags its webhooks), and a newer one supersedes it.
create or replace function public.store_candidate_issues(
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
         coalesce(i.labels, '{}'),
         case when h.eligible is false and h.issue_updated_at >= i.updated_at then 'closed' else 'open' end,
         i.created_at, i.updated_at, coalesce(i.assigned, false),
         now(), p_actor::public.actor
    from jsonb_to_recordset(p_issues) as i (
      github_issue_id bigint, repo_full_name text, number integer, title text, html_url text,
      language text, labels text[], created_at timestamptz, updated_at timestamptz, assigned boolean)
    left join public.issue_webhook_states h on h.github_issue_id = i.github_issue_id
   where i.repo_full_name = any (v_repos)
  on conflict (github_issue_id) do update
     set repo_full_name = excluded.repo_full_name, number = excluded.number,
         title = excluded.title, html_url = excluded.html_url, language = excluded.language,
         labels = excluded.labels, state = excluded.state, issue_created_at = excluded.issue_created_at,
         issue_updated_at = excluded.issue_updated_at, assigned = excluded.assigned,
         fetched_at = now(), updated_by = excluded.updated_by;
  get diagnostics v_stored = row_count;

  -- GitHub changed the issue after the webhook's verdict and the search lists it: eligible.
  update public.issue_webhook_states h
     set eligible = true, issue_updated_at = i.updated_at, source = 'search',
         last_delivery_id = null, updated_at = now(), updated_by = p_actor::public.actor
    from jsonb_to_recordset(p_issues) as i (github_issue_id bigint, repo_full_name text, updated_at timestamptz)
   where h.github_issue_id = i.github_issue_id and i.repo_full_name = any (v_repos)
     and i.updated_at > h.issue_updated_at;

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

-- As before, except that a recommendation expired because its issue became unavailable
-- (actor system:issue-freshness) is not a drop by the user: it may come back.
create or replace function public.recommendation_candidates(p_user_id uuid)
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
                    and ((m.status = 'expired' and m.updated_by <> 'system:issue-freshness')
                         or (m.status = 'open' and m.updated_by = ('user:' || p_user_id))))
    from public.candidate_issues ci
   where ci.state = 'open'
     and ci.repo_full_name in (select c.repo_full_name from public.recommendation_build_context(p_user_id) c)
   order by ci.id
   limit 2000
$$;

-- As before, plus: only candidates still open are written (a build that ranked before a
-- webhook closed one adds nothing for it), and a row expired by issue-freshness reopens.
create or replace function public.upsert_recommendations(
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
      join public.candidate_issues ci on ci.id = i.candidate_issue_id and ci.state = 'open'
  ), written as (
    insert into public.recommendations as r (user_id, candidate_issue_id, rank_score, expires_at, created_by, updated_by)
    select p_user_id, items.candidate_issue_id, items.rank_score, p_expires_at, p_actor::public.actor, p_actor::public.actor
      from items
    on conflict (user_id, candidate_issue_id) do update
       set status = 'open', rank_score = excluded.rank_score, expires_at = excluded.expires_at,
           updated_at = now(), updated_by = excluded.updated_by
     where (r.status = 'open' and r.updated_by not like 'user:%')
        or (r.status = 'expired' and r.updated_by = 'system:issue-freshness')
    returning (xmax = 0) as inserted
  )
  select count(*) filter (where written.inserted), count(*) filter (where not written.inserted)
    into v_inserted, v_refreshed from written;
  return query select v_inserted, v_refreshed;
end;
$$;

revoke all on function public.store_candidate_issues(text[], jsonb, text, text) from public, anon, authenticated;
grant execute on function public.store_candidate_issues(text[], jsonb, text, text) to service_role;
revoke all on function public.recommendation_candidates(uuid) from public, anon, authenticated;
grant execute on function public.recommendation_candidates(uuid) to service_role;
revoke all on function public.upsert_recommendations(uuid, jsonb, timestamptz, text) from public, anon, authenticated;
grant execute on function public.upsert_recommendations(uuid, jsonb, timestamptz, text) to service_role;
