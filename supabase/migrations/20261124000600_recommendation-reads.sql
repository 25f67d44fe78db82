-- Reads behind the get-profile and list-recommendations actions. Clients hold no table
-- privilege (20261124000000), so these run as service_role for the session's user only.
--
-- Error contract (SQLSTATE, mapped to typed errors by src/db/rpc/errors.ts):
--   CF006 profile_missing   no profile for this user (sign-in has not run)
--   22004 / 22023           a required argument is null / out of range

-- The caller's profile and their latest audit (null columns when there is none).
create function public.get_profile(p_user_id uuid)
returns table (
  github_login text,
  level smallint,
  xp integer,
  audit_status text,
  audit_reason text,
  audit_at timestamptz
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
    select p.github_login, p.level, p.xp, a.status, a.reason, a.updated_at
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

-- One page of the caller's live recommendations: open and not expired, or claimed with
-- the claim still running (the rows the claim cap counts). Keyset-paginated on id: a
-- row's id never changes, so claiming or releasing between pages neither repeats nor
-- skips a row, as a (status, id) key would.
create function public.list_recommendations(p_user_id uuid, p_after_id bigint, p_limit integer)
returns table (
  id bigint,
  status text,
  repo text,
  number integer,
  title text,
  url text,
  language text,
  labels text[],
  expires_at timestamptz,
  claim_expires_at timestamptz
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_user_id is null or p_limit is null then
    raise exception using errcode = '22004', message = 'p_user_id and p_limit are required';
  end if;
  -- One more than the action's largest page, so it can tell whether another follows.
  if p_limit not between 1 and 101 then
    raise exception using errcode = '22023', message = 'p_limit must be between 1 and 101';
  end if;

  return query
    select r.id, r.status, c.repo_full_name, c.number, c.title, c.html_url, c.language,
           c.labels, r.expires_at, r.claim_expires_at
      from public.recommendations r
      join public.candidate_issues c on c.id = r.candidate_issue_id
      where r.user_id = p_user_id
        and (p_after_id is null or r.id > p_after_id)
        and (
          (r.status = 'open' and r.expires_at > now())
          or (r.status = 'claimed' and r.claim_expires_at > now())
        )
      order by r.id
      limit p_limit;
end;
$$;

revoke all on function public.list_recommendations(uuid, bigint, integer) from public, anon, authenticated;
grant execute on function public.list_recommendations(uuid, bigint, integer) to service_role;
