-- Every LLM call (ai_requests) with a daily rollup for the boards, and an append-only audit log.

create table public.ai_requests (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references auth.users (id) on delete set null,
  function_name text not null,
  prompt_version_id uuid references public.prompt_versions (id) on delete set null,
  model text not null,
  input_tokens integer not null default 0 check (input_tokens >= 0),
  output_tokens integer not null default 0 check (output_tokens >= 0),
  cost_usd numeric(14, 8) not null default 0 check (cost_usd >= 0),
  latency_ms integer not null default 0 check (latency_ms >= 0),
  status text not null check (status in ('ok', 'error')),
  error text,
  trace_id text,
  flags jsonb not null default '[]'::jsonb,
  created_at timestamptz not null default now()
);
create index ai_requests_org_time_idx on public.ai_requests (org_id, created_at desc);
create index ai_requests_prompt_version_idx on public.ai_requests (prompt_version_id, created_at desc) where prompt_version_id is not null;

create table public.audit_logs (
  id bigint generated always as identity primary key,
  org_id uuid references public.organizations (id) on delete cascade,
  actor_id uuid references auth.users (id) on delete set null,
  action text not null,
  entity_type text not null,
  entity_id text,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index audit_logs_org_idx on public.audit_logs (org_id, id desc);

-- Undo the platform's default "all privileges" on new tables: users only read these, the
-- service role only appends.
revoke all on public.ai_requests, public.audit_logs from anon, authenticated, service_role;
grant select on public.ai_requests, public.audit_logs to authenticated;
grant select, insert on public.ai_requests to service_role;
grant select, insert on public.audit_logs to service_role;

-- Append-only for everyone, the service role and the table owner included. The one exception is
-- the cascade when a whole organization is deleted (its row is already gone by then); without it
-- no organization could ever be deleted, since adding its first member writes an audit row.
create or replace function private.audit_logs_append_only() returns trigger
language plpgsql as $$
begin
  if tg_op = 'DELETE' and old.org_id is not null
     and not exists (select 1 from public.organizations o where o.id = old.org_id) then
    return old;
  end if;
  raise exception 'audit_logs is append-only: % is not allowed', lower(tg_op) using errcode = '42501';
end $$;
create trigger audit_logs_no_update before update or delete on public.audit_logs
  for each row execute function private.audit_logs_append_only();
create trigger audit_logs_no_truncate before truncate on public.audit_logs
  for each statement execute function private.audit_logs_append_only();

create or replace function private.audit(p_org uuid, p_action text, p_entity_type text, p_entity_id text, p_details jsonb)
returns void language sql security definer set search_path = '' as $$
  insert into public.audit_logs (org_id, actor_id, action, entity_type, entity_id, details)
  values (p_org, coalesce((select auth.uid()), nullif(p_details ->> 'actor_id', '')::uuid), p_action, p_entity_type, p_entity_id, p_details - 'actor_id')
$$;

create or replace function private.audit_case_decision() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.status <> old.status then
    perform private.audit(new.org_id, 'case.' || new.status::text, 'improvement_case', new.id::text,
      jsonb_build_object('actor_id', new.approved_by, 'reason', new.reject_reason, 'feedback_id', new.feedback_id));
  end if;
  return new;
end $$;
create trigger improvement_cases_audit after update of status on public.improvement_cases
  for each row execute function private.audit_case_decision();

create or replace function private.audit_membership() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.org_id, 'member.added', 'membership', new.user_id::text, jsonb_build_object('role', new.role));
  elsif tg_op = 'UPDATE' and new.role <> old.role then
    perform private.audit(new.org_id, 'member.role_changed', 'membership', new.user_id::text, jsonb_build_object('from', old.role, 'to', new.role));
  elsif tg_op = 'DELETE' and exists (select 1 from public.organizations where id = old.org_id) then
    perform private.audit(old.org_id, 'member.removed', 'membership', old.user_id::text, jsonb_build_object('role', old.role));
  end if;
  return coalesce(new, old);
end $$;
create trigger memberships_audit after insert or update or delete on public.memberships
  for each row execute function private.audit_membership();

create or replace function private.audit_prompt_status() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.status <> old.status and new.status in ('production', 'retired') then
    perform private.audit(new.org_id, 'prompt.' || case when new.status = 'production' then 'promoted' else 'retired' end,
      'prompt_version', new.id::text, jsonb_build_object('prompt_id', new.prompt_id, 'version', new.version, 'from', old.status));
  end if;
  return new;
end $$;
create trigger prompt_versions_audit after update of status on public.prompt_versions
  for each row execute function private.audit_prompt_status();

create or replace function private.audit_model_live() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.is_live <> old.is_live then
    perform private.audit(new.org_id, case when new.is_live then 'model.live' else 'model.unlive' end, 'model', new.id::text, '{}'::jsonb);
  end if;
  return new;
end $$;
create trigger models_audit after update of is_live on public.models
  for each row execute function private.audit_model_live();

alter table public.ai_requests enable row level security;
alter table public.audit_logs enable row level security;

create policy "Admins and managers can read LLM usage" on public.ai_requests
  for select to authenticated using (org_id in (select private.my_org_ids('{admin,manager}')));
create policy "Admins and managers can read the audit log" on public.audit_logs
  for select to authenticated using (org_id in (select private.my_org_ids('{admin,manager}')));
