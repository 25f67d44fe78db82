-- A completion left 'verifying' by a run that exhausted its retries could not be asked
-- again: the re-request re-sent the same event id, which Inngest drops for 24 hours. Once
-- the last request is an hour old (longer than verify-completion's retries normally take),
-- asking again bumps `requests`, so the action sends a new event id. A run still waiting
-- at a rate-limit reset then verifies twice, one after the other (concurrency 1 per
-- completion), and the verdicts agree.
create or replace function public.request_completion(
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
  elsif v_completion.status = 'refused'
     or (v_completion.status = 'verifying' and v_completion.updated_at < now() - interval '1 hour') then
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
