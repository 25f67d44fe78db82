-- What a function needs to know of an installation's account to call GitHub for it (the
-- organisation login for its member list). Read-only: it writes nothing, so it names no actor.
create function public.installation_account(p_installation_id bigint)
returns table (account_login text, account_type text, status text)
language sql
stable
security definer
set search_path = ''
as $$
  select i.account_login, i.account_type, i.status
    from public.github_installations i where i.id = p_installation_id
$$;

revoke all on function public.installation_account(bigint) from public, anon, authenticated;
grant execute on function public.installation_account(bigint) to service_role;
