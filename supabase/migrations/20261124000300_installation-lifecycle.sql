-- The installation lifecycle, driven by forwarded GitHub webhooks. Every write names the
-- system actor and the delivery it came from; every RPC is idempotent under redelivery,
-- retry and dashboard rerun. Deletion is final: a late or replayed event never revives it.

alter table public.github_installations add column last_delivery_id text;
alter table public.github_installation_repositories
  add column last_delivery_id text,
  add column updated_at timestamptz not null default now();

-- Upserts an installation from installation.created and returns the linked users (the
-- account's owner or the installer) who have no completed audit yet.
create function public.upsert_github_installation(
  p_installation_id bigint,
  p_account_id bigint,
  p_account_login text,
  p_account_type text,
  p_installed_by bigint,
  p_delivery_id text,
  p_actor text
)
returns table (user_id uuid, github_id bigint, github_login text)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_installation_id is null or p_account_id is null or p_delivery_id is null then
    raise exception using errcode = '22004', message = 'installation, account and delivery ids are required';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'installations are written by a named system actor';
  end if;

  insert into public.github_installations as gi
      (id, account_id, account_login, account_type, installed_by_github_id, status, updated_by, last_delivery_id)
    values (p_installation_id, p_account_id, p_account_login, p_account_type, p_installed_by, 'active',
            p_actor::public.actor, p_delivery_id)
    on conflict (id) do update
      set account_id = excluded.account_id,
          account_login = excluded.account_login,
          account_type = excluded.account_type,
          installed_by_github_id = coalesce(excluded.installed_by_github_id, gi.installed_by_github_id),
          updated_at = now(),
          updated_by = excluded.updated_by,
          last_delivery_id = excluded.last_delivery_id
      where gi.status <> 'deleted';

  return query
    select p.id, p.github_id, p.github_login
      from public.profiles p
      join public.github_installations gi on gi.id = p_installation_id and gi.status = 'active'
     where p.github_id in (gi.account_id, gi.installed_by_github_id)
       and p.github_login is not null
       and not exists (select 1 from public.audits a where a.user_id = p.id and a.status = 'completed');
end;
$$;

revoke all on function public.upsert_github_installation(bigint, bigint, text, text, bigint, text, text) from public, anon, authenticated;
grant execute on function public.upsert_github_installation(bigint, bigint, text, text, bigint, text, text) to service_role;

-- deleted / suspend / unsuspend / new_permissions_accepted (p_status null: record the delivery
-- only). Returns nothing for an installation never recorded.
create function public.set_github_installation_status(
  p_installation_id bigint,
  p_status text,
  p_reason text,
  p_delivery_id text,
  p_actor text
)
returns table (installation_id bigint, status text)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_status is not null and p_status not in ('active', 'suspended', 'deleted') then
    raise exception using errcode = '22023', message = 'p_status must be active, suspended or deleted';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'installations are written by a named system actor';
  end if;
  return query
    update public.github_installations gi
       set status = case when gi.status = 'deleted' then gi.status else coalesce(p_status, gi.status) end,
           status_reason = case when gi.status = 'deleted' or p_status is null then gi.status_reason else p_reason end,
           updated_at = now(),
           updated_by = p_actor::public.actor,
           last_delivery_id = p_delivery_id
     where gi.id = p_installation_id
    returning gi.id, gi.status;
end;
$$;

revoke all on function public.set_github_installation_status(bigint, text, text, text, text) from public, anon, authenticated;
grant execute on function public.set_github_installation_status(bigint, text, text, text, text) to service_role;

-- Replaces an installation's repository list with what GitHub lists now
-- (p_repositories: [{ "id", "full_name", "private" }]). Nothing for an unknown installation.
create function public.sync_installation_repositories(
  p_installation_id bigint,
  p_repositories jsonb,
  p_delivery_id text,
  p_actor text
)
returns table (installation_id bigint, repositories integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  if p_repositories is null or jsonb_typeof(p_repositories) <> 'array' then
    raise exception using errcode = '22023', message = 'p_repositories must be a JSON array';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'installations are written by a named system actor';
  end if;
  -- Serializes concurrent syncs of one installation (a redelivery racing a rerun).
  perform 1 from public.github_installations gi where gi.id = p_installation_id for update;
  if not found then
    return;
  end if;

  delete from public.github_installation_repositories r
   where r.installation_id = p_installation_id
     and r.repository_id not in (select (x ->> 'id')::bigint from jsonb_array_elements(p_repositories) x);

  insert into public.github_installation_repositories as r
      (installation_id, repository_id, full_name, private, updated_by, last_delivery_id)
    select p_installation_id, (x ->> 'id')::bigint, x ->> 'full_name', coalesce((x ->> 'private')::boolean, false),
           p_actor::public.actor, p_delivery_id
      from jsonb_array_elements(p_repositories) x
    on conflict on constraint github_installation_repositories_pkey do update
      set full_name = excluded.full_name,
          private = excluded.private,
          updated_at = now(),
          updated_by = excluded.updated_by,
          last_delivery_id = excluded.last_delivery_id
      where (r.full_name, r.private) is distinct from (excluded.full_name, excluded.private);

  select count(*) into v_count from public.github_installation_repositories r where r.installation_id = p_installation_id;
  return query select p_installation_id, v_count;
end;
$$;

revoke all on function public.sync_installation_repositories(bigint, jsonb, text, text) from public, anon, authenticated;
grant execute on function public.sync_installation_repositories(bigint, jsonb, text, text) to service_role;
