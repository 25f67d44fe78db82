-- GitHub webhook intake: one row per X-GitHub-Delivery, written together with what it
-- forwards to Inngest (a transactional outbox: the event name and identifier-only data,
-- in the same row, in the same statement). The payload itself is never stored, only its
-- SHA-256. A row stays 'received' until its event reached Inngest; the scheduled
-- forwarder claims such rows with a lease and sends them again under the same event id.

alter table public.webhook_deliveries drop constraint webhook_deliveries_status_check;
-- 'processed' meant "handled"; for a forwarding intake that is 'forwarded'.
update public.webhook_deliveries set status = 'forwarded' where status = 'processed';
alter table public.webhook_deliveries
  add constraint webhook_deliveries_status_check
    check (status in ('received', 'forwarded', 'ignored', 'failed')),
  add column payload_sha256 text check (payload_sha256 ~ '^[0-9a-f]{64}$'),
  add column forward_event text check (forward_event ~ '^github/[a-z0-9.-]{1,80}$'),
  add column forward_data jsonb check (jsonb_typeof(forward_data) = 'object'),
  -- While set and in the future, a forwarder run holds the row; an expired lease frees it.
  add column lease_until timestamptz,
  add column updated_at timestamptz not null default now(),
  add constraint webhook_deliveries_outbox_check check ((forward_event is null) = (forward_data is null)),
  add constraint webhook_deliveries_ignored_check check ((status = 'ignored') = (forward_event is null));

comment on column public.webhook_deliveries.attempts is
  'forwarding attempts: 1 for the intake, +1 each time the scheduled forwarder claims the row';
comment on column public.webhook_deliveries.processed_at is
  'when the delivery reached forwarded, ignored or failed';

create index webhook_deliveries_pending_idx on public.webhook_deliveries (received_at)
  where status = 'received';

-- Records a delivery once. A known delivery id (GitHub's redelivery carries the same one)
-- changes nothing and answers duplicate = true with the row's current status.
create function public.record_webhook_delivery(
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
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_status text := case when p_forward_event is null then 'ignored' else 'received' end;
  v_inserted text;
begin
  if p_delivery_id is null or p_delivery_id !~ '^[A-Za-z0-9-]{1,100}$' then
    raise exception using errcode = '22023', message = 'p_delivery_id must be a GitHub delivery GUID';
  end if;
  if p_event is null or p_event !~ '^[a-z_]{1,64}$' then
    raise exception using errcode = '22023', message = 'p_event must be a GitHub event name';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'deliveries are recorded by a named system actor';
  end if;
  if (p_forward_event is null) <> (p_forward_data is null) then
    raise exception using errcode = '22023', message = 'p_forward_event and p_forward_data come together';
  end if;

  insert into public.webhook_deliveries as d
      (delivery_id, event, action, installation_id, payload_sha256, forward_event, forward_data,
       status, processed_at, updated_by)
    values (p_delivery_id, p_event, p_action, p_installation_id, p_payload_sha256, p_forward_event,
            p_forward_data, v_status, case when v_status = 'ignored' then now() end,
            p_actor::public.actor)
    on conflict (delivery_id) do nothing
    returning d.delivery_id into v_inserted;

  if v_inserted is null then
    return query select d.delivery_id, d.status, true
      from public.webhook_deliveries d where d.delivery_id = p_delivery_id;
    return;
  end if;
  return query select p_delivery_id, v_status, false;
end;
$$;

revoke all on function public.record_webhook_delivery(text, text, text, bigint, text, text, jsonb, text) from public, anon, authenticated;
grant execute on function public.record_webhook_delivery(text, text, text, bigint, text, text, jsonb, text) to service_role;

-- The events of these deliveries reached Inngest. Idempotent: a row already forwarded
-- stays as it was; returns every named row that is forwarded afterwards.
create function public.mark_webhook_deliveries_forwarded(p_delivery_ids text[], p_actor text)
returns table (delivery_id text, processed_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'deliveries are marked by a named system actor';
  end if;
  update public.webhook_deliveries d
    set status = 'forwarded', processed_at = now(), lease_until = null, last_error = null,
        updated_at = now(), updated_by = p_actor::public.actor
    where d.delivery_id = any (p_delivery_ids) and d.status = 'received';
  return query select d.delivery_id, d.processed_at from public.webhook_deliveries d
    where d.delivery_id = any (p_delivery_ids) and d.status = 'forwarded';
end;
$$;

revoke all on function public.mark_webhook_deliveries_forwarded(text[], text) from public, anon, authenticated;
grant execute on function public.mark_webhook_deliveries_forwarded(text[], text) to service_role;

-- Claims up to p_limit deliveries still waiting to be forwarded and at least
-- p_min_age_seconds old (the intake is still sending younger ones), oldest first.
-- `skip locked` and the lease keep two forwarder runs off the same rows; a run that dies
-- leaves rows that become claimable again when its lease ends.
create function public.claim_webhook_forwards(
  p_limit integer,
  p_min_age_seconds integer,
  p_lease_seconds integer,
  p_actor text
)
returns table (delivery_id text, forward_event text, forward_data jsonb, attempts integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_limit is null or p_limit not between 1 and 500 then
    raise exception using errcode = '22023', message = 'p_limit must be 1..500';
  end if;
  if p_min_age_seconds is null or p_min_age_seconds < 0 then
    raise exception using errcode = '22023', message = 'p_min_age_seconds must be >= 0';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception using errcode = '22023', message = 'p_lease_seconds must be 1..3600';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'deliveries are claimed by a named system actor';
  end if;
  return query
    with due as (
      select d.delivery_id from public.webhook_deliveries d
        where d.status = 'received'
          and d.received_at <= now() - make_interval(secs => p_min_age_seconds)
          and (d.lease_until is null or d.lease_until <= now())
        order by d.received_at, d.delivery_id
        limit p_limit
        for update skip locked
    )
    update public.webhook_deliveries w
      set lease_until = now() + make_interval(secs => p_lease_seconds),
          attempts = w.attempts + 1, updated_at = now(), updated_by = p_actor::public.actor
      from due where w.delivery_id = due.delivery_id
      returning w.delivery_id, w.forward_event, w.forward_data, w.attempts;
end;
$$;

revoke all on function public.claim_webhook_forwards(integer, integer, integer, text) from public, anon, authenticated;
grant execute on function public.claim_webhook_forwards(integer, integer, integer, text) to service_role;

-- A pending delivery whose recorded event can never be sent (its data no longer fits the
-- event's schema): taken out of the queue so it does not block the others, with a code.
create function public.mark_webhook_delivery_failed(p_delivery_id text, p_error text, p_actor text)
returns table (delivery_id text, status text)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'deliveries are marked by a named system actor';
  end if;
  if p_error is null or p_error !~ '^[a-z_]{1,64}$' then
    raise exception using errcode = '22023', message = 'p_error must be an error code';
  end if;
  update public.webhook_deliveries d
    set status = 'failed', last_error = p_error, processed_at = now(), lease_until = null,
        updated_at = now(), updated_by = p_actor::public.actor
    where d.delivery_id = p_delivery_id and d.status = 'received';
  return query select d.delivery_id, d.status from public.webhook_deliveries d
    where d.delivery_id = p_delivery_id;
end;
$$;

revoke all on function public.mark_webhook_delivery_failed(text, text, text) from public, anon, authenticated;
grant execute on function public.mark_webhook_delivery_failed(text, text, text) to service_role;
