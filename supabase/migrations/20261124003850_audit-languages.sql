-- The languages of a user's own repositories, as the audit read them (primaryLanguage of up
-- to 100 repositories): derived names only. The profile keeps those of the latest completed
-- audit, so ranking can prefer issues in languages the user writes.
alter table public.audits
  add column languages text[] not null default '{}' check (cardinality(languages) <= 100);
alter table public.profiles
  add column languages text[] not null default '{}' check (cardinality(languages) <= 100);

-- As 20261124000100_audit-reruns.sql, plus p_languages (null for an audit that did not
-- complete). A completed row is final, so a rerun never rewrites its languages either.
drop function public.record_audit(text, uuid, text, text, bigint, jsonb, integer, smallint, text, text);
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
  p_run_id text,
  p_languages text[]
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
  v_languages text[] := coalesce(p_languages, '{}');
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
  if cardinality(p_languages) > 100
     or exists (select 1 from unnest(p_languages) l where l is null or length(l) not between 1 and 100) then
    raise exception using errcode = '22023', message = 'p_languages must be at most 100 names of 1..100 characters';
  end if;
  if not exists (select 1 from public.profiles pr where pr.id = p_user_id) then
    raise exception using errcode = 'CF006', message = 'profile_missing';
  end if;

  insert into public.audits as a (idempotency_key, user_id, status, reason, installation_id, signals, languages,
                                  xp, level, created_by, updated_by, last_run_id)
    values (p_idempotency_key, p_user_id, p_status, p_reason, p_installation_id, p_signals, v_languages,
            p_xp, p_level, p_actor::public.actor, p_actor::public.actor, p_run_id)
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
          languages = v_languages,
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
          languages = v_languages,
          audited_at = now(),
          updated_at = now(),
          updated_by = p_actor::public.actor
      where pr.id = p_user_id;
  end if;

  return query select v_id, p_status, p_reason, p_xp, p_level, true, false;
end;
$$;

revoke all on function public.record_audit(text, uuid, text, text, bigint, jsonb, integer, smallint, text, text, text[]) from public, anon, authenticated;
grant execute on function public.record_audit(text, uuid, text, text, bigint, jsonb, integer, smallint, text, text, text[]) to service_role;

-- As 20261124000600_recommendation-reads.sql, plus the profile's languages.
drop function public.get_profile(uuid);
create function public.get_profile(p_user_id uuid)
returns table (
  github_login text,
  level smallint,
  xp integer,
  audit_status text,
  audit_reason text,
  audit_at timestamptz,
  languages text[]
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_user_id is null then
    raise exception using errcode = '22004', message = 'p_user_id is required';
  end if;

  return query
    select p.github_login, p.level, p.xp, a.status, a.reason, a.updated_at, p.languages
      from public.profiles p
      left join lateral (
        -- Latest by creation; updated_at is when it reached its current status.
        select au.status, au.reason, au.updated_at
          from public.audits au
          where au.user_id = p.id
          order by au.created_at desc, au.id desc
          limit 1
      ) a on true
      where p.id = p_user_id;
  if not found then
    raise exception using errcode = 'CF006', message = 'profile_missing';
  end if;
end;
$$;

revoke all on function public.get_profile(uuid) from public, anon, authenticated;
grant execute on function public.get_profile(uuid) to service_role;
