-- Dashboard reruns finish what an earlier run of the same event could not.
--
-- One audit row per triggering event id stays the rule. A later run of that event
-- (retry, rerun, replay) re-evaluates a skipped or failed row and may complete it; a
-- completed row is final. Every change is kept in public.audit_transitions with the run
-- that made it, so a row's history stays visible.

alter table public.audits
  add column attempts integer not null default 1 check (attempts >= 1),
  add column updated_at timestamptz not null default now(),
  add column updated_by public.actor,
  add column last_run_id text,
  -- When audit/completed was sent for this row: a rerun sends it only if this is null.
  add column announced_at timestamptz,
  add check (announced_at is null or status = 'completed');
update public.audits set updated_by = created_by, updated_at = created_at;
alter table public.audits alter column updated_by set not null;

create table public.audit_transitions (
  id bigint generated always as identity primary key,
  audit_id bigint not null references public.audits (id) on delete cascade,
  from_status text,
  from_reason text,
  to_status text not null,
  to_reason text,
  run_id text not null,
  actor public.actor not null,
  at timestamptz not null default now()
);
create index audit_transitions_audit_idx on public.audit_transitions (audit_id, id);
alter table public.audit_transitions enable row level security;
revoke all on public.audit_transitions from public, anon, authenticated;
revoke all on sequence public.audit_transitions_id_seq from public, anon, authenticated;
grant select, insert on public.audit_transitions to service_role;

insert into public.audit_transitions (audit_id, to_status, to_reason, run_id, actor, at)
  select id, status, reason, 'before-history', created_by, created_at from public.audits;

-- The installation rule changes: an installation named by the event is used only if it is
-- active and linked to the user, and never replaced by another one, because the run's
-- per-installation concurrency key names it. Without one, the best linked installation.
-- Also returns this event's own audit row, so a run can tell what is already recorded.
drop function public.audit_context(uuid, bigint);
create function public.audit_context(p_user_id uuid, p_installation_id bigint, p_idempotency_key text)
returns table (
  github_id bigint,
  github_login text,
  installation_id bigint,
  completed_audit_id bigint,
  audit_id bigint,
  audit_status text,
  audit_reason text,
  audit_xp integer,
  audit_level smallint,
  audit_announced boolean
)
language sql
stable
security definer
set search_path = ''
as $$
  select p.github_id,
         p.github_login,
         (select gi.id from public.github_installations gi
           where gi.status = 'active'
             and p.github_id in (gi.account_id, gi.installed_by_github_id)
             and (p_installation_id is null or gi.id = p_installation_id)
           order by (gi.account_id = p.github_id) desc, gi.created_at desc
           limit 1),
         (select a.id from public.audits a
           where a.user_id = p.id and a.status = 'completed'
           order by a.id desc limit 1),
         own.id, own.status, own.reason, own.xp, own.level, own.announced_at is not null
  from public.profiles p
  left join public.audits own on own.idempotency_key = p_idempotency_key and own.user_id = p.id
  where p.id = p_user_id
$$;

revoke all on function public.audit_context(uuid, bigint, text) from public, anon, authenticated;
grant execute on function public.audit_context(uuid, bigint, text) to service_role;

-- Same contract as before; it now reads the new audit_context.
create or replace function public.bootstrap_profile(p_user_id uuid)
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
  return query
    select c.github_id, c.github_login, c.installation_id, c.completed_audit_id is not null
      from public.audit_context(p_user_id, null, null) c;
end;
$$;

-- Records the outcome of one run of one event (see the header). Returns what the row
-- holds afterwards, and whether this call changed it, so the caller reports only that.
drop function public.record_audit(text, uuid, text, text, bigint, jsonb, integer, smallint, text);
create function public.record_audit(
  p_idempotency_key text,
  p_user_id uuid,
  p_status text,
  p_reason text,
  p_installation_id bigint,
  p_signals jsonb,
  p_xp integer,
  p_level smallint,
  p_actor text,
  p_run_id text
)
returns table (
  audit_id bigint,
  status text,
  reason text,
  xp integer,
  level smallint,
  changed boolean,
  announced boolean
)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id bigint;
  v_old public.audits%rowtype;
