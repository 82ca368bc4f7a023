-- Jobs (fine-tunes, A/B evaluations, drift checks), their event log, the models they produce, and the
-- queue the worker drains; plus what jobs produce: per-item A/B results, drift alerts and retrain
-- proposals. People read these and start or cancel jobs through the functions at the end; the worker
-- (a direct connection as the owner) writes them.

create type public.job_kind as enum ('fine_tune', 'ab_eval', 'drift');
create type public.job_status as enum ('pending', 'running', 'completed', 'failed', 'cancelled');

-- Which capability starts each kind (shared/src/jobs/kinds.ts holds the same; a test asserts it). The
-- kind is text, not the enum: a migration that adds a kind (`alter type public.job_kind add value`) can
-- then insert its row in the same transaction, where the new enum value may not be used yet.
create table private.job_kinds (
  kind text primary key,
  capability text not null
);
insert into private.job_kinds values ('fine_tune', 'job:start'), ('ab_eval', 'job:start'), ('drift', 'job:start');
alter table private.job_kinds enable row level security;

create table public.jobs (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  kind public.job_kind not null,
  name text not null check (char_length(name) between 1 and 120),
  base_model text,
  status public.job_status not null default 'pending',
  trained_on_tags text[] not null default '{}',
  config jsonb not null default '{}'::jsonb check (jsonb_typeof(config) = 'object'),
  progress real not null default 0 check (progress between 0 and 100),
  result jsonb,
  error text,
  cancel_requested boolean not null default false,
  -- At most one pending or running job per key and organization (graphile-worker's job_key): "one
  -- evaluation per candidate" is a fact of the database, not a read-then-insert in a function.
  job_key text check (char_length(job_key) between 1 and 200),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms integer,
  unique (org_id, id)
);
create index jobs_org_idx on public.jobs (org_id, created_at desc);
create unique index jobs_one_active_per_key on public.jobs (org_id, job_key) where job_key is not null and status in ('pending', 'running');

create table public.job_events (
  id bigint generated always as identity primary key,
  job_id uuid not null,
  org_id uuid not null references public.organizations (id) on delete cascade,
  step text not null,
  message text not null default '',
  metrics jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  foreign key (org_id, job_id) references public.jobs (org_id, id) on delete cascade
);
create index job_events_job_idx on public.job_events (job_id, id);

-- A model the organization can serve: a base model it registered, or one a fine-tune produced.
-- `served_model` is the reference call sites send (`offline-ft:<id>`, `openai:ft:…`, `claude-…`): a
-- prompt version pins it. `is_live` is derived, never set by hand: whether a production prompt version
-- serves this model (the promotion functions keep it current).
create table public.models (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  job_id uuid unique,
  name text not null,
  provider text not null default 'offline',
  base_model text not null,
  served_model text check (char_length(served_model) between 1 and 200),
  accuracy real check (accuracy between 0 and 1),
  cost_per_1k_tokens numeric(12, 6),
  latency_ms integer,
  is_live boolean not null default false,
  dataset_snapshot jsonb not null default '{}'::jsonb,
  -- The local trainer's retrieval index (shared/src/llm/retrieval.ts) for `offline-ft:<models.id>`.
  retrieval_index jsonb,
  created_at timestamptz not null default now(),
  unique (org_id, id),
  foreign key (org_id, job_id) references public.jobs (org_id, id) on delete set null (job_id)
);
create index models_org_idx on public.models (org_id, created_at desc);
create unique index models_served_model_per_org on public.models (org_id, served_model);
alter table public.models alter column served_model set not null;

create table public.job_queue (
  id bigint generated always as identity primary key,
  task text not null check (task ~ '^[a-z][a-z0-9_:-]{0,62}$'),
  payload jsonb not null default '{}'::jsonb,
  job_id uuid unique references public.jobs (id) on delete cascade,
  org_id uuid references public.organizations (id) on delete cascade,
  state text not null default 'queued' check (state in ('queued', 'running', 'failed')),
  priority smallint not null default 0,
  -- Not before: the enqueue time for a fresh entry, the backoff time for a retry (next_retry_at).
  run_at timestamptz not null default now(),
  attempts integer not null default 0 check (attempts >= 0),
  -- null: the worker's WORKER_MAX_ATTEMPTS decides.
  max_attempts integer check (max_attempts between 1 and 100),
  locked_by text,
  locked_until timestamptz,
  heartbeat_at timestamptz,
  last_error text,
  -- A handler's resumable progress (dataset snapshot, uploaded file ids, …): a re-claimed job resumes here.
  checkpoint jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  failed_at timestamptz
);
-- Exactly the claim query's predicate and order: the claim is an index range scan.
create index job_queue_ready_idx on public.job_queue (priority desc, run_at, id) where state = 'queued';
create index job_queue_leases_idx on public.job_queue (locked_until) where state = 'running';

-- Scheduled enqueues (the drift scheduler in every worker process) claim their period here, so N
-- workers enqueue each period's job once. Private: nothing outside the database needs it.
create table private.job_schedule (
  key text primary key,
  job_id uuid references public.jobs (id) on delete set null,
  created_at timestamptz not null default now()
);

-- No user ever touches the queue: no grants, RLS on, no policies.
alter table public.job_queue enable row level security;

-- ---- waking workers ------------------------------------------------------------------------------
-- Postgres folds identical notifications within a transaction, so enqueueing 500 entries of one task
-- in one statement wakes each listener once.
create or replace function private.notify_job_queue() returns trigger
language plpgsql as $$
begin
  if new.state = 'queued' then
    perform pg_notify('job_queue', new.task);
  end if;
  return null;
end $$;
-- The WHEN clause keeps the trigger function off the hot path: claims (→ running) never call it.
create trigger job_queue_notify after insert or update of state, run_at on public.job_queue
  for each row when (new.state = 'queued') execute function private.notify_job_queue();

-- ---- the worker's operations (called over a direct connection; never exposed to users) -----------

-- Records the completions a worker hands in (p_completed: [{"id", "attempt", "result"}], each as
-- private.complete_job), then claims up to p_limit entries: the worker's one call between two jobs, in one
-- transaction, so a slot costs one commit (one WAL flush), not one to finish and another to claim.
-- Returns a row per entry claimed (kind 'claimed'), one per completion recorded (kind 'completed', only
-- id set; a completion missing from the answer lost its lease), and, when it claimed all it was asked
-- for and more entries are ready, a row of kind 'more': the worker then knows a backlog is waiting;
-- when it claimed fewer, a row of kind 'next' whose run_at is the earliest entry not ready yet (if any),
-- for the worker to sleep exactly that long.
--
-- The claim's cost must not depend on the backlog, so:
--   * the entries are picked in an InitPlan (the partial index job_queue_ready_idx, in the claim's exact
--     order, stops after p_limit live entries) and the UPDATE then finds them by primary key via
--     `id = any (array(...))`. Joined to a CTE instead, `limit p_limit` is a parameter the planner cannot
--     see, so it expected 10% of the table and updated through a hash join over a sequential scan of
--     the whole queue: every single-slot claim read all 20,000 rows of a 20,000-entry backlog;
--   * the product rows are found the same way through jobs_pkey, not a scan of every job ever run;
--   * PL/pgSQL keeps the plan between calls (a LANGUAGE sql function replans the statement each time),
--     and plan_cache_mode makes that the generic plan from the first call: the plan does not depend on
--     the arguments, so five rounds of custom planning per connection would only cost time.
create or replace function private.claim_jobs(p_worker text, p_limit integer, p_lease_ms integer, p_tasks text[] default null,
                                              p_completed jsonb default null)
returns table (kind text, id bigint, task text, payload jsonb, job_id uuid, org_id uuid, attempts integer, max_attempts integer,
               checkpoint jsonb, cancel_requested boolean, created_at timestamptz, run_at timestamptz)
language plpgsql volatile set search_path = '' set plan_cache_mode = force_generic_plan as $$
#variable_conflict use_column
declare
  d record;
  n integer;
begin
  for d in select * from jsonb_to_recordset(coalesce(p_completed, '[]'::jsonb)) as x (id bigint, attempt integer, result jsonb) loop
    if private.complete_job(d.id, d.attempt, d.result) then
      return query select 'completed'::text, d.id, null::text, null::jsonb, null::uuid, null::uuid, null::integer, null::integer,
                          null::jsonb, null::boolean, null::timestamptz, null::timestamptz;
    end if;
  end loop;
  if p_limit <= 0 then
    return;
  end if;
  return query
  with claimed as (
    update public.job_queue q
       set state = 'running', locked_by = p_worker, locked_until = now() + make_interval(secs => p_lease_ms / 1000.0),
           heartbeat_at = now(), attempts = q.attempts + 1, updated_at = now()
     where q.id = any (array(
             select n.id from public.job_queue n
              where n.state = 'queued' and n.run_at <= now() and (p_tasks is null or n.task = any (p_tasks))
              order by n.priority desc, n.run_at, n.id
              limit p_limit
              for update skip locked))
    returning q.*
  ), started as (
    update public.jobs j
       set status = 'running', started_at = coalesce(j.started_at, now()), error = null
     where j.id = any (array(select c.job_id from claimed c where c.job_id is not null))
       and j.status in ('pending', 'running')
    returning j.id, j.cancel_requested
  )
  select 'claimed'::text, c.id, c.task, c.payload, c.job_id, c.org_id, c.attempts, c.max_attempts, c.checkpoint,
         coalesce(s.cancel_requested, false), c.created_at, c.run_at
    from claimed c left join started s on s.id = c.job_id
   order by c.priority desc, c.run_at, c.id;
  get diagnostics n = row_count;
  -- The entries just claimed are 'running' to these statements, so they see only what is left. The
  -- claim's own ORDER BY and LIMIT keep this probe on job_queue_ready_idx: a bare EXISTS may be planned
  -- as a sequential scan, which walks the dead versions of everything claimed since the last vacuum.
  if n = p_limit then
    if (select r.id from public.job_queue r
         where r.state = 'queued' and r.run_at <= now() and (p_tasks is null or r.task = any (p_tasks))
         order by r.priority desc, r.run_at, r.id limit 1) is not null then
      return query select 'more'::text, null::bigint, null::text, null::jsonb, null::uuid, null::uuid, null::integer, null::integer,
                          null::jsonb, null::boolean, null::timestamptz, null::timestamptz;
    end if;
  else
    return query select 'next'::text, null::bigint, null::text, null::jsonb, null::uuid, null::uuid, null::integer, null::integer,
                        null::jsonb, null::boolean, null::timestamptz, min(r.run_at)
                   from public.job_queue r
                  where r.state = 'queued' and r.run_at > now() and (p_tasks is null or r.task = any (p_tasks))
                 having min(r.run_at) is not null;
  end if;
end $$;

-- Renews the leases this worker still holds; returns them with the cancel flag. A lease missing from
-- the answer was lost (reaped after a stall): the worker must stop that run.
create or replace function private.heartbeat_jobs(p_worker text, p_ids bigint[], p_attempts integer[], p_lease_ms integer)
returns table (id bigint, cancel_requested boolean)
language sql volatile set search_path = '' as $$
  with mine as (
    select u.id, u.attempts from unnest(p_ids, p_attempts) as u (id, attempts)
  ), renewed as (
    update public.job_queue q
       set locked_until = now() + make_interval(secs => p_lease_ms / 1000.0), heartbeat_at = now()
      from mine where q.id = mine.id and q.attempts = mine.attempts and q.state = 'running' and q.locked_by = p_worker
    returning q.id, q.job_id
  )
  select r.id, coalesce(j.cancel_requested, false) from renewed r left join public.jobs j on j.id = r.job_id
$$;

create or replace function private.save_job_checkpoint(p_id bigint, p_attempt integer, p_checkpoint jsonb)
returns boolean language sql volatile set search_path = '' as $$
  with u as (
    update public.job_queue set checkpoint = p_checkpoint, updated_at = now()
     where id = p_id and attempts = p_attempt and state = 'running' returning 1
  ) select exists (select 1 from u)
$$;

create or replace function private.complete_job(p_id bigint, p_attempt integer, p_result jsonb)
returns boolean language plpgsql volatile set search_path = '' as $$
declare
  v_job uuid;
begin
  delete from public.job_queue where id = p_id and attempts = p_attempt and state = 'running' returning job_id into v_job;
  if not found then
    return false;
  end if;
  -- Internal tasks (no jobs row) end here: one statement on the hot path.
  if v_job is not null then
    update public.jobs
       set status = 'completed', progress = 100, result = coalesce(p_result, result), error = null, finished_at = now(),
           duration_ms = (extract(epoch from now() - coalesce(started_at, created_at)) * 1000)::integer
     where id = v_job;
    insert into public.job_events (job_id, org_id, step, message)
    select id, org_id, 'completed', 'Finished' from public.jobs where id = v_job;
  end if;
  return true;
end $$;

-- A failed attempt: back to 'queued' at p_run_at, or (p_run_at null) parked as failed with p_reason.
create or replace function private.fail_job(p_id bigint, p_attempt integer, p_error text, p_run_at timestamptz, p_reason text)
returns boolean language plpgsql volatile set search_path = '' as $$
declare
  v_job uuid;
  v_org uuid;
begin
  if p_run_at is null then
    update public.job_queue
       set state = 'failed', last_error = p_error, locked_by = null, locked_until = null, failed_at = now(), updated_at = now()
     where id = p_id and attempts = p_attempt and state = 'running'
     returning job_id, org_id into v_job, v_org;
  else
    update public.job_queue
       set state = 'queued', last_error = p_error, run_at = p_run_at, locked_by = null, locked_until = null, updated_at = now()
     where id = p_id and attempts = p_attempt and state = 'running'
     returning job_id, org_id into v_job, v_org;
  end if;
  if not found then
    return false;
  end if;
  if v_job is not null then
    if p_run_at is null then
      update public.jobs set status = 'failed', error = p_reason, finished_at = now(),
             duration_ms = (extract(epoch from now() - coalesce(started_at, created_at)) * 1000)::integer
       where id = v_job;
      insert into public.job_events (job_id, org_id, step, message, metrics)
      values (v_job, v_org, 'failed', p_reason, jsonb_build_object('attempt', p_attempt));
    else
      -- Back to pending while it waits: the UI shows "retrying" from the event, not a stuck 'running'.
      update public.jobs set status = 'pending', error = p_error where id = v_job and status = 'running';
      insert into public.job_events (job_id, org_id, step, message, metrics)
      values (v_job, v_org, 'retry', p_reason, jsonb_build_object('attempt', p_attempt, 'next_retry_at', p_run_at));
    end if;
  end if;
  return true;
end $$;

create or replace function private.cancel_claimed_job(p_id bigint, p_attempt integer, p_reason text)
returns boolean language plpgsql volatile set search_path = '' as $$
declare
  v_job uuid;
begin
  delete from public.job_queue where id = p_id and attempts = p_attempt and state = 'running' returning job_id into v_job;
  if not found then
    return false;
  end if;
  if v_job is not null then
    update public.jobs set status = 'cancelled', error = null, finished_at = now(),
           duration_ms = (extract(epoch from now() - coalesce(started_at, created_at)) * 1000)::integer
     where id = v_job;
    insert into public.job_events (job_id, org_id, step, message)
    select id, org_id, 'cancelled', p_reason from public.jobs where id = v_job;
  end if;
  return true;
end $$;

-- Shutdown: hand the entry back without spending an attempt (a deploy is not the job's fault).
create or replace function private.release_job(p_id bigint, p_attempt integer)
returns boolean language plpgsql volatile set search_path = '' as $$
declare
  v_job uuid;
begin
  update public.job_queue
     set state = 'queued', attempts = greatest(attempts - 1, 0), locked_by = null, locked_until = null, run_at = now(), updated_at = now()
   where id = p_id and attempts = p_attempt and state = 'running'
   returning job_id into v_job;
  if not found then
    return false;
  end if;
  if v_job is not null then
    update public.jobs set status = 'pending' where id = v_job and status = 'running';
  end if;
  return true;
end $$;

-- Expired leases go back to the queue (or are parked when the attempt was the last one).
create or replace function private.reap_expired_jobs(p_default_max_attempts integer)
returns integer language plpgsql volatile set search_path = '' as $$
declare
  r record;
  n integer := 0;
  v_reason text;
begin
  for r in
    select q.id, q.job_id, q.org_id, q.attempts, coalesce(q.max_attempts, p_default_max_attempts) as max_attempts, q.locked_by
      from public.job_queue q
     where q.state = 'running' and q.locked_until < now()
     for update skip locked
  loop
    v_reason := format('The worker running attempt %s (%s) stopped renewing its lease', r.attempts, r.locked_by);
    if r.attempts >= r.max_attempts then
      update public.job_queue set state = 'failed', last_error = v_reason, locked_by = null, locked_until = null,
             failed_at = now(), updated_at = now() where id = r.id;
      if r.job_id is not null then
        update public.jobs set status = 'failed', finished_at = now(),
               error = format('Gave up after %s attempts. Last error: %s', r.attempts, v_reason) where id = r.job_id;
        insert into public.job_events (job_id, org_id, step, message) values (r.job_id, r.org_id, 'failed', v_reason);
      end if;
    else
      update public.job_queue set state = 'queued', last_error = v_reason, locked_by = null, locked_until = null,
             run_at = now(), updated_at = now() where id = r.id;
      if r.job_id is not null then
        update public.jobs set status = 'pending' where id = r.job_id and status = 'running';
        insert into public.job_events (job_id, org_id, step, message) values (r.job_id, r.org_id, 'lease_expired', v_reason || '; queued again');
      end if;
    end if;
    n := n + 1;
  end loop;
  return n;
end $$;

revoke all on function private.claim_jobs(text, integer, integer, text[], jsonb), private.heartbeat_jobs(text, bigint[], integer[], integer),
  private.save_job_checkpoint(bigint, integer, jsonb), private.complete_job(bigint, integer, jsonb),
  private.fail_job(bigint, integer, text, timestamptz, text), private.cancel_claimed_job(bigint, integer, text),
  private.release_job(bigint, integer), private.reap_expired_jobs(integer), private.notify_job_queue()
  from public, anon, authenticated;


-- ---- per-item A/B evaluation results (drill-down) ------------------------------------------------

create table public.eval_results (
  id bigint generated always as identity primary key,
  job_id uuid not null,
  org_id uuid not null references public.organizations (id) on delete cascade,
  item_index integer not null check (item_index >= 0),
  example_id uuid,
  query text not null,
  reference text,
  output_a text not null,
  output_b text not null,
  -- {"a": {"f1", "rougeL", "latencyMs", "inputTokens", "outputTokens", "costUsd"}, "b": {…}}
  metrics jsonb not null default '{}'::jsonb,
  -- Both judge orders: [{"order": "AB", "winner": "A"|"B"|"tie", "reason"}, {"order": "BA", …}]
  judge jsonb not null default '[]'::jsonb,
  -- B's de-biased judge score in [-1, 1]: +1 both orders prefer B, 0 tie or a position-flip.
  judge_score real,
  created_at timestamptz not null default now(),
  -- A re-claimed evaluation resumes: items already stored are skipped, never written twice.
  unique (job_id, item_index),
  foreign key (org_id, job_id) references public.jobs (org_id, id) on delete cascade,
  foreign key (org_id, example_id) references public.training_examples (org_id, id) on delete set null (example_id)
);
create index eval_results_org_idx on public.eval_results (org_id, job_id);

-- ---- drift ---------------------------------------------------------------------------------------

create table public.drift_alerts (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  job_id uuid,
  -- What drifted: a model name and/or a prompt version (either may be null = "not recorded").
  model text,
  prompt_version_id uuid,
  metric text not null default 'rating_psi',
  psi real not null check (psi >= 0),
  threshold real not null,
  baseline_from timestamptz not null,
  baseline_to timestamptz not null,
  current_from timestamptz not null,
  current_to timestamptz not null,
  baseline_count integer not null,
  current_count integer not null,
  -- {"baseline": [p1..p5], "current": [p1..p5]}
  distribution jsonb not null,
  status text not null default 'open' check (status in ('open', 'acknowledged', 'resolved')),
  created_at timestamptz not null default now(),
  unique (org_id, id),
  foreign key (org_id, job_id) references public.jobs (org_id, id) on delete set null (job_id),
  foreign key (org_id, prompt_version_id) references public.prompt_versions (org_id, id) on delete set null (prompt_version_id)
);
create index drift_alerts_org_idx on public.drift_alerts (org_id, created_at desc);

create table public.retrain_proposals (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  job_id uuid,
  drift_alert_id uuid,
  new_examples integer not null check (new_examples >= 0),
  since timestamptz,
  reason text not null,
  status text not null default 'open' check (status in ('open', 'accepted', 'dismissed')),
  fine_tune_job_id uuid,
  created_at timestamptz not null default now(),
  decided_at timestamptz,
  foreign key (org_id, job_id) references public.jobs (org_id, id) on delete set null (job_id),
  foreign key (org_id, drift_alert_id) references public.drift_alerts (org_id, id) on delete set null (drift_alert_id),
  foreign key (org_id, fine_tune_job_id) references public.jobs (org_id, id) on delete set null (fine_tune_job_id)
);
-- One open proposal per organization: a daily drift run refreshes it instead of piling up.
create unique index retrain_proposals_one_open on public.retrain_proposals (org_id) where status = 'open';

-- ---- grants -------------------------------------------------------------------------------------------
grant select on public.jobs, public.job_events, public.models, public.eval_results, public.drift_alerts, public.retrain_proposals to authenticated;
grant update (status) on public.drift_alerts, public.retrain_proposals to authenticated;

-- ---- triggers -----------------------------------------------------------------------------------------
create or replace function private.touch_decided_at() returns trigger language plpgsql set search_path = '' as $$
begin
  if new.status <> old.status then
    new.decided_at := now();
  end if;
  return new;
end $$;
create trigger retrain_proposals_decided before update on public.retrain_proposals
  for each row execute function private.touch_decided_at();

-- A fine-tuned offline model is served as offline-ft:<its id>; a base model under its own name.
create or replace function private.default_served_model() returns trigger
language plpgsql set search_path = '' as $$
begin
  if new.served_model is null then
    new.served_model := case when new.job_id is not null and new.provider = 'offline' then 'offline-ft:' || new.id::text else new.name end;
  end if;
  return new;
end $$;
create trigger models_served_model before insert on public.models
  for each row execute function private.default_served_model();

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

-- ---- row-level security -------------------------------------------------------------------------------
alter table public.jobs enable row level security;
alter table public.job_events enable row level security;
alter table public.models enable row level security;
alter table public.eval_results enable row level security;
alter table public.drift_alerts enable row level security;
alter table public.retrain_proposals enable row level security;
alter table private.job_schedule enable row level security;

create policy "Members can watch their organization's jobs" on public.jobs
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Members can read job events" on public.job_events
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Members can read models" on public.models
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Members can drill into their organization's evaluation results" on public.eval_results
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Members can read drift alerts" on public.drift_alerts
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Admins can acknowledge or resolve drift alerts" on public.drift_alerts
  for update to authenticated using (org_id in (select private.orgs_where('alert:manage')))
  with check (org_id in (select private.orgs_where('alert:manage')));
create policy "Members can read retrain proposals" on public.retrain_proposals
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Admins can accept or dismiss retrain proposals" on public.retrain_proposals
  for update to authenticated using (org_id in (select private.orgs_where('alert:manage')))
  with check (org_id in (select private.orgs_where('alert:manage')));

-- ---- starting and cancelling -----------------------------------------------------------------------

-- The job row and its queue entry in one transaction, so a job never exists without work queued for
-- it and the worker never sees work for a job that does not exist. Internal: public.start_job (people)
-- and the worker's schedulers (a direct connection) call it.
--   p_job_key: a pending or running job with the same key in the organization is returned instead
--     (its `created` is false), so a double click or two admins at once start one job.
--   p_schedule_key: for schedulers; a key already used returns null and inserts nothing, ever.
create or replace function private.enqueue_job(
  p_org_id uuid,
  p_kind public.job_kind,
  p_name text,
  p_config jsonb default '{}'::jsonb,
  p_created_by uuid default null,
  p_base_model text default null,
  p_trained_on_tags text[] default '{}',
  p_job_key text default null,
  p_max_attempts integer default null,
  p_priority integer default 0,
  p_schedule_key text default null
) returns table (job public.jobs, created boolean)
language plpgsql volatile security definer set search_path = '' as $$
declare
  j public.jobs;
begin
  p_config := private.jsonb_arg(p_config);
  if p_config is not null and jsonb_typeof(p_config) <> 'object' then
    perform private.raise_http(400, 'invalid_input', 'A job configuration must be a JSON object');
  end if;
  if p_schedule_key is not null then
    insert into private.job_schedule (key) values (p_schedule_key) on conflict do nothing;
    if not found then
      return;
    end if;
  end if;
  insert into public.jobs (org_id, kind, name, base_model, trained_on_tags, config, job_key, created_by)
  values (p_org_id, p_kind, p_name, p_base_model, coalesce(p_trained_on_tags, '{}'), coalesce(p_config, '{}'::jsonb), p_job_key, p_created_by)
  on conflict (org_id, job_key) where job_key is not null and status in ('pending', 'running') do nothing
  returning * into j;
  if j.id is null then
    select * into j from public.jobs
     where org_id = p_org_id and job_key = p_job_key and status in ('pending', 'running');
    return query select j, false;
    return;
  end if;
  insert into public.job_queue (task, payload, job_id, org_id, max_attempts, priority)
  values (p_kind::text, jsonb_build_object('jobId', j.id), j.id, j.org_id, p_max_attempts, p_priority);
  insert into public.job_events (job_id, org_id, step, message) values (j.id, j.org_id, 'queued', 'Waiting for a worker');
  if p_schedule_key is not null then
    update private.job_schedule set job_id = j.id where key = p_schedule_key;
  end if;
  perform private.audit(j.org_id, 'job.started', 'job', j.id::text, jsonb_build_object('kind', p_kind, 'name', p_name), p_created_by);
  return query select j, true;
end $$;

-- People start jobs as themselves; the capability is the organization's rule for who may.
create or replace function public.start_job(
  p_org_id uuid, p_kind public.job_kind, p_name text, p_config jsonb default '{}'::jsonb,
  p_job_key text default null, p_base_model text default null, p_trained_on_tags text[] default '{}'
) returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  r record;
begin
  perform private.require_capability(p_org_id, coalesce((select k.capability from private.job_kinds k where k.kind = p_kind::text), 'job:start'), 'The organization');
  select * into r from private.enqueue_job(p_org_id, p_kind, p_name, p_config, (select auth.uid()), p_base_model,
                                           p_trained_on_tags, p_job_key);
  return jsonb_build_object('job', to_jsonb(r.job), 'created', r.created);
end $$;

-- Cancelling a job still waiting is immediate; a running one gets the flag plus a NOTIFY, and its worker
-- stops at the next safe point. Returns the job's status after the request.
create or replace function public.cancel_job(p_job_id uuid)
returns public.job_status
language plpgsql volatile security definer set search_path = '' as $$
declare
  j public.jobs;
begin
  select * into j from public.jobs where id = p_job_id;
  if not found or not (private.is_privileged() or private.is_member(j.org_id)) then
    perform private.raise_http(404, 'not_found', 'The job was not found');
  end if;
  perform private.require_capability(j.org_id, 'job:cancel', 'The job');
  select * into j from public.jobs where id = p_job_id for update;
  if j.status in ('completed', 'failed', 'cancelled') then
    return j.status;
  end if;
  update public.jobs set cancel_requested = true where id = p_job_id;
  perform private.audit(j.org_id, 'job.cancel_requested', 'job', j.id::text, '{}'::jsonb);
  -- A running entry is locked by nobody between statements; `state = 'queued'` keeps it for its worker.
  delete from public.job_queue where job_id = p_job_id and state in ('queued', 'failed');
  if found or not exists (select 1 from public.job_queue where job_id = p_job_id) then
    update public.jobs set status = 'cancelled', finished_at = now() where id = p_job_id;
    insert into public.job_events (job_id, org_id, step, message) values (j.id, j.org_id, 'cancelled', 'Cancelled before it started');
    return 'cancelled';
  end if;
  perform pg_notify('job_cancel', p_job_id::text);
  return j.status;
end $$;

grant execute on function public.start_job(uuid, public.job_kind, text, jsonb, text, text, text[]),
  public.cancel_job(uuid) to authenticated, service_role;
