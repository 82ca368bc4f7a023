-- Server-side steps of the review functions. They run as the service role, after the Edge Function
-- has checked the caller's role; each is one transaction so nothing is half-done.

-- Opens the case for a feedback row, or returns the one already open (idempotent under concurrency).
create or replace function public.open_improvement_case(
  p_feedback_id uuid, p_suggested text, p_model text, p_flags jsonb, p_created_by uuid
) returns public.improvement_cases
language plpgsql security definer set search_path = '' as $$
declare
  fb public.feedback;
  result public.improvement_cases;
begin
  select * into fb from public.feedback where id = p_feedback_id for update;
  if not found then
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'not_found', 'message', 'The feedback was not found')::text,
      detail = json_build_object('status', 404, 'headers', json_build_object())::text;
  end if;
  if fb.case_id is not null then
    select * into result from public.improvement_cases where id = fb.case_id;
    return result;
  end if;
  insert into public.improvement_cases (org_id, feedback_id, query, bad_response, suggested_response, suggestion_model, flags, created_by)
  values (fb.org_id, fb.id, fb.query, fb.response, p_suggested, p_model, coalesce(private.jsonb_arg(p_flags), '[]'::jsonb), p_created_by)
  on conflict (feedback_id) do update set updated_at = public.improvement_cases.updated_at
  returning * into result;
  update public.feedback set case_id = result.id, status = 'case_open' where id = fb.id;
  perform private.audit(fb.org_id, 'case.opened', 'improvement_case', result.id::text,
    jsonb_build_object('actor_id', p_created_by, 'feedback_id', fb.id, 'model', p_model));
  return result;
end $$;

-- Approves (writing the training example from the final text) or rejects a pending case.
create or replace function public.decide_improvement_case(
  p_case_id uuid, p_decision text, p_actor uuid, p_reason text default null, p_final_text text default null, p_tags text[] default '{}'
) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  c public.improvement_cases;
  fb public.feedback;
  ex public.training_examples;
  final_text text;
begin
  if p_decision not in ('approved', 'rejected') then
    raise exception 'decision must be approved or rejected' using errcode = '22023';
  end if;
  select * into c from public.improvement_cases where id = p_case_id for update;
  if not found then
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'not_found', 'message', 'The case was not found')::text,
      detail = json_build_object('status', 404, 'headers', json_build_object())::text;
  end if;
  if c.status <> 'pending' then
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'already_decided', 'message', format('This case was already %s; a decision cannot be changed.', c.status))::text,
      detail = json_build_object('status', 409, 'headers', json_build_object())::text;
  end if;
  final_text := btrim(coalesce(p_final_text, c.suggested_response));
  if p_decision = 'approved' and final_text = '' then
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'empty_answer', 'message', 'The answer is empty; write one before approving.')::text,
      detail = json_build_object('status', 422, 'headers', json_build_object())::text;
  end if;
  update public.improvement_cases set
    status = p_decision::public.case_status,
    suggested_response = final_text,
    approved_by = p_actor,
    decided_at = now(),
    reject_reason = case when p_decision = 'rejected' then p_reason else null end
  where id = c.id returning * into c;
  if p_decision = 'approved' then
    select * into fb from public.feedback where id = c.feedback_id;
    insert into public.training_examples (org_id, query, answer, tags, source_case_id, created_by)
    values (c.org_id, c.query, final_text,
      (select coalesce(array_agg(distinct t), '{}') from unnest(coalesce(fb.labels, '{}') || coalesce(p_tags, '{}')) t where t <> ''),
      c.id, p_actor)
    returning * into ex;
  end if;
  update public.feedback set status = 'triaged' where id = c.feedback_id and status = 'case_open';
  return jsonb_build_object('case', to_jsonb(c), 'training_example', to_jsonb(ex));
end $$;

-- Per-organization token bucket for LLM-backed functions (rate limit with a Retry-After).
create table public.llm_rate_limits (
  key text primary key,
  tokens double precision not null,
  updated_at timestamptz not null default clock_timestamp()
);
alter table public.llm_rate_limits enable row level security;

