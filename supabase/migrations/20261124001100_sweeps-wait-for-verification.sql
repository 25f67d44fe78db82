-- The idle-claim sweep waits for a completion under verification: releasing the claim
-- meanwhile would turn a valid pull request into a not_claimed refusal.
create or replace function public.release_idle_claims(p_now timestamptz, p_limit integer, p_actor text)
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
       -- A pull request being verified right now decides this claim; a verification
       -- stuck for a day no longer holds it.
       and not exists (
         select 1 from public.recommendation_completions c
          where c.recommendation_id = r.id and c.status = 'verifying'
            and c.updated_at > p_now - interval '1 day')
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

