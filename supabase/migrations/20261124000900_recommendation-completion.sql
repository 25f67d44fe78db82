-- Completing a recommendation with a pull request, verified at run time.
--
-- The `complete-recommendation` action records a completion request (request_completion)
-- and queues recommendation/completion.requested; the `verify-completion` function reads
-- what it must check (completion_context), asks GitHub, and records the verdict
-- (record_completion_verdict). Only an accepted verdict completes the recommendation.
--
-- Error contract (SQLSTATE, mapped to typed errors by src/db/rpc/errors.ts):
--   CF002 recommendation_not_found   no such recommendation for this user
--   CF004 recommendation_not_claimed it is open, completed or expired
--   CF007 completion_not_found       no such completion (a verification of a deleted row)

create table public.recommendation_completions (
  id bigint generated always as identity primary key,
  recommendation_id bigint not null references public.recommendations (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  -- The parsed pull request URL, as the user sent it; the verdict compares GitHub's answer.
  pr_owner text not null check (pr_owner ~ '^[A-Za-z0-9-]{1,39}$'),
  pr_repo text not null check (pr_repo ~ '^[A-Za-z0-9._-]{1,100}$'),
  pr_number integer not null check (pr_number > 0),
  status text not null default 'verifying' check (status in ('verifying', 'accepted', 'refused')),
  reason text check (reason in ('pr_not_found', 'wrong_repository', 'not_author', 'no_reference', 'no_installation', 'not_claimed')),
  -- Bumped when a refused completion is requested again: the event id includes it, so the
  -- new request is verified again instead of deduplicated as the old event.
  requests integer not null default 1 check (requests >= 1),
  verified_at timestamptz,
  created_at timestamptz not null default now(),
  created_by public.actor not null,
  updated_at timestamptz not null default now(),
  updated_by public.actor not null,
  unique (recommendation_id, pr_owner, pr_repo, pr_number),
  check ((status = 'refused') = (reason is not null)),
  check ((status = 'verifying') = (verified_at is null))
);
create index recommendation_completions_user_idx on public.recommendation_completions (user_id);

alter table public.recommendation_completions enable row level security;
revoke all on public.recommendation_completions from public, anon, authenticated;
revoke all on sequence public.recommendation_completions_id_seq from public, anon, authenticated;
grant select, insert, update on public.recommendation_completions to service_role;

create policy "users can read their own completions"
  on public.recommendation_completions for select to authenticated
  using ((select auth.uid()) = user_id);

-- A retry of the same request (same recommendation and pull request) finds the same row and
-- the same `requests`, so the action re-sends the same event id. `status` is 'accepted' when
-- that pull request already completed the recommendation: nothing is sent then.
create function public.request_completion(
  p_rec_id bigint,
  p_user_id uuid,
  p_pr_owner text,
  p_pr_repo text,
  p_pr_number integer
)
returns table (completion_id bigint, status text, requests integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rec public.recommendations%rowtype;
  v_completion public.recommendation_completions%rowtype;
  v_actor public.actor;
begin
  if p_rec_id is null or p_user_id is null or p_pr_owner is null or p_pr_repo is null or p_pr_number is null then
    raise exception using errcode = '22004', message = 'every argument is required';
  end if;
  v_actor := ('user:' || p_user_id)::public.actor;

  select r.* into v_rec
    from public.recommendations r
    where r.id = p_rec_id and r.user_id = p_user_id
    for update;
  -- Someone else's recommendation reads as not found: no existence oracle.
  if not found then
    raise exception using errcode = 'CF002', message = 'recommendation_not_found';
  end if;

  select c.* into v_completion
    from public.recommendation_completions c
    where c.recommendation_id = v_rec.id
      and c.pr_owner = p_pr_owner and c.pr_repo = p_pr_repo and c.pr_number = p_pr_number;

  if found and v_completion.status = 'accepted' then
    return query select v_completion.id, v_completion.status, v_completion.requests;
    return;
  end if;
  if v_rec.status <> 'claimed' then
    raise exception using errcode = 'CF004', message = 'recommendation_not_claimed';
  end if;

  if not found then
    insert into public.recommendation_completions as c
      (recommendation_id, user_id, pr_owner, pr_repo, pr_number, created_by, updated_by)
      values (v_rec.id, p_user_id, p_pr_owner, p_pr_repo, p_pr_number, v_actor, v_actor)
      returning c.* into v_completion;
  elsif v_completion.status = 'refused' then
    update public.recommendation_completions c
      set status = 'verifying', reason = null, verified_at = null, requests = c.requests + 1,
          updated_at = now(), updated_by = v_actor
      where c.id = v_completion.id
      returning c.* into v_completion;
  end if;
  return query select v_completion.id, v_completion.status, v_completion.requests;
end;
$$;

revoke all on function public.request_completion(bigint, uuid, text, text, integer) from public, anon, authenticated;
grant execute on function public.request_completion(bigint, uuid, text, text, integer) to service_role;

-- What verify-completion checks against. The installation is one of the user's active ones
-- (as audit_context links them) that lists the issue's repository; null when none does.
create function public.completion_context(p_completion_id bigint)
returns table (
  completion_id bigint,
  completion_status text,
  recommendation_id bigint,
  recommendation_status text,
  user_id uuid,
  github_id bigint,
  github_login text,
  pr_owner text,
  pr_repo text,
  pr_number integer,
  repo_full_name text,
  issue_number integer,
  issue_url text,
  installation_id bigint,
  repository_id bigint
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_completion_id is null then
    raise exception using errcode = '22004', message = 'p_completion_id is required';
  end if;
  return query
    select c.id, c.status, r.id, r.status, c.user_id, p.github_id, p.github_login,
           c.pr_owner, c.pr_repo, c.pr_number, ci.repo_full_name, ci.number, ci.html_url,
           inst.installation_id, inst.repository_id
    from public.recommendation_completions c
    join public.recommendations r on r.id = c.recommendation_id
    join public.candidate_issues ci on ci.id = r.candidate_issue_id
    join public.profiles p on p.id = c.user_id
    left join lateral (
      select gir.installation_id, gir.repository_id
      from public.github_installation_repositories gir
      join public.github_installations gi on gi.id = gir.installation_id
      where gi.status = 'active'
        and p.github_id in (gi.account_id, gi.installed_by_github_id)
        and lower(gir.full_name) = lower(ci.repo_full_name)
      order by (gi.account_id = p.github_id) desc, gi.created_at desc
      limit 1
    ) inst on true
    where c.id = p_completion_id;
  if not found then
    raise exception using errcode = 'CF007', message = 'completion_not_found';
  end if;
end;
$$;

revoke all on function public.completion_context(bigint) from public, anon, authenticated;
grant execute on function public.completion_context(bigint) to service_role;

-- Idempotent under retry and rerun: an accepted completion stays accepted (and its
-- recommendation completed); a refused one may be re-verified to either verdict. Accepting
-- needs the recommendation still claimed; otherwise the verdict is refused / not_claimed.
create function public.record_completion_verdict(
  p_completion_id bigint,
  p_status text,
  p_reason text,
  p_actor text
)
returns table (status text, reason text, recommendation_status text, changed boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_completion public.recommendation_completions%rowtype;
  v_rec public.recommendations%rowtype;
  v_status text := p_status;
  v_reason text := p_reason;
begin
  if p_completion_id is null or p_status is null or p_actor is null then
    raise exception using errcode = '22004', message = 'p_completion_id, p_status and p_actor are required';
  end if;
  if p_actor !~ '^system:' then
    raise exception using errcode = '22023', message = 'p_actor must be a system actor';
  end if;
  if p_status not in ('accepted', 'refused') or ((p_status = 'refused') <> (p_reason is not null)) then
    raise exception using errcode = '22023', message = 'p_status must be accepted, or refused with a reason';
  end if;

  -- The recommendation first, as request_completion locks it: no lock-order deadlock.
  select r.* into v_rec
    from public.recommendations r
    join public.recommendation_completions c on c.recommendation_id = r.id
    where c.id = p_completion_id
    for update of r;
  if not found then
    raise exception using errcode = 'CF007', message = 'completion_not_found';
  end if;
  select c.* into v_completion
    from public.recommendation_completions c where c.id = p_completion_id for update;

  if v_completion.status = 'accepted' then
    return query select v_completion.status, v_completion.reason, v_rec.status, false;
    return;
  end if;
  if v_status = 'accepted' and v_rec.status <> 'claimed' then
    v_status := 'refused';
    v_reason := 'not_claimed';
  end if;

  update public.recommendation_completions c
    set status = v_status, reason = v_reason, verified_at = now(),
        updated_at = now(), updated_by = p_actor::public.actor
    where c.id = v_completion.id;
  if v_status = 'accepted' then
    update public.recommendations r
      set status = 'completed', completed_at = now(), claim_expires_at = null,
          updated_at = now(), updated_by = p_actor::public.actor
      where r.id = v_rec.id;
    v_rec.status := 'completed';
  end if;
  return query select v_status, v_reason, v_rec.status,
    (v_completion.status, v_completion.reason) is distinct from (v_status, v_reason);
end;
$$;

revoke all on function public.record_completion_verdict(bigint, text, text, text) from public, anon, authenticated;
grant execute on function public.record_completion_verdict(bigint, text, text, text) to service_role;
