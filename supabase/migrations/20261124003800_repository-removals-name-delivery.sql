-- Repository removals name their actor and delivery. The removed rows stay hard-deleted and
-- the installation row records who synced its list and from which delivery, in the same
-- transaction: a soft delete would need every reader of the table (candidates,
-- recommendations, completions, members) to filter removed rows, and one that forgot would
-- silently keep a removed repository in reach. A delete fails closed.
create or replace function public.sync_installation_repositories(
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
  if p_delivery_id is null then
    raise exception using errcode = '22004', message = 'the delivery id is required';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'installations are written by a named system actor';
  end if;
  -- Stamping the installation also serializes concurrent syncs of it (a redelivery racing a rerun).
  update public.github_installations gi
     set updated_at = now(),
         updated_by = p_actor::public.actor,
         last_delivery_id = p_delivery_id
   where gi.id = p_installation_id;
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
