-- Group commit for webhook intake: the deliveries that arrive while one transaction commits
-- are recorded together in the next, one row each, with the same rules as
-- record_webhook_delivery (which this calls per element). Results come back in input order.
create function public.record_webhook_deliveries(p_deliveries jsonb, p_actor text)
returns table (delivery_id text, status text, duplicate boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_delivery jsonb;
begin
  if p_deliveries is null or jsonb_typeof(p_deliveries) <> 'array' then
    raise exception using errcode = '22023', message = 'p_deliveries must be a JSON array';
  end if;
  for v_delivery in select x from jsonb_array_elements(p_deliveries) with ordinality as t (x, n) order by n loop
    return query select * from public.record_webhook_delivery(
      v_delivery ->> 'delivery_id',
      v_delivery ->> 'event',
      v_delivery ->> 'action',
      (v_delivery ->> 'installation_id')::bigint,
      v_delivery ->> 'payload_sha256',
      v_delivery ->> 'forward_event',
      case when jsonb_typeof(v_delivery -> 'forward_data') = 'object' then v_delivery -> 'forward_data' end,
      p_actor);
  end loop;
end;
$$;

revoke all on function public.record_webhook_deliveries(jsonb, text) from public, anon, authenticated;
grant execute on function public.record_webhook_deliveries(jsonb, text) to service_role;
