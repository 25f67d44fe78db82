-- Scheduled sweeps over recommendations and claims. Each takes a clock (p_now: the
-- scheduler's, so tests can move it), works in bounded batches that skip rows another
-- sweep holds, and writes as the named system actor it is given.

-- When the day-10 warning of the current claim was sent; older than claimed_at means a
-- previous claim's warning, so a re-claim is warned again.
alter table public.recommendations add column claim_warned_at timestamptz;
create index recommendations_open_expiry_idx on public.recommendations (expires_at) where status = 'open';
create index recommendations_claim_expiry_idx on public.recommendations (claim_expires_at) where status = 'claimed';

-- Open recommendations past their expiry become expired.
create function public.expire_recommendations(p_now timestamptz, p_limit integer, p_actor text)
returns table (expired integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  if p_now is null or p_limit is null or p_limit not between 1 and 5000 then
    raise exception using errcode = '22023', message = 'p_now is required and p_limit must be 1..5000';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'sweeps write as a named system actor';
  end if;
  with due as (
    select r.id from public.recommendations r
     where r.status = 'open' and r.expires_at <= p_now
     order by r.expires_at
     limit p_limit
     for update skip locked
  )
  update public.recommendations r
     set status = 'expired', updated_at = now(), updated_by = p_actor::public.actor
    from due where r.id = due.id;
  get diagnostics v_count = row_count;
  return query select v_count;
end;
$$;

revoke all on function public.expire_recommendations(timestamptz, integer, text) from public, anon, authenticated;
grant execute on function public.expire_recommendations(timestamptz, integer, text) to service_role;

-- Claims idle past their claim deadline (14 days after claiming) are released: back to
-- open, or expired if the recommendation itself has expired meanwhile.
create function public.release_idle_claims(p_now timestamptz, p_limit integer, p_actor text)
returns table (released integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  if p_now is null or p_limit is null or p_limit not between 1 and 5000 then
    raise exception using errcode = '22023', message = 'p_now is required and p_limit must be 1..5000';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'sweeps write as a named system actor';
  end if;
  with due as (
    select r.id from public.recommendations r
     where r.status = 'claimed' and r.claim_expires_at <= p_now
     order by r.claim_expires_at
     limit p_limit
     for update skip locked
  )
  update public.recommendations r
     set status = case when r.expires_at > p_now then 'open' else 'expired' end,
         claimed_at = null, claim_expires_at = null,
         updated_at = now(), updated_by = p_actor::public.actor
    from due where r.id = due.id;
  get diagnostics v_count = row_count;
  return query select v_count;
end;
$$;

revoke all on function public.release_idle_claims(timestamptz, integer, text) from public, anon, authenticated;
grant execute on function public.release_idle_claims(timestamptz, integer, text) to service_role;

-- Claims in their last 4 days (claimed 10+ days ago) whose current claim was not warned yet.
create function public.claims_due_warning(p_now timestamptz, p_limit integer)
returns table (recommendation_id bigint, user_id uuid, claimed_at timestamptz, claim_expires_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select r.id, r.user_id, r.claimed_at, r.claim_expires_at
    from public.recommendations r
   where r.status = 'claimed'
     and r.claimed_at <= p_now - interval '10 days'
     and r.claim_expires_at > p_now
     and (r.claim_warned_at is null or r.claim_warned_at < r.claimed_at)
   order by r.claim_expires_at
   limit least(greatest(p_limit, 1), 5000)
$$;

revoke all on function public.claims_due_warning(timestamptz, integer) from public, anon, authenticated;
grant execute on function public.claims_due_warning(timestamptz, integer) to service_role;

-- The warning of these claims was sent (idempotent).
create function public.mark_claims_warned(p_recommendation_ids bigint[], p_actor text)
returns table (recommendation_id bigint)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'sweeps write as a named system actor';
  end if;
  return query
    update public.recommendations r
       set claim_warned_at = now(), updated_at = now(), updated_by = p_actor::public.actor
     where r.id = any (p_recommendation_ids) and r.status = 'claimed'
       and (r.claim_warned_at is null or r.claim_warned_at < r.claimed_at)
    returning r.id;
end;
$$;

revoke all on function public.mark_claims_warned(bigint[], text) from public, anon, authenticated;
grant execute on function public.mark_claims_warned(bigint[], text) to service_role;
