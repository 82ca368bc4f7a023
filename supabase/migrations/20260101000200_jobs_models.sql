-- Fine-tune, A/B evaluation and drift jobs, their event log, and the models they produce.
-- Users read these; the worker (service role) writes them. Starting and cancelling go through
-- functions that check the caller is an admin.

create type public.job_kind as enum ('fine_tune', 'ab_eval', 'drift');
create type public.job_status as enum ('pending', 'running', 'completed', 'failed', 'cancelled');

create table public.jobs (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  kind public.job_kind not null,
  name text not null check (char_length(name) between 1 and 120),
  base_model text,
  status public.job_status not null default 'pending',
  trained_on_tags text[] not null default '{}',
  config jsonb not null default '{}'::jsonb,
  progress real not null default 0 check (progress between 0 and 100),
  result jsonb,
  error text,
  cancel_requested boolean not null default false,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms integer
);
create index jobs_org_idx on public.jobs (org_id, created_at desc);

create table public.job_events (
  id bigint generated always as identity primary key,
  job_id uuid not null references public.jobs (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  step text not null,
  message text not null default '',
  metrics jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index job_events_job_idx on public.job_events (job_id, id);

create table public.models (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  job_id uuid unique references public.jobs (id) on delete set null,
  name text not null,
  provider text not null default 'offline',
  base_model text not null,
  accuracy real check (accuracy between 0 and 1),
  cost_per_1k_tokens numeric(12, 6),
  latency_ms integer,
  is_live boolean not null default false,
  dataset_snapshot jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index models_org_idx on public.models (org_id, created_at desc);
create unique index models_one_live_per_org on public.models (org_id) where is_live;

-- The platform's default privileges grant everything on new tables to anon and authenticated;
-- take that back so the column grant below is what limits admins to switching the live model.
revoke all on public.jobs, public.job_events, public.models from anon, authenticated;
grant select on public.jobs, public.job_events, public.models to authenticated;
grant update on public.models to authenticated;
grant all on public.jobs, public.job_events, public.models to service_role;

-- Supabase's default privileges grant every column to `authenticated`, so the "only is_live"
-- rule lives in a trigger rather than a column grant.
create or replace function private.guard_model_update() returns trigger
language plpgsql as $$
begin
  if (select auth.role()) = 'authenticated' and (to_jsonb(new) - 'is_live') <> (to_jsonb(old) - 'is_live') then
    raise exception 'Only whether a model is live can be changed; its measurements come from its job' using errcode = '42501';
  end if;
  return new;
end $$;
create trigger models_guard before update on public.models for each row execute function private.guard_model_update();

alter table public.jobs enable row level security;
alter table public.job_events enable row level security;
alter table public.models enable row level security;

create policy "Members can watch their organization's jobs" on public.jobs
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Members can read job events" on public.job_events
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Members can read models" on public.models
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Admins can switch which model is live" on public.models
  for update to authenticated using (org_id in (select private.my_org_ids('{admin}'))) with check (org_id in (select private.my_org_ids('{admin}')));
