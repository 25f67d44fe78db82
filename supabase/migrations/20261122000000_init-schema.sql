-- The product's data model. Runs unchanged on Supabase and, after
-- supabase/bootstrap/local-bootstrap.sql, on plain Postgres.

-- Functions in public are executable by PUBLIC (and, on Supabase, anon and
-- authenticated) by default. Each RPC below grants EXECUTE explicitly instead.
alter default privileges in schema public revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;

-- Who performed a durable write: a user ('user:<uuid>') or a named system actor
-- ('system:<name>'). No anonymous writes: every table below requires one.
create domain public.actor as text
  check (value ~ '^(user:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|system:[a-z][a-z0-9-]{1,62})$');

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  github_id bigint unique,
  github_login text,
  avatar_url text,
  xp integer not null default 0 check (xp >= 0),
  level smallint not null default 0 check (level between 0 and 5),
  audited_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by public.actor not null
);

create table public.github_installations (
  id bigint primary key, -- GitHub's installation id
  account_id bigint not null,
  account_login text not null,
  account_type text not null check (account_type in ('User', 'Organization', 'Enterprise')),
  installed_by_github_id bigint,
  status text not null default 'active' check (status in ('active', 'suspended', 'deleted')),
  status_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by public.actor not null
);
create index github_installations_account_idx on public.github_installations (account_id) where status = 'active';
create index github_installations_installer_idx on public.github_installations (installed_by_github_id) where status = 'active';

create table public.github_installation_repositories (
  installation_id bigint not null references public.github_installations (id) on delete cascade,
  repository_id bigint not null,
  full_name text not null,
  private boolean not null default false,
  added_at timestamptz not null default now(),
  updated_by public.actor not null,
  primary key (installation_id, repository_id)
);

create table public.webhook_deliveries (
  delivery_id text primary key, -- X-GitHub-Delivery
  event text not null,
  action text,
  installation_id bigint,
  status text not null default 'received' check (status in ('received', 'processed', 'failed')),
  attempts integer not null default 1 check (attempts >= 1),
  last_error text,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  updated_by public.actor not null
);

create table public.audits (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  -- One audit per triggering event: a retry or replay of that event finds this key.
  idempotency_key text not null unique,
  status text not null check (status in ('completed', 'skipped', 'failed')),
  reason text,
  installation_id bigint,
  signals jsonb check (signals is null or jsonb_typeof(signals) = 'object'),
  xp integer check (xp >= 0),
  level smallint check (level between 0 and 5),
  created_at timestamptz not null default now(),
  created_by public.actor not null,
  check (status <> 'completed' or (signals is not null and xp is not null and level is not null)),
  check (status = 'completed' or reason is not null)
);
create index audits_user_idx on public.audits (user_id, created_at desc);

create table public.candidate_issues (
  id bigint generated always as identity primary key,
  github_issue_id bigint not null unique,
  repo_full_name text not null,
  number integer not null check (number > 0),
  title text not null,
  html_url text not null,
  language text,
  labels text[] not null default '{}',
  difficulty smallint not null default 1 check (difficulty between 1 and 5),
  state text not null default 'open' check (state in ('open', 'closed')),
  fetched_at timestamptz not null default now(),
  updated_by public.actor not null
);

create table public.recommendations (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  candidate_issue_id bigint not null references public.candidate_issues (id) on delete cascade,
  status text not null default 'open' check (status in ('open', 'claimed', 'completed', 'expired')),
  rank_score real not null default 0,
  expires_at timestamptz not null default now() + interval '7 days',
  claimed_at timestamptz,
  claim_expires_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  created_by public.actor not null,
  updated_by public.actor not null,
  unique (user_id, candidate_issue_id),
  check (status <> 'claimed' or (claimed_at is not null and claim_expires_at is not null))
);
create index recommendations_user_status_idx on public.recommendations (user_id, status);
-- The claim cap counts exactly these rows.
create index recommendations_active_claims_idx on public.recommendations (user_id, claim_expires_at) where status = 'claimed';

create table public.tracked_events (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  name text not null check (name ~ '^[a-z][a-z0-9_.:-]{0,63}$'),
  properties jsonb not null default '{}'::jsonb
    check (jsonb_typeof(properties) = 'object' and pg_column_size(properties) <= 8192),
  occurred_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  actor public.actor not null
);
create index tracked_events_user_idx on public.tracked_events (user_id, occurred_at desc);

-- Row level security everywhere. Writes go through RPCs as service_role; signed-in
-- users may only read their own rows, through the policies below.
alter table public.profiles enable row level security;
alter table public.github_installations enable row level security;
alter table public.github_installation_repositories enable row level security;
alter table public.webhook_deliveries enable row level security;
alter table public.audits enable row level security;
alter table public.candidate_issues enable row level security;
alter table public.recommendations enable row level security;
alter table public.tracked_events enable row level security;

revoke all on all tables in schema public from anon;
revoke insert, update, delete, truncate, references, trigger on all tables in schema public from authenticated;
revoke all on public.webhook_deliveries, public.github_installation_repositories from authenticated;
grant all on all tables in schema public to service_role;

create policy "users can read their own profile"
  on public.profiles for select to authenticated
  using ((select auth.uid()) = id);

create policy "users can read their own recommendations"
  on public.recommendations for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "users can read their own audits"
  on public.audits for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "users can read their own tracked events"
  on public.tracked_events for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "users can read installations of their github account"
  on public.github_installations for select to authenticated
  using (exists (
    select 1 from public.profiles p
    where p.id = (select auth.uid())
      and p.github_id in (github_installations.account_id, github_installations.installed_by_github_id)
  ));

create policy "signed-in users can read candidate issues"
  on public.candidate_issues for select to authenticated
  using (true);
