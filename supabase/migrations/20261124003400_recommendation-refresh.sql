-- The users the daily refresh asks a recommendations build for: those who reach an active
-- installation the way recommendation_build_context does (its account, or who installed
-- it). Keyset pages by user id. Read-only: it writes nothing, so it names no actor.
create function public.recommendation_refresh_users(p_after uuid, p_limit integer)
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
          where i.status = 'active' and p.github_id in (i.account_id, i.installed_by_github_id))
     order by p.id
     limit p_limit;
end;
$$;

revoke all on function public.recommendation_refresh_users(uuid, integer) from public, anon, authenticated;
grant execute on function public.recommendation_refresh_users(uuid, integer) to service_role;
