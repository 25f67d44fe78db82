-- Claiming recommendations, capped at 3 active claims per user.
--
-- Error contract (SQLSTATE, mapped to typed errors by src/db/rpc/errors.ts):
--   CF001 claim_limit_reached   the user already has 3 active claims
--   CF002 recommendation_not_found   no such recommendation for this user
--   CF003 recommendation_not_open    it is claimed, completed or expired
--   CF004 recommendation_not_claimed release of a recommendation not claimed

create function public.claim_recommendation_atomic(p_rec_id bigint, p_user_id uuid)
returns table (id bigint)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rec public.recommendations%rowtype;
  v_active integer;
begin
  if p_rec_id is null or p_user_id is null then
    raise exception using errcode = '22004', message = 'p_rec_id and p_user_id are required';
  end if;

  -- Serialize claims per user. A bare "update ... where (select count(*)) < 3"
  -- lets concurrent claims of DIFFERENT recommendations all read the old count
  -- under READ COMMITTED. With the profile row locked first, the count below runs
  -- in a snapshot taken after the previous holder committed. NO KEY UPDATE
  -- conflicts with itself but not with the KEY SHARE locks that inserting
  -- recommendations (foreign key to profiles) takes.
  perform 1 from public.profiles p where p.id = p_user_id for no key update;
  if not found then
    raise exception using errcode = 'CF002', message = 'recommendation_not_found';
  end if;

  select r.* into v_rec
    from public.recommendations r
    where r.id = p_rec_id and r.user_id = p_user_id
    for update;
  -- Someone else's recommendation reads as not found: no existence oracle.
  if not found then
    raise exception using errcode = 'CF002', message = 'recommendation_not_found';
  end if;

  -- A retried claim of a recommendation this user already holds succeeds again.
  if v_rec.status = 'claimed' and v_rec.claim_expires_at > now() then
    return query select v_rec.id;
    return;
  end if;

  if v_rec.status <> 'open' or v_rec.expires_at <= now() then
    raise exception using errcode = 'CF003', message = 'recommendation_not_open';
  end if;

  select count(*) into v_active
    from public.recommendations r
    where r.user_id = p_user_id and r.status = 'claimed' and r.claim_expires_at > now();
  if v_active >= 3 then
    raise exception using errcode = 'CF001', message = 'claim_limit_reached';
  end if;

  update public.recommendations r
    set status = 'claimed',
        claimed_at = now(),
        claim_expires_at = now() + interval '14 days',
        updated_at = now(),
        updated_by = ('user:' || p_user_id)::public.actor
    where r.id = v_rec.id;

  return query select v_rec.id;
end;
$$;

revoke all on function public.claim_recommendation_atomic(bigint, uuid) from public, anon, authenticated;
grant execute on function public.claim_recommendation_atomic(bigint, uuid) to service_role;

create function public.release_recommendation(p_rec_id bigint, p_user_id uuid)
returns table (id bigint, status text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rec public.recommendations%rowtype;
  v_next text;
begin
  if p_rec_id is null or p_user_id is null then
    raise exception using errcode = '22004', message = 'p_rec_id and p_user_id are required';
  end if;

  select r.* into v_rec
    from public.recommendations r
    where r.id = p_rec_id and r.user_id = p_user_id
    for update;
  if not found then
    raise exception using errcode = 'CF002', message = 'recommendation_not_found';
  end if;
  if v_rec.status <> 'claimed' then
    raise exception using errcode = 'CF004', message = 'recommendation_not_claimed';
  end if;

  -- A released recommendation goes back to the pool unless it has expired meanwhile.
  v_next := case when v_rec.expires_at > now() then 'open' else 'expired' end;

  update public.recommendations r
    set status = v_next,
        claimed_at = null,
        claim_expires_at = null,
        updated_at = now(),
        updated_by = ('user:' || p_user_id)::public.actor
    where r.id = v_rec.id;

  return query select v_rec.id, v_next;
end;
$$;

revoke all on function public.release_recommendation(bigint, uuid) from public, anon, authenticated;
grant execute on function public.release_recommendation(bigint, uuid) to service_role;

-- Liveness of the data path, callable through either transport.
create function public.healthcheck()
returns table (ok boolean, checked_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select true, now()
$$;

revoke all on function public.healthcheck() from public, anon, authenticated;
grant execute on function public.healthcheck() to service_role;
