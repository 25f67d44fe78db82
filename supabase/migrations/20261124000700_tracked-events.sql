-- Tracked product events (the `track-event` action): every row names its user, the actor
-- that wrote it and whether a person or an automation did, and is marked server-verified
-- by the one function allowed to write it. The kinds themselves are listed once, in
-- src/actions/tracked-event-kinds.ts; the table keeps its format check on `name`.

-- Rows written before this migration (there was no writer) or by any path other than
-- record_tracked_event read as unverified: only the function below sets true.
alter table public.tracked_events
  add column verified boolean not null default false,
  add column actor_source text check (actor_source in ('human', 'machine')),
  add constraint tracked_events_verified_has_source check (not verified or actor_source is not null);

-- Only record_tracked_event (SECURITY DEFINER, owned by the migration owner) writes here,
-- so service_role cannot insert a row with verified = true or rewrite one either.
revoke insert, update, truncate, references, trigger on public.tracked_events from service_role;

-- Refuses what the action refuses, as a second layer: a property may not name the actor,
-- the user, the verified flag or a role (compared without case, `_` or `-`), so nothing
-- in `properties` can read as if it decided who wrote the row.
create function public.record_tracked_event(
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
  if p_actor_source not in ('human', 'machine') then
    raise exception using errcode = '22023', message = 'p_actor_source must be human or machine';
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
  -- No profile yet: tell the client to sign in first, rather than a foreign key error.
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
