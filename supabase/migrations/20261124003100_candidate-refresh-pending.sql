-- The given repositories whose candidates are not fresh yet: a build that found some of its
-- repositories leased by another run's refresh waits on this instead of ranking an empty or
-- stale cache (two users of one installation signing in at once both get recommendations).
create function public.pending_candidate_refreshes(p_repositories text[], p_fresh_seconds integer)
returns table (repo_full_name text)
language sql
stable
security definer
set search_path = ''
as $$
  select x.repo_full_name
    from unnest(p_repositories) as x (repo_full_name)
    left join public.candidate_repositories c on c.repo_full_name = x.repo_full_name
   where c.fetched_at is null or c.fetched_at <= now() - make_interval(secs => p_fresh_seconds)
   order by x.repo_full_name
$$;

revoke all on function public.pending_candidate_refreshes(text[], integer) from public, anon, authenticated;
grant execute on function public.pending_candidate_refreshes(text[], integer) to service_role;
