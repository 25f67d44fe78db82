-- Retention for the webhook records. A delivery row is the dedupe key of its delivery id;
-- GitHub redelivers only deliveries of the past 3 days, so a forwarded or ignored row older
-- than the cut-off (30 days, src/inngest/functions/prune-webhook-records.ts) has done its
-- job. Pending ('received') rows are the outbox and failed ones are for operators: neither
-- is ever pruned. An issue verdict that old orders nothing any more either. Bounded per
-- call; no `order by`, so the scan stops at the first p_limit old rows (the oldest rows sit
-- at the start of an append-mostly table) instead of reading the whole table to sort it.
create function public.prune_webhook_records(p_before timestamptz, p_limit integer, p_actor text)
returns table (deliveries integer, issue_states integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_deliveries integer;
  v_issue_states integer;
begin
  if p_before is null or p_limit is null or p_limit not between 1 and 5000 then
    raise exception using errcode = '22023', message = 'p_before is required and p_limit must be 1..5000';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'records are pruned by a named system actor';
  end if;

  with doomed as (
    select d.delivery_id from public.webhook_deliveries d
     where d.status in ('forwarded', 'ignored') and d.received_at < p_before
     limit p_limit
     for update skip locked
  )
  delete from public.webhook_deliveries d using doomed where d.delivery_id = doomed.delivery_id;
  get diagnostics v_deliveries = row_count;

  with doomed as (
    select s.github_issue_id from public.issue_webhook_states s
     where s.updated_at < p_before
     limit p_limit
     for update skip locked
  )
  delete from public.issue_webhook_states s using doomed
   where s.github_issue_id = doomed.github_issue_id;
  get diagnostics v_issue_states = row_count;

  return query select v_deliveries, v_issue_states;
end;
$$;

revoke all on function public.prune_webhook_records(timestamptz, integer, text) from public, anon, authenticated;
grant execute on function public.prune_webhook_records(timestamptz, integer, text) to service_role;
