-- Automation API keys: a user's machine credentials (src/api-keys/).
--
-- Only a SHA-256 hash of each key is stored (the key is 256 random bits, so the hash cannot
-- be guessed or inverted; see README "Automation API keys"), plus a short display prefix.
-- Revoking notifies channel `api_key_revoked` with the key id, on commit, so every instance
-- on this database drops the key from its in-process cache at once.
--
-- Error contract (SQLSTATE, mapped to typed errors by src/db/rpc/errors.ts):
--   CF006 profile_missing          no profile yet (sign in first)
--   CF008 api_key_limit_reached    the user already has 5 active keys
--   CF009 api_key_not_found        no such key for this user (also someone else's key)

create table public.api_keys (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  name text not null check (length(name) between 1 and 100),
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  display_prefix text not null check (display_prefix ~ '^cfk_[A-Za-z0-9]{8}$'),
  expires_at timestamptz,
  -- Usage telemetry, written at most once a minute per key when the key is used; the writer
  -- is the named system actor that authenticates keys (every write names its actor).
  last_used_at timestamptz,
  last_used_by public.actor check (last_used_by is null or last_used_by = 'system:api-key-auth'),
  revoked_at timestamptz,
  revoked_by public.actor,
  created_at timestamptz not null default now(),
  created_by public.actor not null,
  check ((revoked_at is null) = (revoked_by is null)),
  check ((last_used_at is null) = (last_used_by is null)),
  check (expires_at is null or expires_at > created_at)
);
-- The cap counts exactly these rows.
create index api_keys_user_active_idx on public.api_keys (user_id) where revoked_at is null;

alter table public.api_keys enable row level security;
revoke all on public.api_keys from public, anon, authenticated;
revoke all on sequence public.api_keys_id_seq from public, anon, authenticated;
-- Writes only through the functions below (SECURITY DEFINER): service_role reads, nothing more.
revoke all on public.api_keys from service_role;
grant select on public.api_keys to service_role;

create policy "users can read their own api keys"
  on public.api_keys for select to authenticated
  using ((select auth.uid()) = user_id);

-- At most 5 active (not revoked, not expired) keys per user. Same race as the claim cap
-- (docs/claim-cap.md): the profile row is locked first, so concurrent creations of one
-- user count in turn instead of all reading the old count.
create function public.create_api_key(
  p_user_id uuid,
  p_name text,
  p_key_hash text,
  p_display_prefix text,
  p_expires_at timestamptz
)
returns table (id bigint, name text, display_prefix text, created_at timestamptz, expires_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_actor public.actor;
  v_active integer;
begin
  if p_user_id is null or p_name is null or p_key_hash is null or p_display_prefix is null then
    raise exception using errcode = '22004', message = 'p_user_id, p_name, p_key_hash and p_display_prefix are required';
  end if;
  if p_expires_at is not null and p_expires_at <= now() then
    raise exception using errcode = '22023', message = 'p_expires_at must be in the future';
  end if;
  v_actor := ('user:' || p_user_id)::public.actor;

  perform 1 from public.profiles p where p.id = p_user_id for no key update;
  if not found then
    raise exception using errcode = 'CF006', message = 'profile_missing';
  end if;

  select count(*) into v_active
    from public.api_keys k
    where k.user_id = p_user_id and k.revoked_at is null
      and (k.expires_at is null or k.expires_at > now());
  if v_active >= 5 then
    raise exception using errcode = 'CF008', message = 'api_key_limit_reached';
  end if;

  return query
    insert into public.api_keys as k (user_id, name, key_hash, display_prefix, expires_at, created_by)
      values (p_user_id, p_name, p_key_hash, p_display_prefix, p_expires_at, v_actor)
      returning k.id, k.name, k.display_prefix, k.created_at, k.expires_at;
end;
$$;

revoke all on function public.create_api_key(uuid, text, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.create_api_key(uuid, text, text, text, timestamptz) to service_role;

-- The user's keys, newest first; never the hash.
create function public.list_api_keys(p_user_id uuid)
returns table (
  id bigint,
  name text,
  display_prefix text,
  created_at timestamptz,
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
  select k.id, k.name, k.display_prefix, k.created_at, k.expires_at, k.last_used_at, k.revoked_at
    from public.api_keys k
    where k.user_id = p_user_id
    order by k.id desc
    limit 100
$$;

revoke all on function public.list_api_keys(uuid) from public, anon, authenticated;
grant execute on function public.list_api_keys(uuid) to service_role;

-- Ownership is checked and the key revoked in one transaction: if anything fails, nothing
-- changed. Revoking a revoked key notifies again, so a retry re-broadcasts. `listeners` is
-- how many instances' revocation feeds (by application_name, src/api-keys/revocation-feed.ts)
-- will hear it: the caller waits for that many acknowledgements before answering.
create function public.revoke_api_key(p_key_id bigint, p_user_id uuid)
returns table (id bigint, revoked_at timestamptz, changed boolean, listeners integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key public.api_keys%rowtype;
  v_changed boolean := false;
begin
  if p_key_id is null or p_user_id is null then
    raise exception using errcode = '22004', message = 'p_key_id and p_user_id are required';
  end if;

  select k.* into v_key
    from public.api_keys k
    where k.id = p_key_id and k.user_id = p_user_id
    for update;
  -- Someone else's key reads as not found: no existence oracle.
  if not found then
    raise exception using errcode = 'CF009', message = 'api_key_not_found';
  end if;

  if v_key.revoked_at is null then
    update public.api_keys k
      set revoked_at = now(), revoked_by = ('user:' || p_user_id)::public.actor
      where k.id = v_key.id
      returning k.* into v_key;
    v_changed := true;
  end if;
  perform pg_notify('api_key_revoked', v_key.id::text);
  return query select v_key.id, v_key.revoked_at, v_changed,
    (select count(*)::integer from pg_catalog.pg_stat_activity a
      where a.datname = pg_catalog.current_database()
        and a.application_name = 'credential-free-jobs:api-key-revocations');
end;
$$;

revoke all on function public.revoke_api_key(bigint, uuid) from public, anon, authenticated;
grant execute on function public.revoke_api_key(bigint, uuid) to service_role;

-- The active key with this hash, or no row (unknown, revoked or expired: one answer for
-- all). Marks it used, at most once a minute, so validation stays a read almost always.
create function public.authenticate_api_key(p_key_hash text)
returns table (key_id bigint, user_id uuid, expires_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key public.api_keys%rowtype;
begin
  if p_key_hash is null then
    raise exception using errcode = '22004', message = 'p_key_hash is required';
  end if;
  select k.* into v_key
    from public.api_keys k
    where k.key_hash = p_key_hash and k.revoked_at is null
      and (k.expires_at is null or k.expires_at > now());
  if not found then
    return;
  end if;
  if v_key.last_used_at is null or v_key.last_used_at < now() - interval '1 minute' then
    update public.api_keys k set last_used_at = now(), last_used_by = 'system:api-key-auth'
      where k.id = v_key.id and k.revoked_at is null;
  end if;
  return query select v_key.id, v_key.user_id, v_key.expires_at;
end;
$$;

revoke all on function public.authenticate_api_key(text) from public, anon, authenticated;
grant execute on function public.authenticate_api_key(text) to service_role;

-- Last-used time for a key served from an instance's cache (the instance calls this at most
-- once a minute per key); the minute guard here also bounds writes across instances.
create function public.touch_api_key(p_key_id bigint)
returns table (touched boolean)
language sql
security definer
set search_path = ''
as $$
  with touched as (
    update public.api_keys k set last_used_at = now(), last_used_by = 'system:api-key-auth'
      where k.id = p_key_id and k.revoked_at is null
        and (k.last_used_at is null or k.last_used_at < now() - interval '1 minute')
      returning 1
  )
  select exists (select 1 from touched)
$$;

revoke all on function public.touch_api_key(bigint) from public, anon, authenticated;
grant execute on function public.touch_api_key(bigint) to service_role;

-- Sessions from API keys now exist, with actor source `api_key` (src/auth/session.ts). No
-- credential produced a `machine` session before this migration, so any such row was an
-- automation's by construction and gets the new name.
alter table public.tracked_events drop constraint tracked_events_actor_source_check;
update public.tracked_events set actor_source = 'api_key' where actor_source = 'machine';
alter table public.tracked_events
  add constraint tracked_events_actor_source_check check (actor_source in ('human', 'api_key'));

create or replace function public.record_tracked_event(
  p_user_id uuid,
  p_kind text,
  p_properties jsonb,
  p_actor_source text,
  p_actor text
)
returns table (id bigint, occurred_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id bigint;
  v_at timestamptz;
begin
  if p_user_id is null or p_kind is null or p_actor_source is null or p_actor is null then
    raise exception using errcode = '22004', message = 'p_user_id, p_kind, p_actor_source and p_actor are required';
  end if;
  if p_actor_source not in ('human', 'api_key') then
    raise exception using errcode = '22023', message = 'p_actor_source must be human or api_key';
  end if;
  -- A user's event is written by that user: an actor naming anyone else is a bug upstream.
  if p_actor <> 'user:' || p_user_id::text then
    raise exception using errcode = '22023', message = 'p_actor must be the user: actor of p_user_id';
  end if;
  if p_properties is not null and jsonb_typeof(p_properties) <> 'object' then
    raise exception using errcode = '22023', message = 'p_properties must be a JSON object';
  end if;
  if exists (
    select 1 from jsonb_object_keys(coalesce(p_properties, '{}'::jsonb)) k
    where lower(regexp_replace(k, '[_-]', '', 'g'))
      in ('actor', 'actorid', 'actorsource', 'user', 'userid', 'verified', 'role')
  ) then
    raise exception using errcode = '22023', message = 'p_properties may not name the actor, user, verified flag or role';
  end if;
  perform 1 from public.profiles p where p.id = p_user_id;
  if not found then
    raise exception using errcode = 'CF006', message = 'profile_missing';
  end if;

  insert into public.tracked_events as e (user_id, name, properties, actor, actor_source, verified)
    values (p_user_id, p_kind, coalesce(p_properties, '{}'::jsonb), p_actor::public.actor, p_actor_source, true)
    returning e.id, e.occurred_at into v_id, v_at;
  return query select v_id, v_at;
end;
$$;

revoke all on function public.record_tracked_event(uuid, text, jsonb, text, text) from public, anon, authenticated;
grant execute on function public.record_tracked_event(uuid, text, jsonb, text, text) to service_role;
