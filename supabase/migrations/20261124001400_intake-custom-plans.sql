-- Two plans made the intake scan all of webhook_deliveries on every group as it grew
-- (bench:webhooks slowed round after round: 8.5M rows read for 20k deliveries):
-- 1. record_webhook_deliveries looked up known ids with a join that the planner, taking
--    jsonb_array_elements for 100 rows, turned into a hash join over a full scan;
-- 2. plpgsql caches a generic plan after five calls in a session: planned while the table
--    was nearly empty, `delivery_id = any (...)` stayed a scan. Custom plans are made per
--    call against the table as it is (a fraction of a millisecond of planning).
create or replace function public.record_webhook_deliveries(p_deliveries jsonb, p_actor text)
returns table (delivery_id text, status text, duplicate boolean)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_deliveries is null or jsonb_typeof(p_deliveries) <> 'array' then
    raise exception using errcode = '22023', message = 'p_deliveries must be a JSON array';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'deliveries are recorded by a named system actor';
  end if;
  if exists (
    select 1 from jsonb_array_elements(p_deliveries) x
     where coalesce(x ->> 'delivery_id', '') !~ '^[A-Za-z0-9-]{1,100}$'
        or coalesce(x ->> 'event', '') !~ '^[a-z_]{1,64}$'
        or (x -> 'forward_event' is null or jsonb_typeof(x -> 'forward_event') = 'null')
           <> (x -> 'forward_data' is null or jsonb_typeof(x -> 'forward_data') = 'null')
  ) then
    raise exception using errcode = '22023', message = 'a delivery is malformed (id, event, or forward event without data)';
  end if;

  return query
    with input as (
      select x ->> 'delivery_id' as delivery_id,
             x ->> 'event' as event,
             x ->> 'action' as action,
             (x ->> 'installation_id')::bigint as installation_id,
             x ->> 'payload_sha256' as payload_sha256,
             x ->> 'forward_event' as forward_event,
             case when jsonb_typeof(x -> 'forward_data') = 'object' then x -> 'forward_data' end as forward_data,
             n
        from jsonb_array_elements(p_deliveries) with ordinality as t (x, n)
    ),
    firsts as (
      -- A delivery id repeated inside one group is recorded by its first occurrence.
      select distinct on (i.delivery_id) i.* from input i order by i.delivery_id, i.n
    ),
    inserted as (
      insert into public.webhook_deliveries as d
          (delivery_id, event, action, installation_id, payload_sha256, forward_event, forward_data,
           status, processed_at, updated_by)
        select f.delivery_id, f.event, f.action, f.installation_id, f.payload_sha256, f.forward_event,
               f.forward_data,
               case when f.forward_event is null then 'ignored' else 'received' end,
               case when f.forward_event is null then now() end,
               p_actor::public.actor
          from firsts f
        on conflict (delivery_id) do nothing
        returning d.delivery_id, d.status
    )
    select i.delivery_id,
           -- A subquery per known id, not a join: the planner takes jsonb_array_elements for
           -- 100 rows and would hash-join them against a scan of the whole table.
           coalesce(ins.status,
                    (select d.status from public.webhook_deliveries d where d.delivery_id = i.delivery_id)),
           not (ins.delivery_id is not null and i.n = f.n)
      from input i
      join firsts f on f.delivery_id = i.delivery_id
      left join inserted ins on ins.delivery_id = i.delivery_id
     order by i.n;
end;
$$;

alter function public.record_webhook_deliveries(jsonb, text) set plan_cache_mode = force_custom_plan;
alter function public.mark_webhook_deliveries_forwarded(text[], text) set plan_cache_mode = force_custom_plan;
alter function public.record_webhook_group(jsonb, text[], text) set plan_cache_mode = force_custom_plan;
