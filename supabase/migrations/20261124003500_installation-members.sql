-- Organisation members reach an installation's repositories too, not only its account and
-- the person who installed it: GitHub's `organization` member_added / member_removed
-- deliveries record who is a member, per installation. A row is kept for a removed member
-- (member = false) so that deliveries applied out of order converge: each carries the time
-- the intake received it (webhook_deliveries.received_at; a redelivery keeps the first),
-- and an older one writes nothing.

create table public.github_installation_members (
  installation_id bigint not null references public.github_installations (id) on delete cascade,
  github_user_id bigint not null check (github_user_id > 0),
  member boolean not null,
  -- When the intake received the delivery that set `member`: orders later deliveries.
  as_of timestamptz not null,
  last_delivery_id text not null check (last_delivery_id ~ '^[A-Za-z0-9-]{1,100}$'),
  updated_at timestamptz not null default now(),
  updated_by public.actor not null,
  primary key (installation_id, github_user_id)
);
create index github_installation_members_user_idx
  on public.github_installation_members (github_user_id) where member;
alter table public.github_installation_members enable row level security;
revoke all on public.github_installation_members from public, anon, authenticated;
revoke all on public.github_installation_members from service_role;
grant select on public.github_installation_members to service_role;

-- Applies one membership delivery: 'unrelated' (installation unknown, or the delivery was
-- never recorded, e.g. pruned by retention), 'stale' (older than what is recorded), else
-- 'recorded'.
create function public.apply_installation_member(
  p_installation_id bigint,
  p_github_user_id bigint,
  p_member boolean,
  p_delivery_id text,
  p_actor text
)
returns table (status text, member boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_as_of timestamptz;
  v_row public.github_installation_members%rowtype;
begin
  if p_installation_id is null or p_github_user_id is null or p_member is null or p_delivery_id is null then
    raise exception using errcode = '22004', message = 'every argument is required';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'memberships are written by a named system actor';
  end if;
  select d.received_at into v_as_of from public.webhook_deliveries d where d.delivery_id = p_delivery_id;
  if v_as_of is null
     or not exists (select 1 from public.github_installations i where i.id = p_installation_id) then
    return query select 'unrelated'::text, null::boolean;
    return;
  end if;

  insert into public.github_installation_members as m
      (installation_id, github_user_id, member, as_of, last_delivery_id, updated_by)
    values (p_installation_id, p_github_user_id, p_member, v_as_of, p_delivery_id, p_actor::public.actor)
    on conflict (installation_id, github_user_id) do update
      set member = excluded.member, as_of = excluded.as_of,
          last_delivery_id = excluded.last_delivery_id, updated_at = now(),
          updated_by = excluded.updated_by
      -- Strictly newer only: a redelivery (same time) or an older delivery changes nothing.
      where m.as_of < excluded.as_of
    returning m.* into v_row;
  if not found then
    select m.* into v_row from public.github_installation_members m
     where m.installation_id = p_installation_id and m.github_user_id = p_github_user_id;
    return query select 'stale'::text, v_row.member;
    return;
  end if;
  return query select 'recorded'::text, v_row.member;
end;
$$;

revoke all on function public.apply_installation_member(bigint, bigint, boolean, text, text) from public, anon, authenticated;
grant execute on function public.apply_installation_member(bigint, bigint, boolean, text, text) to service_role;

-- Reach, for recommendations: the installation's account, its installer, or a member.
create or replace function public.recommendation_build_context(p_user_id uuid)
returns table (installation_id bigint, repo_full_name text, fetched_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select distinct on (r.full_name) i.id, r.full_name, c.fetched_at
    from public.profiles p
    join public.github_installations i
      on i.status = 'active'
     and (p.github_id in (i.account_id, i.installed_by_github_id)
          or exists (select 1 from public.github_installation_members m
                      where m.installation_id = i.id and m.github_user_id = p.github_id and m.member))
    join public.github_installation_repositories r on r.installation_id = i.id
    left join public.candidate_repositories c on c.repo_full_name = r.full_name
   where p.id = p_user_id
   order by r.full_name, i.id
$$;

create or replace function public.recommendation_refresh_users(p_after uuid, p_limit integer)
returns table (user_id uuid)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_limit is null or p_limit not between 1 and 5000 then
    raise exception using errcode = '22023', message = 'p_limit must be 1..5000';
  end if;
  return query
    select p.id from public.profiles p
     where (p_after is null or p.id > p_after)
       and exists (
         select 1 from public.github_installations i
          where i.status = 'active'
            and (p.github_id in (i.account_id, i.installed_by_github_id)
                 or exists (select 1 from public.github_installation_members m
                             where m.installation_id = i.id and m.github_user_id = p.github_id
                               and m.member)))
     order by p.id
     limit p_limit;
end;
$$;
