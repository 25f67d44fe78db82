-- The intake marked forwarded deliveries in a transaction of their own, after it had recorded
-- them in another: 40% of its commits under load (npm run bench:webhooks). The marks now ride
-- along with the next group recorded, in its transaction, marks first: if the group is
-- refused, its marks roll back with it and the intake sends them on their own.
create function public.record_webhook_group(p_deliveries jsonb, p_forwarded text[], p_actor text)
returns table (delivery_id text, status text, duplicate boolean)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_forwarded is null then
    raise exception using errcode = '22004', message = 'p_forwarded is required (empty for none)';
  end if;
  if cardinality(p_forwarded) > 0 then
    perform 1 from public.mark_webhook_deliveries_forwarded(p_forwarded, p_actor);
  end if;
  return query select * from public.record_webhook_deliveries(p_deliveries, p_actor);
end;
$$;

revoke all on function public.record_webhook_group(jsonb, text[], text) from public, anon, authenticated;
grant execute on function public.record_webhook_group(jsonb, text[], text) to service_role;