begin
  if p_idempotency_key is null or length(p_idempotency_key) not between 1 and 200 then
    raise exception using errcode = '22023', message = 'p_idempotency_key must be 1..200 characters';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'audits are recorded by a named system actor';
  end if;
  if p_run_id is null or length(p_run_id) not between 1 and 100 then
    raise exception using errcode = '22023', message = 'p_run_id must be 1..100 characters';
  end if;
  if not exists (select 1 from public.profiles pr where pr.id = p_user_id) then
    raise exception using errcode = 'CF006', message = 'profile_missing';
  end if;

  insert into public.audits as a (idempotency_key, user_id, status, reason, installation_id, signals, xp, level,
                                  created_by, updated_by, last_run_id)
    values (p_idempotency_key, p_user_id, p_status, p_reason, p_installation_id, p_signals, p_xp, p_level,
            p_actor::public.actor, p_actor::public.actor, p_run_id)
    on conflict (idempotency_key) do nothing
    returning a.id into v_id;

  if v_id is null then
    -- Serializes racing runs of the same event: the second sees what the first wrote.
    select a.* into v_old from public.audits a where a.idempotency_key = p_idempotency_key for update;
    if v_old.user_id <> p_user_id then
      raise exception using errcode = '22023', message = 'the idempotency key belongs to another user';
    end if;
    if v_old.status = 'completed'
       or (v_old.last_run_id = p_run_id and v_old.status = p_status and v_old.reason is not distinct from p_reason) then
      return query select v_old.id, v_old.status, v_old.reason, v_old.xp, v_old.level, false, v_old.announced_at is not null;
      return;
    end if;
    update public.audits a
      set status = p_status, reason = p_reason, installation_id = p_installation_id, signals = p_signals,
          xp = p_xp, level = p_level, attempts = a.attempts + 1, updated_at = now(),
          updated_by = p_actor::public.actor, last_run_id = p_run_id
      where a.id = v_old.id;
    v_id := v_old.id;
  end if;

  insert into public.audit_transitions (audit_id, from_status, from_reason, to_status, to_reason, run_id, actor)
    values (v_id, v_old.status, v_old.reason, p_status, p_reason, p_run_id, p_actor::public.actor);

  if p_status = 'completed' then
    update public.profiles pr
      set xp = greatest(pr.xp, p_xp),
          level = greatest(pr.level, p_level),
          audited_at = now(),
          updated_at = now(),
          updated_by = p_actor::public.actor
      where pr.id = p_user_id;
  end if;

  return query select v_id, p_status, p_reason, p_xp, p_level, true, false;
end;
$$;

revoke all on function public.record_audit(text, uuid, text, text, bigint, jsonb, integer, smallint, text, text) from public, anon, authenticated;
grant execute on function public.record_audit(text, uuid, text, text, bigint, jsonb, integer, smallint, text, text) to service_role;

-- audit/completed was sent for this completed audit (idempotent).
create function public.mark_audit_announced(p_audit_id bigint, p_actor text)
returns table (audit_id bigint, announced_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'audits are announced by a named system actor';
  end if;
  return query
    update public.audits a
      set announced_at = coalesce(a.announced_at, now()),
          updated_at = case when a.announced_at is null then now() else a.updated_at end,
          updated_by = case when a.announced_at is null then p_actor::public.actor else a.updated_by end
      where a.id = p_audit_id and a.status = 'completed'
      returning a.id, a.announced_at;
end;
$$;

revoke all on function public.mark_audit_announced(bigint, text) from public, anon, authenticated;
grant execute on function public.mark_audit_announced(bigint, text) to service_role;
