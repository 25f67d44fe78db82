-- Group commit for webhook intake: the deliveries that arrive while one transaction commits
-- are recorded together in the next, one row each, with the rules of
-- record_webhook_delivery, set-based (one insert for the group). Results in input order.
create function public.record_webhook_deliveries(p_deliveries jsonb, p_actor text)
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
           coalesce(ins.status, d.status),
           not (ins.delivery_id is not null and i.n = f.n)
      from input i
      join firsts f on f.delivery_id = i.delivery_id
      left join inserted ins on ins.delivery_id = i.delivery_id
      left join public.webhook_deliveries d on d.delivery_id = i.delivery_id and ins.delivery_id is null
     order by i.n;
end;
$$;

revoke all on function public.record_webhook_deliveries(jsonb, text) from public, anon, authenticated;
grant execute on function public.record_webhook_deliveries(jsonb, text) to service_role;

-- One implementation of the recording rules: the single-delivery form is a group of one.
create or replace function public.record_webhook_delivery(
  p_delivery_id text,
  p_event text,
  p_action text,
  p_installation_id bigint,
  p_payload_sha256 text,
  p_forward_event text,
  p_forward_data jsonb,
  p_actor text
)
returns table (delivery_id text, status text, duplicate boolean)
language sql
security definer
set search_path = ''
as $$
  select * from public.record_webhook_deliveries(
    jsonb_build_array(jsonb_build_object(
      'delivery_id', p_delivery_id, 'event', p_event, 'action', p_action,
      'installation_id', p_installation_id, 'payload_sha256', p_payload_sha256,
      'forward_event', p_forward_event, 'forward_data', p_forward_data)),
    p_actor)
$$;
