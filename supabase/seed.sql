-- Demo data: two GitHub-linked users with 12 open recommendations each.
-- Idempotent: re-running changes nothing. Every write names its actor.

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'octo-ada@example.test'),
  ('22222222-2222-4222-8222-222222222222', 'octo-linus@example.test')
on conflict (id) do nothing;

insert into auth.identities (provider_id, user_id, provider, identity_data) values
  ('5001001', '11111111-1111-4111-8111-111111111111', 'github', '{"sub": "5001001", "user_name": "octo-ada"}'),
  ('5001002', '22222222-2222-4222-8222-222222222222', 'github', '{"sub": "5001002", "user_name": "octo-linus"}')
on conflict (provider_id, provider) do nothing;

insert into public.profiles (id, github_id, github_login, updated_by) values
  ('11111111-1111-4111-8111-111111111111', 5001001, 'octo-ada', 'system:seed'),
  ('22222222-2222-4222-8222-222222222222', 5001002, 'octo-linus', 'system:seed')
on conflict (id) do nothing;

insert into public.candidate_issues (github_issue_id, repo_full_name, number, title, html_url, language, labels, difficulty, updated_by)
select 9000000 + n,
       'octo-demo/' || (array['parser', 'cli', 'docs', 'web'])[1 + n % 4],
       n,
       'Demo issue #' || n,
       'https://github.com/octo-demo/' || (array['parser', 'cli', 'docs', 'web'])[1 + n % 4] || '/issues/' || n,
       (array['TypeScript', 'Go', 'Rust', 'Python'])[1 + n % 4],
       array['good first issue'],
       1 + n % 3,
       'system:seed'
from generate_series(1, 24) as n
on conflict (github_issue_id) do nothing;

insert into public.recommendations (user_id, candidate_issue_id, rank_score, expires_at, created_by, updated_by)
select u.id, ci.id, 1.0 / ci.number, now() + interval '7 days', 'system:seed', 'system:seed'
from (values ('11111111-1111-4111-8111-111111111111'::uuid, 0), ('22222222-2222-4222-8222-222222222222'::uuid, 1)) as u (id, parity)
join public.candidate_issues ci on ci.github_issue_id between 9000001 and 9000024 and ci.number % 2 = u.parity
on conflict (user_id, candidate_issue_id) do nothing;
