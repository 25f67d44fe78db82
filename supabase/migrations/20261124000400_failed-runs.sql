-- Dead letter: one row per run of this app's functions that failed for good (retries
-- exhausted or a non-retriable error). Identifiers and a redacted message only: no event
-- data, no stack.

create table public.failed_runs (
  run_id text primary key,
  function_id text not null,
  event_name text,
  event_id text,
  error_name text,
  error_message text check (error_message is null or length(error_message) <= 1000),
  failed_at timestamptz not null default now(),
  recorded_by public.actor not null
);
create index failed_runs_failed_at_idx on public.failed_runs (failed_at desc);
alter table public.failed_runs enable row level security;
revoke all on public.failed_runs from public, anon, authenticated;
grant select, insert on public.failed_runs to service_role;

-- Idempotent per run id: the failure event's id is the run id, and a rerun of the
-- dead-letter function finds its row.
create function public.record_failed_run(
  p_run_id text,
  p_function_id text,
  p_event_name text,
  p_event_id text,
  p_error_name text,
  p_error_message text,
  p_actor text
)
returns table (run_id text, created boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_run text;
begin
  if p_run_id is null or p_function_id is null then
    raise exception using errcode = '22004', message = 'p_run_id and p_function_id are required';
  end if;
  if p_actor is null or p_actor not like 'system:%' then
    raise exception using errcode = '22023', message = 'failed runs are recorded by a named system actor';
  end if;
  insert into public.failed_runs as f (run_id, function_id, event_name, event_id, error_name, error_message, recorded_by)
    values (p_run_id, p_function_id, p_event_name, p_event_id, p_error_name, left(p_error_message, 1000), p_actor::public.actor)
    on conflict on constraint failed_runs_pkey do nothing
    returning f.run_id into v_run;
  return query select p_run_id, v_run is not null;
end;
$$;

revoke all on function public.record_failed_run(text, text, text, text, text, text, text) from public, anon, authenticated;
grant execute on function public.record_failed_run(text, text, text, text, text, text, text) to service_role;
