-- The members an organisation had when the App was installed: installation-created lists
-- them from GitHub and replaces the installation's membership with that list, stamped with
-- when the intake received the installation.created delivery, so a member_added or
-- member_removed delivery received later still wins (apply_installation_member). Rows are
-- only ever moved forward in time: a rerun of the sync overrides nothing newer.
create function public.sync_installation_members(
  p_installation_id bigint,
  p_member_ids bigint[],
  p_delivery_id text,
  p_actor text
)
returns table (status text, members integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_as_of timestamptz;
  v_members integer;
begin
  if p_installation_id is null or p_member_ids is null or p_delivery_id is null then
    raise exception using errcode = '22004', message = 'every argument is required';
  end if;
  if exists (select 1 from unnest(p_member_ids) x where x is null or x <= 0) then
    raise exception using errcode = '22023', message = 'member ids are positive GitHub ids';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'memberships are written by a named system actor';
  end if;
  if not exists (select 1 from public.github_installations i where i.id = p_installation_id) then
    return query select 'unrelated'::text, null::integer;
    return;
  end if;
  -- A delivery retention has pruned (or an event sent by hand) orders before everything:
  -- the list fills in members no webhook has spoken for and overrides none.
  select coalesce(max(d.received_at), '-infinity') into v_as_of
    from public.webhook_deliveries d where d.delivery_id = p_delivery_id;

  insert into public.github_installation_members as m
      (installation_id, github_user_id, member, as_of, last_delivery_id, updated_by)
    select distinct p_installation_id, x, true, v_as_of, p_delivery_id, p_actor::public.actor
      from unnest(p_member_ids) x
    on conflict (installation_id, github_user_id) do update
      set member = true, as_of = excluded.as_of, last_delivery_id = excluded.last_delivery_id,
          updated_at = now(), updated_by = excluded.updated_by
      where m.as_of < excluded.as_of;
  update public.github_installation_members m
     set member = false, as_of = v_as_of, last_delivery_id = p_delivery_id,
         updated_at = now(), updated_by = p_actor::public.actor
   where m.installation_id = p_installation_id and m.member
     and m.as_of < v_as_of and not (m.github_user_id = any (p_member_ids));

  select count(*)::integer into v_members from public.github_installation_members m
   where m.installation_id = p_installation_id and m.member;
  return query select 'synced'::text, v_members;
end;
$$;

revoke all on function public.sync_installation_members(bigint, bigint[], text, text) from public, anon, authenticated;
grant execute on function public.sync_installation_members(bigint, bigint[], text, text) to service_role;