create or replace function public.take_llm_tokens(p_key text, p_capacity integer, p_per_minute integer, p_cost integer default 1)
returns table (allowed boolean, remaining double precision, retry_after_ms integer)
language plpgsql security definer set search_path = '' as $$
declare
  now_ts timestamptz := clock_timestamp();
  rate double precision := p_per_minute / 60000.0; -- tokens per millisecond
  current double precision;
begin
  insert into public.llm_rate_limits (key, tokens, updated_at) values (p_key, p_capacity, now_ts)
  on conflict (key) do nothing;
  select least(p_capacity, l.tokens + extract(epoch from (now_ts - l.updated_at)) * 1000 * rate)
    into current from public.llm_rate_limits l where l.key = p_key for update;
  if current >= p_cost then
    update public.llm_rate_limits set tokens = current - p_cost, updated_at = now_ts where key = p_key;
    return query select true, current - p_cost, 0;
  else
    update public.llm_rate_limits set tokens = current, updated_at = now_ts where key = p_key;
    return query select false, current, ceil((p_cost - current) / rate)::integer;
  end if;
end $$;

-- Keys the customer's app uses to send feedback (ingest-feedback); only a hash is stored.
create table public.ingest_keys (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 80),
  prefix text not null,
  key_hash text not null unique,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
grant select, delete on public.ingest_keys to authenticated;
grant all on public.ingest_keys to service_role;
alter table public.ingest_keys enable row level security;
create policy "Admins can see their organization's ingest keys" on public.ingest_keys
  for select to authenticated using (org_id in (select private.my_org_ids('{admin}')));
create policy "Admins can revoke ingest keys" on public.ingest_keys
  for delete to authenticated using (org_id in (select private.my_org_ids('{admin}')));

create or replace function public.create_ingest_key(p_org uuid, p_name text) returns text
language plpgsql security definer set search_path = '' as $$
declare
  secret text := 'rwk_' || encode(extensions.gen_random_bytes(24), 'hex');
begin
  if not private.has_role(p_org, '{admin}') then
    raise exception 'Only admins can create ingest keys' using errcode = '42501';
  end if;
  insert into public.ingest_keys (org_id, name, prefix, key_hash, created_by)
  values (p_org, p_name, left(secret, 10), encode(extensions.digest(secret, 'sha256'), 'hex'), (select auth.uid()));
  return secret;
end $$;

create or replace function public.resolve_ingest_key(p_key text) returns uuid
language sql security definer set search_path = '' as $$
  update public.ingest_keys set last_used_at = now()
  where key_hash = encode(extensions.digest(p_key, 'sha256'), 'hex') and revoked_at is null
  returning org_id
$$;

-- Member management looks an invitee up by email without listing every account.
create or replace function public.user_id_by_email(p_email text) returns uuid
language sql stable security definer set search_path = '' as $$
  select id from auth.users where lower(email) = lower(p_email) and deleted_at is null limit 1
$$;
revoke execute on function public.user_id_by_email(text) from public, anon, authenticated;
grant execute on function public.user_id_by_email(text) to service_role;

revoke execute on function public.open_improvement_case(uuid, text, text, jsonb, uuid) from public, anon, authenticated;
revoke execute on function public.decide_improvement_case(uuid, text, uuid, text, text, text[]) from public, anon, authenticated;
revoke execute on function public.take_llm_tokens(text, integer, integer, integer) from public, anon, authenticated;
revoke execute on function public.resolve_ingest_key(text) from public, anon, authenticated;
revoke execute on function public.create_ingest_key(uuid, text) from public, anon;
grant execute on function public.open_improvement_case(uuid, text, text, jsonb, uuid) to service_role;
grant execute on function public.decide_improvement_case(uuid, text, uuid, text, text, text[]) to service_role;
grant execute on function public.take_llm_tokens(text, integer, integer, integer) to service_role;
grant execute on function public.resolve_ingest_key(text) to service_role;
grant execute on function public.create_ingest_key(uuid, text) to authenticated;
