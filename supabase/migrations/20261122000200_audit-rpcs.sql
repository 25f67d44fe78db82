-- Sign-in and audit RPCs. All callable by service_role only; every write names its actor.
--
-- Error contract (see src/db/rpc/errors.ts):
--   CF005 github_identity_missing  the user has no GitHub identity in auth.identities
--   CF006 profile_missing          no profile for this user (sign-in has not run)

-- Upserts the profile from the AUTHORITATIVE GitHub identity (auth.identities, written
-- by Supabase Auth), never from token claims or user_metadata, which the user can edit.
-- Returns what the sign-in action needs to decide whether to queue an audit.
create function public.bootstrap_profile(p_user_id uuid)
returns table (github_id bigint, github_login text, installation_id bigint, audited boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_github_id bigint;
  v_login text;
  v_avatar text;
begin
  if p_user_id is null then
    raise exception using errcode = '22004', message = 'p_user_id is required';
  end if;

  select i.provider_id::bigint,
         coalesce(i.identity_data ->> 'user_name', i.identity_data ->> 'preferred_username'),
         i.identity_data ->> 'avatar_url'
    into v_github_id, v_login, v_avatar
    from auth.identities i
    where i.user_id = p_user_id and i.provider = 'github'
    order by i.created_at desc
    limit 1;
  if v_github_id is null or v_login is null then
    raise exception using errcode = 'CF005', message = 'github_identity_missing';
  end if;

  insert into public.profiles as p (id, github_id, github_login, avatar_url, updated_by)
    values (p_user_id, v_github_id, v_login, v_avatar, ('user:' || p_user_id)::public.actor)
    on conflict (id) do update
      set github_id = excluded.github_id,
          github_login = excluded.github_login,
          avatar_url = excluded.avatar_url,
          updated_at = now(),
          updated_by = excluded.updated_by
      where (p.github_id, p.github_login, p.avatar_url) is distinct from (excluded.github_id, excluded.github_login, excluded.avatar_url);

  -- One rule decides which installation is the user's: audit_context's.
  return query select * from public.audit_context(p_user_id, null);
end;
$$;

revoke all on function public.bootstrap_profile(uuid) from public, anon, authenticated;
grant execute on function public.bootstrap_profile(uuid) to service_role;

-- What an audit run needs to know at run time, read fresh on every attempt. The
-- requested installation (from the event) is honoured only if it is active and linked
-- to this user's GitHub account; otherwise the best linked active installation.
create function public.audit_context(p_user_id uuid, p_installation_id bigint)
returns table (github_id bigint, github_login text, installation_id bigint, audited boolean)
language sql
stable
security definer
set search_path = ''
as $$
  select p.github_id,
         p.github_login,
         (select gi.id from public.github_installations gi
           where gi.status = 'active' and p.github_id in (gi.account_id, gi.installed_by_github_id)
           order by (gi.id = p_installation_id) desc nulls last, (gi.account_id = p.github_id) desc, gi.created_at desc
           limit 1),
         exists (select 1 from public.audits a where a.user_id = p.id and a.status = 'completed')
  from public.profiles p
  where p.id = p_user_id
$$;

revoke all on function public.audit_context(uuid, bigint) from public, anon, authenticated;
grant execute on function public.audit_context(uuid, bigint) to service_role;

-- Records one audit outcome per idempotency key (the triggering event's id): a retry
-- or a dashboard replay of the same event finds the existing row and changes nothing.
-- A completed audit also updates the profile's level in the same transaction.
create function public.record_audit(
  p_idempotency_key text,
  p_user_id uuid,
  p_status text,
  p_reason text,
  p_installation_id bigint,
  p_signals jsonb,
  p_xp integer,
  p_level smallint,
  p_actor text
)
returns table (audit_id bigint, created boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id bigint;
begin
  if p_idempotency_key is null or length(p_idempotency_key) not between 1 and 200 then
    raise exception using errcode = '22023', message = 'p_idempotency_key must be 1..200 characters';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'audits are recorded by a named system actor';
  end if;
  if not exists (select 1 from public.profiles where id = p_user_id) then
    raise exception using errcode = 'CF006', message = 'profile_missing';
  end if;

  insert into public.audits (idempotency_key, user_id, status, reason, installation_id, signals, xp, level, created_by)
    values (p_idempotency_key, p_user_id, p_status, p_reason, p_installation_id, p_signals, p_xp, p_level, p_actor::public.actor)
    on conflict (idempotency_key) do nothing
    returning id into v_id;

  if v_id is null then
    return query select a.id, false from public.audits a where a.idempotency_key = p_idempotency_key;
    return;
  end if;

  if p_status = 'completed' then
    update public.profiles
      set xp = greatest(xp, p_xp),
          level = greatest(level, p_level),
          audited_at = now(),
          updated_at = now(),
          updated_by = p_actor::public.actor
      where id = p_user_id;
  end if;

  return query select v_id, true;
end;
$$;

revoke all on function public.record_audit(text, uuid, text, text, bigint, jsonb, integer, smallint, text) from public, anon, authenticated;
grant execute on function public.record_audit(text, uuid, text, text, bigint, jsonb, integer, smallint, text) to service_role;

-- GitHub says the installation is gone (404) or not usable (401/403): stop using it.
create function public.mark_installation_inactive(p_installation_id bigint, p_status text, p_reason text, p_actor text)
returns table (installation_id bigint, status text)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_status not in ('suspended', 'deleted') then
    raise exception using errcode = '22023', message = 'p_status must be suspended or deleted';
  end if;
  return query
    update public.github_installations gi
      set status = p_status, status_reason = p_reason, updated_at = now(), updated_by = p_actor::public.actor
      where gi.id = p_installation_id
      returning gi.id, gi.status;
end;
$$;

revoke all on function public.mark_installation_inactive(bigint, text, text, text) from public, anon, authenticated;
grant execute on function public.mark_installation_inactive(bigint, text, text, text) to service_role;
