-- Only SECURITY DEFINER functions write the candidate cache and the issue-state ledger, so
-- service_role keeps SELECT on them, like api_keys, and loses the rest (TRUNCATE included)
-- that `grant all` had given it.
revoke all on public.candidate_repositories from service_role;
grant select on public.candidate_repositories to service_role;
revoke all on public.issue_webhook_states from service_role;
grant select on public.issue_webhook_states to service_role;
