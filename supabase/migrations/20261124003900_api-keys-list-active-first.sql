-- list_api_keys: active keys first, then the most recent revoked or expired ones. Ordered by
-- id alone, 100 newer revoked keys hid an older active one, which the owner could then
-- neither see nor revoke. Same result columns (src/db/rpc/contract-api-keys.ts).

-- Serves the inactive half (newest first per user) and the cascade from profiles.
create index api_keys_user_id_idx on public.api_keys (user_id, id desc);

create or replace function public.list_api_keys(p_user_id uuid)
returns table (
  id bigint,
  name text,
  display_prefix text,
  created_at timestamptz,
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
  -- Active: at most 5 (create_api_key's cap), so all of them always fit in the 100.
  with active as (
    select k.*, 0 as rank
      from public.api_keys k
      where k.user_id = p_user_id and k.revoked_at is null
        and (k.expires_at is null or k.expires_at > now())
  ),
  inactive as (
    select k.*, 1 as rank
      from public.api_keys k
      where k.user_id = p_user_id
        and (k.revoked_at is not null or k.expires_at <= now())
      order by k.id desc
      limit 100
  )
  select x.id, x.name, x.display_prefix, x.created_at, x.expires_at, x.last_used_at, x.revoked_at
    from (select * from active union all select * from inactive) x
    order by x.rank, x.id desc
    limit 100
$$;

revoke all on function public.list_api_keys(uuid) from public, anon, authenticated;
grant execute on function public.list_api_keys(uuid) to service_role;
