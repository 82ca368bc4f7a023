-- Online evaluation: an evaluator (one saved version) attached to live traffic with a sampling rate and
-- filters (function, prompt version, model). A trigger on ai_requests samples each new call per enabled
-- rule by hashing (request id, rule id), so the decision is the same however often it is asked, and
-- queues the internal task `online_eval`; the worker (worker/src/features/online-eval) scores the call
-- with the experiments' evaluator code and writes public.online_eval_results. Hourly rollups of the
-- scores feed the boards' trend (public.board_online_eval) and the alert metric online_eval_score.
--
-- Who: every member reads the rules (as they read evaluators); curators and admins (dataset:edit, the
-- capability that saves evaluators) add, change and remove them. Results hold live outputs, so they are
-- read by those who edit evaluators and by those who read LLM usage (usage:read). Only the worker writes
-- results.
--
-- ai_requests keeps no text (tokens, cost, latency only), so the LLM client now sends the call's input
-- and output with the row (input_text, output_text), and the sampling trigger keeps them only on calls
-- a rule sampled: nothing else is ever stored.

-- ---- limits (shared/src/datasets/online.ts ONLINE_EVAL_LIMITS; the db test asserts they agree) ----------
create or replace function private.online_eval_limits() returns jsonb
language sql immutable set search_path = '' as $$
  select '{"maxSamplingRate": 1, "maxEnabledRulesPerOrg": 10, "maxTextChars": 8000}'::jsonb
$$;

-- shared/src/datasets/online.ts isExcludedFromOnlineEval: judge calls and the task's own calls are never
-- sampled (an evaluator scoring its own traffic would feed on itself).
create or replace function private.online_eval_excluded(p_function_name text) returns boolean
language sql immutable set search_path = '' as $$
  select strpos(p_function_name, 'judge') > 0 or starts_with(p_function_name, 'worker:online-eval')
$$;

-- A request's position in [0, 1) for one rule: sampled when below the rate. Hashing both ids keeps
-- two rules' samples independent and a replayed request's decision unchanged.
create or replace function private.online_eval_bucket(p_request uuid, p_rule uuid) returns double precision
language sql immutable set search_path = '' as $$
  select (('x' || left(md5(p_request::text || ':' || p_rule::text), 15))::bit(60)::bigint)::double precision / 1152921504606846976.0
$$;

-- ---- rules -------------------------------------------------------------------------------------------------
create table public.online_evaluators (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  -- one saved evaluator version (evaluators are versioned by row)
  evaluator_id uuid not null,
  -- a probability; the configured maximum (maxSamplingRate) is checked by the trigger below
  sampling_rate double precision not null check (sampling_rate >= 0 and sampling_rate <= 1),
  -- null = any
  function_name text check (char_length(function_name) between 1 and 200),
  prompt_version_id uuid,
  model text check (char_length(model) between 1 and 200),
  enabled boolean not null default true,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, id),
  foreign key (org_id, evaluator_id) references public.evaluators (org_id, id) on delete cascade,
  foreign key (org_id, prompt_version_id) references public.prompt_versions (org_id, id) on delete cascade
);
-- The sampling trigger's one lookup per ai_requests insert.
create index online_evaluators_enabled_idx on public.online_evaluators (org_id) where enabled;
create index online_evaluators_evaluator_idx on public.online_evaluators (evaluator_id);
create index online_evaluators_prompt_version_idx on public.online_evaluators (prompt_version_id) where prompt_version_id is not null;

-- ---- results (worker-written) ---------------------------------------------------------------------------
create table public.online_eval_results (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.organizations (id) on delete cascade,
  rule_id uuid not null,
  evaluator_id uuid not null,
  ai_request_id uuid not null references public.ai_requests (id) on delete cascade,
  -- copied from the call, for the trend and the alert scopes without a join on the hot table
  function_name text not null,
  model text not null,
  prompt_version_id uuid,
  request_at timestamptz not null,
  -- [0, 1] (1 = passes); null = could not be scored here (details say why)
  score double precision check (score >= 0 and score <= 1),
  details jsonb not null default '{}'::jsonb check (jsonb_typeof(details) = 'object'),
  created_at timestamptz not null default now(),
  unique (rule_id, ai_request_id),
  foreign key (org_id, rule_id) references public.online_evaluators (org_id, id) on delete cascade
);
create index online_eval_results_rule_idx on public.online_eval_results (rule_id, id desc);
create index online_eval_results_org_idx on public.online_eval_results (org_id, created_at desc);
create index online_eval_results_request_idx on public.online_eval_results (ai_request_id);

