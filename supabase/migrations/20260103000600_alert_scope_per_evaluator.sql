-- Alert rules split per evaluator (issue 20, item 4: online evaluation "available to alerts").
--
-- The default 'online_eval' rule averaged every online evaluator's scores together: on the demo a length
-- check that passes every answer (1.0) and an LLM judge that rates them 0.5 averaged 0.84, so the judge's
-- low scores could not raise the alert until they outweighed the check, and adding or removing an
-- evaluator moved the figure by itself. A rule can now be split per evaluator (one alert per evaluator,
-- named by it, or narrowed to one by scope_value), and the default rule is.
--
-- Which splits each metric supports has one home, shared/src/alerts/state.ts (METRIC_SCOPES); the checks
-- below are its copy, kept equal by tests/alerts/scopes.db.test.ts. A rule that asked for a split its
-- metric's rollup does not keep was evaluated org-wide; it is stored as what it did ('org') before the
-- check, so nothing about how it fires changes.

update public.alert_rules set scope = 'org', scope_value = null
 where not (scope = 'org'
            or (scope = 'function' and metric in ('llm_latency_p95_ms', 'llm_error_rate', 'tokens_per_day', 'cost_per_day_usd', 'online_eval_score'))
            or (scope in ('model', 'prompt_version') and metric <> 'queue_depth'));

alter table public.alert_rules drop constraint alert_rules_scope_check;
alter table public.alert_rules add constraint alert_rules_scope_check
  check (scope in ('org', 'function', 'model', 'prompt_version', 'evaluator'));
alter table public.alert_rules add constraint alert_rules_scope_fits_metric check (
  scope = 'org'
  or (scope = 'function' and metric in ('llm_latency_p95_ms', 'llm_error_rate', 'tokens_per_day', 'cost_per_day_usd', 'online_eval_score'))
  or (scope in ('model', 'prompt_version') and metric <> 'queue_depth')
  or (scope = 'evaluator' and metric = 'online_eval_score'));

-- The default online-evaluation rule, per evaluator: for new organizations, and for existing ones whose
-- rule still is the org-wide default (an admin's own split is kept).
create or replace function private.create_default_alert_rules(p_org uuid) returns void
language sql security definer set search_path = '' as $$
  insert into public.alert_rules (org_id, default_key, name, metric, comparator, threshold, level, window_minutes, min_sample, hysteresis_minutes, enabled, scope)
  values
    (p_org, 'llm_latency', 'LLM latency p95 above 30 s', 'llm_latency_p95_ms', '>', 30000, 'warning', 60, 20, 15, true, 'org'),
    (p_org, 'llm_errors', 'LLM error rate above 5%', 'llm_error_rate', '>', 0.05, 'critical', 60, 20, 15, true, 'org'),
    (p_org, 'tokens_per_day', 'More than 1,000,000 tokens a day', 'tokens_per_day', '>', 1000000, 'warning', 1440, 1, 60, true, 'org'),
    (p_org, 'drift', 'Rating drift (PSI) above 0.3', 'drift_psi', '>', 0.3, 'warning', 2880, 30, 0, true, 'org'),
    (p_org, 'feedback_score', 'Average feedback score below 0.6', 'feedback_score', '<', 0.6, 'critical', 1440, 20, 60, true, 'org'),
    (p_org, 'queue_depth', 'More than 100 jobs waiting', 'queue_depth', '>', 100, 'warning', 1, 0, 10, true, 'org'),
    (p_org, 'daily_cost', 'Daily LLM cost above $50', 'cost_per_day_usd', '>', 50, 'warning', 1440, 1, 60, true, 'org'),
    -- Off until the organization's first online evaluator turns it on (private.online_evaluators_enable_alert).
    (p_org, 'online_eval', 'Online evaluation score below 0.7', 'online_eval_score', '<', 0.7, 'warning', 1440, 20, 60, false, 'evaluator')
  on conflict (org_id, default_key) do nothing
$$;
revoke all on function private.create_default_alert_rules(uuid) from public, anon, authenticated;

update public.alert_rules set scope = 'evaluator'
 where default_key = 'online_eval' and scope = 'org' and scope_value is null;

-- The observations, as before but for the online-evaluation scores' scope key (the oe part).
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
    -- the mean online evaluation score of the scored calls in the window (org-wide, or per scope)
    select r.id as rule_id, r.org_id, k.scope_key, sum(h.n) as n, sum(h.score_sum) as score_sum
    from rules r
    join private.online_eval_hourly h on h.org_id = r.org_id and h.hour >= r.since and h.hour <= p_now
    -- per evaluator: by its name, so its versions and every online rule that runs it count together
    left join public.online_evaluators o on r.scope = 'evaluator' and o.org_id = h.org_id and o.id = h.rule_id
    left join public.evaluators e on e.org_id = o.org_id and e.id = o.evaluator_id
    cross join lateral (select case r.scope when 'function' then h.function_name when 'model' then h.model
                                            when 'prompt_version' then coalesce(h.prompt_version_id::text, '')
                                            when 'evaluator' then coalesce(e.name, '') else '' end as scope_key) k
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