-- ---- what a call carries for the evaluator ---------------------------------------------------------------
alter table public.ai_requests
  add column input_text text check (char_length(input_text) <= 8000),
  add column output_text text check (char_length(output_text) <= 8000);

-- ---- grants ------------------------------------------------------------------------------------------------
grant select, delete on public.online_evaluators to authenticated;
grant insert (id, org_id, evaluator_id, sampling_rate, function_name, prompt_version_id, model, enabled, created_by)
  on public.online_evaluators to authenticated;
grant update (sampling_rate, function_name, prompt_version_id, model, enabled) on public.online_evaluators to authenticated;
grant select on public.online_eval_results to authenticated;

-- ---- triggers on the rules -----------------------------------------------------------------------------------
create trigger online_evaluators_created_by before insert or update on public.online_evaluators
  for each row execute function private.stamp_actor('created_by');
create trigger online_evaluators_touch before update on public.online_evaluators
  for each row execute function private.touch_updated_at();

-- Only deterministic evaluators, a rate within the limit, and at most maxEnabledRulesPerOrg enabled rules per organization
-- (serialized per organization, so two concurrent inserts cannot both take the last place).
create or replace function private.online_evaluators_check() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_kind text;
  v_max integer := (private.online_eval_limits() ->> 'maxEnabledRulesPerOrg')::integer;
begin
  select e.kind into v_kind from public.evaluators e where e.org_id = new.org_id and e.id = new.evaluator_id;
  -- Live traffic has no expected answer and no baseline output, which both judge modes need.
  if v_kind is distinct from 'deterministic' then
    perform private.raise_http(400, 'invalid_input', 'Only deterministic evaluators run on live traffic (an LLM judge needs an expected answer or a baseline)');
  end if;
  if new.sampling_rate > (private.online_eval_limits() ->> 'maxSamplingRate')::double precision then
    perform private.raise_http(400, 'invalid_input', format('The sampling rate is at most %s', private.online_eval_limits() ->> 'maxSamplingRate'));
  end if;
  if new.enabled and (tg_op = 'INSERT' or not old.enabled) then
    perform pg_advisory_xact_lock(hashtext('online_evaluators:' || new.org_id::text));
    if (select count(*) from public.online_evaluators o where o.org_id = new.org_id and o.enabled and o.id <> new.id) >= v_max then
      perform private.raise_http(409, 'limit_reached', format('An organization can have at most %s enabled online evaluators', v_max));
    end if;
  end if;
  return new;
end $$;
create trigger online_evaluators_check before insert or update on public.online_evaluators
  for each row execute function private.online_evaluators_check();

-- The default 'online_eval' alert rule is off until the organization has an online evaluator: its
-- first one turns it on (an admin who later turns it off keeps it off).
create or replace function private.online_evaluators_enable_alert() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if not exists (select 1 from public.online_evaluators o where o.org_id = new.org_id and o.id <> new.id) then
    update public.alert_rules set enabled = true where org_id = new.org_id and default_key = 'online_eval' and not enabled;
  end if;
  return null;
end $$;
create trigger online_evaluators_enable_alert after insert on public.online_evaluators
  for each row execute function private.online_evaluators_enable_alert();
update public.alert_rules r set enabled = true
 where r.default_key = 'online_eval' and not r.enabled and exists (select 1 from public.online_evaluators o where o.org_id = r.org_id);

-- ---- sampling on ai_requests -------------------------------------------------------------------------------
-- Before insert, per row: one indexed lookup of the organization's enabled rules (none: nothing else
-- happens), the hash per matching rule, one queue entry per sample (keyed by rule and request, so a
-- repeated insert attempt queues it once). Before, not after: it also drops the texts of calls no rule
-- sampled, so they are never written.
create or replace function private.online_eval_sample() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  r record;
  v_sampled boolean := false;
  v_max integer;
begin
  if new.status = 'ok' and not private.online_eval_excluded(new.function_name) then
    for r in
      select o.id, o.sampling_rate from public.online_evaluators o
       where o.org_id = new.org_id and o.enabled
         and (o.function_name is null or o.function_name = new.function_name)
         and (o.prompt_version_id is null or o.prompt_version_id = new.prompt_version_id)
         and (o.model is null or o.model = new.model)
    loop
      if private.online_eval_bucket(new.id, r.id) < r.sampling_rate then
        perform private.enqueue_task('online_eval', jsonb_build_object('ruleId', r.id, 'aiRequestId', new.id),
                                     'online_eval:' || r.id::text || ':' || new.id::text, new.org_id, now(), -1, 3);
        v_sampled := true;
      end if;
    end loop;
  end if;
  if v_sampled then
    v_max := (private.online_eval_limits() ->> 'maxTextChars')::integer;
    new.input_text := left(new.input_text, v_max);
    new.output_text := left(new.output_text, v_max);
  else
    new.input_text := null;
    new.output_text := null;
  end if;
  return new;
end $$;
-- Rows without text (bulk loads, the seed's history, loggers that send none) skip the trigger entirely:
-- there is nothing to drop, and nothing an output check could read.
create trigger ai_requests_online_eval before insert on public.ai_requests
  for each row when (new.input_text is not null or new.output_text is not null)
  execute function private.online_eval_sample();

-- ---- hourly rollups of the scores (the boards' trend and the alert metric) ----------------------------------
create table private.online_eval_hourly (
  org_id uuid not null references public.organizations (id) on delete cascade,
  hour timestamptz not null,
  rule_id uuid not null,
  function_name text not null,
  model text not null,
  prompt_version_id uuid,
  n bigint not null default 0,
  score_sum double precision not null default 0
);
create unique index online_eval_hourly_key on private.online_eval_hourly (org_id, hour, rule_id, function_name, model, prompt_version_id) nulls not distinct;
create index online_eval_hourly_hour_idx on private.online_eval_hourly (hour, org_id);
alter table private.online_eval_hourly enable row level security;

create or replace function private.online_eval_hourly_rollup() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  execute format($q$
    insert into private.online_eval_hourly as d (org_id, hour, rule_id, function_name, model, prompt_version_id, n, score_sum)
    select r.org_id, date_trunc('hour', r.request_at), r.rule_id, r.function_name, r.model, r.prompt_version_id,
           %2$s * count(*), %2$s * sum(r.score)
    from %1$s r
    where r.score is not null and exists (select 1 from public.online_evaluators o where o.id = r.rule_id)
    group by 1, 2, 3, 4, 5, 6
    order by 1, 2, 3, 4, 5, 6
    on conflict (org_id, hour, rule_id, function_name, model, prompt_version_id) do update set
      n = d.n + excluded.n, score_sum = d.score_sum + excluded.score_sum
  $q$, case when tg_op = 'DELETE' then 'old_rows' else 'new_rows' end, case when tg_op = 'DELETE' then -1 else 1 end);
  return null;
end $$;
create trigger online_eval_results_hourly_insert after insert on public.online_eval_results
  referencing new table as new_rows for each statement execute function private.online_eval_hourly_rollup();
create trigger online_eval_results_hourly_delete after delete on public.online_eval_results
  referencing old table as old_rows for each statement execute function private.online_eval_hourly_rollup();
-- A removed rule takes its rollup rows along (its results go by cascade first).
create or replace function private.online_evaluators_deleted() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  delete from private.online_eval_hourly h using old_rows o where h.rule_id = o.id;
  return null;
end $$;
create trigger online_evaluators_hourly_delete after delete on public.online_evaluators
  referencing old table as old_rows for each statement execute function private.online_evaluators_deleted();

-- ---- row-level security --------------------------------------------------------------------------------------
alter table public.online_evaluators enable row level security;
alter table public.online_eval_results enable row level security;

create policy "Members can read online evaluators" on public.online_evaluators
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can attach evaluators to live traffic" on public.online_evaluators
  for insert to authenticated with check (org_id in (select private.orgs_where('dataset:edit')));
create policy "Curators and admins can change online evaluators" on public.online_evaluators
  for update to authenticated using (org_id in (select private.orgs_where('dataset:edit')))
  with check (org_id in (select private.orgs_where('dataset:edit')));
create policy "Curators and admins can remove online evaluators" on public.online_evaluators
  for delete to authenticated using (org_id in (select private.orgs_where('dataset:edit')));

create policy "Evaluator editors and usage readers can read online evaluation results" on public.online_eval_results
  for select to authenticated using (org_id in (select private.orgs_where('dataset:edit')) or org_id in (select private.orgs_where('usage:read')));

-- ---- the boards' trend ---------------------------------------------------------------------------------------
-- Mean score and n per rule and hour or day (UTC) over the same whole-day range as the other boards.
create or replace function public.board_online_eval(p_org uuid, p_from date, p_to date, p_bucket text default 'day')
returns table (bucket timestamptz, rule_id uuid, evaluator_name text, evaluator_version integer, n bigint, mean_score double precision)
language plpgsql stable security definer set search_path = '' as $$
begin
  perform private.assert_board_reader(p_org);
  perform private.assert_board_range(p_from, p_to);
  if p_bucket is null or p_bucket not in ('hour', 'day') then
    raise exception 'p_bucket is hour or day' using errcode = '22023';
  end if;
  return query
    select date_trunc(p_bucket, h.hour, 'UTC'), h.rule_id, e.name, e.version, sum(h.n)::bigint,
           sum(h.score_sum) / nullif(sum(h.n), 0)
      from private.online_eval_hourly h
      join public.online_evaluators o on o.id = h.rule_id
      join public.evaluators e on e.id = o.evaluator_id
     where h.org_id = p_org
       and h.hour >= (p_from::timestamp at time zone 'UTC') and h.hour < ((p_to + 1)::timestamp at time zone 'UTC')
     group by 1, 2, 3, 4
    having sum(h.n) > 0
     order by 1, 2;
end $$;
grant execute on function public.board_online_eval(uuid, date, date, text) to authenticated, service_role;

revoke all on function private.online_eval_limits(), private.online_eval_excluded(text), private.online_eval_bucket(uuid, uuid),
  private.online_evaluators_check(), private.online_evaluators_enable_alert(), private.online_eval_sample(),
  private.online_eval_hourly_rollup(), private.online_evaluators_deleted()
  from public, anon, authenticated;

-- ---- the alert metric online_eval_score, from the hourly rollups like the others -------------------------
create or replace function private.alert_observations(p_now timestamptz default now())
returns table (rule_id uuid, org_id uuid, scope_key text, value double precision, sample bigint, ref text)
language sql stable security definer set search_path = '' as $$
  with rules as (
    select r.id, r.org_id, r.metric, r.scope, r.scope_value, r.window_minutes,
           date_trunc('hour', p_now - make_interval(mins => r.window_minutes)) as since
    from public.alert_rules r where r.enabled
  ), ai as (
    select r.id as rule_id, r.org_id, r.metric, r.window_minutes, k.scope_key,
           sum(u.requests) as requests, sum(u.errors) as errors, sum(u.tokens) as tokens, sum(u.cost_usd) as cost,
           private.int_array_sum(u.latency_hist) filter (where r.metric = 'llm_latency_p95_ms') as hist
    from rules r
    join private.ai_usage_hourly u on u.org_id = r.org_id and u.hour >= r.since and u.hour <= p_now
    cross join lateral (select case r.scope when 'function' then u.function_name when 'model' then u.model
                                            when 'prompt_version' then coalesce(u.prompt_version_id::text, '') else '' end as scope_key) k
    where r.metric in ('llm_latency_p95_ms', 'llm_error_rate', 'tokens_per_day', 'cost_per_day_usd')
      and (r.scope = 'org' or r.scope_value is null or k.scope_key = r.scope_value)
    group by 1, 2, 3, 4, 5
  ), fb as (
    select r.id as rule_id, r.org_id, k.scope_key, sum(f.ratings) as ratings, sum(f.rating_sum) as rating_sum
    from rules r
    join private.feedback_hourly f on f.org_id = r.org_id and f.hour >= r.since and f.hour <= p_now
    cross join lateral (select case r.scope when 'model' then f.model when 'prompt_version' then coalesce(f.prompt_version_id::text, '')
                                            else '' end as scope_key) k
    where r.metric = 'feedback_score' and (r.scope in ('org', 'function') or r.scope_value is null or k.scope_key = r.scope_value)
    group by 1, 2, 3
  ), oe as (
    -- the mean online evaluation score over every rule's scored calls in the window
    select r.id as rule_id, r.org_id, k.scope_key, sum(h.n) as n, sum(h.score_sum) as score_sum
    from rules r
    join private.online_eval_hourly h on h.org_id = r.org_id and h.hour >= r.since and h.hour <= p_now
    cross join lateral (select case r.scope when 'function' then h.function_name when 'model' then h.model
                                            when 'prompt_version' then coalesce(h.prompt_version_id::text, '') else '' end as scope_key) k
    where r.metric = 'online_eval_score' and (r.scope = 'org' or r.scope_value is null or k.scope_key = r.scope_value)
    group by 1, 2, 3
  ), drift as (
    -- the latest completed drift check in the window, per subject
    select r.id as rule_id, r.org_id, k.scope_key, max((s ->> 'psi')::float8) as psi,
           min(least((s ->> 'baselineCount')::bigint, (s ->> 'currentCount')::bigint)) filter (where s ->> 'psi' is not null) as sample,
           j.id::text as job_id
    from rules r
    cross join lateral (
      select j.id, j.result from public.jobs j
      where j.org_id = r.org_id and j.kind = 'drift' and j.status = 'completed' and j.finished_at >= p_now - make_interval(mins => r.window_minutes)
      order by j.finished_at desc limit 1
    ) j
    cross join lateral jsonb_array_elements(coalesce(j.result -> 'subjects', '[]'::jsonb)) s
    cross join lateral (select case r.scope when 'model' then coalesce(s ->> 'model', '') when 'prompt_version' then coalesce(s ->> 'promptVersionId', '')
                                            else '' end as scope_key) k
    where r.metric = 'drift_psi' and s ->> 'psi' is not null
      and (r.scope in ('org', 'function') or r.scope_value is null or k.scope_key = r.scope_value)
    group by 1, 2, 3, j.id
  )
  select a.rule_id, a.org_id, a.scope_key,
         case a.metric when 'llm_latency_p95_ms' then (private.hist_quantiles(a.hist, '{0.95}'))[1]
                       when 'llm_error_rate' then a.errors::float8 / nullif(a.requests, 0)
                       when 'tokens_per_day' then a.tokens::float8 * 1440 / a.window_minutes
                       else a.cost::float8 * 1440 / a.window_minutes end,
         a.requests::bigint, null::text
  from ai a
  union all
  select fb.rule_id, fb.org_id, fb.scope_key, (fb.rating_sum::float8 / nullif(fb.ratings, 0) - 1) / 4, fb.ratings::bigint, null
  from fb
  union all
  select oe.rule_id, oe.org_id, oe.scope_key, oe.score_sum / nullif(oe.n, 0), oe.n::bigint, null
  from oe
  union all
  select d.rule_id, d.org_id, d.scope_key, d.psi, d.sample, d.job_id from drift d
  union all
  select r.id, r.org_id, '', count(q.id)::float8, count(q.id)::bigint, null
  from rules r left join public.job_queue q on q.org_id = r.org_id and q.state = 'queued' and q.job_id is not null
  where r.metric = 'queue_depth'
  group by r.id, r.org_id
$$;
revoke all on function private.alert_observations(timestamptz) from public, anon, authenticated;

-- ---- live tables -------------------------------------------------------------------------------------------
alter publication supabase_realtime add table public.online_evaluators, public.online_eval_results;
