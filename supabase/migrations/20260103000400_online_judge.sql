-- A rubric LLM judge on live traffic. An evaluator of kind llm_judge in mode "rubric" scores one answer
-- alone on a scale (shared/src/datasets/evaluators.ts LlmJudgeConfig, rubric-judge.ts), so unlike the
-- pairwise and reference judges it needs neither a baseline nor an expected answer and may be attached
-- to live traffic. The worker (worker/src/features/online-eval) calls the judge through the same LLM
-- client as the experiments; its calls are logged as worker:online-eval:judge, which
-- private.online_eval_excluded() never samples (no feedback loop).
--
-- The spend guard: each rule has a daily cap on judge calls (judge_calls_per_day, at most
-- maxJudgeCallsPerRuleDay) and no rule spends more than maxJudgeCostUsdPerRuleDay a UTC day. The worker
-- takes a slot with private.online_judge_claim before each call; a sample past the cap is stored
-- unscored with the reason, never judged.

-- ---- limits (shared/src/datasets/online.ts ONLINE_EVAL_LIMITS; the db test asserts they agree) ----------
create or replace function private.online_eval_limits() returns jsonb
language sql immutable set search_path = '' as $$
  select '{"maxSamplingRate": 1, "maxEnabledRulesPerOrg": 10, "maxTextChars": 8000,
           "defaultJudgeCallsPerRuleDay": 200, "maxJudgeCallsPerRuleDay": 2000, "maxJudgeCostUsdPerRuleDay": 5}'::jsonb
$$;

-- ---- a rule's daily judge cap ---------------------------------------------------------------------------------
-- Deterministic rules ignore it. The upper bound is checked by the trigger below (from the limits).
alter table public.online_evaluators
  add column judge_calls_per_day integer not null default 200 check (judge_calls_per_day >= 1);
grant insert (judge_calls_per_day), update (judge_calls_per_day) on public.online_evaluators to authenticated;

-- Deterministic evaluators and rubric judges, a rate and a judge cap within the limits, and at most
-- maxEnabledRulesPerOrg enabled rules per organization (serialized per organization, so two concurrent
-- inserts cannot both take the last place). Evaluator rows are never updated (a change is a new
-- version), so the kind and mode checked here stay true for the rule's life.
create or replace function private.online_evaluators_check() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_kind text;
  v_mode text;
  v_limits jsonb := private.online_eval_limits();
  v_max integer := (v_limits ->> 'maxEnabledRulesPerOrg')::integer;
begin
  select e.kind, coalesce(e.config ->> 'mode', 'pairwise') into v_kind, v_mode
    from public.evaluators e where e.org_id = new.org_id and e.id = new.evaluator_id;
  if v_kind = 'llm_judge' and v_mode is distinct from 'rubric' then
    perform private.raise_http(400, 'invalid_input', format(
      'A %s judge cannot run on live traffic: it needs %s, which live calls do not have. Use a rubric judge (pointwise, on a scale) or a deterministic evaluator',
      v_mode, case v_mode when 'reference' then 'an expected answer' else 'a baseline output' end));
  elsif v_kind is distinct from 'deterministic' and v_kind is distinct from 'llm_judge' then
    perform private.raise_http(400, 'invalid_input', 'Only deterministic evaluators and rubric judges run on live traffic');
  end if;
  if new.sampling_rate > (v_limits ->> 'maxSamplingRate')::double precision then
    perform private.raise_http(400, 'invalid_input', format('The sampling rate is at most %s', v_limits ->> 'maxSamplingRate'));
  end if;
  if new.judge_calls_per_day > (v_limits ->> 'maxJudgeCallsPerRuleDay')::integer then
    perform private.raise_http(400, 'invalid_input', format('A rule makes at most %s judge calls a day', v_limits ->> 'maxJudgeCallsPerRuleDay'));
  end if;
  if new.enabled and (tg_op = 'INSERT' or not old.enabled) then
    perform pg_advisory_xact_lock(hashtext('online_evaluators:' || new.org_id::text));
    if (select count(*) from public.online_evaluators o where o.org_id = new.org_id and o.enabled and o.id <> new.id) >= v_max then
      perform private.raise_http(409, 'limit_reached', format('An organization can have at most %s enabled online evaluators', v_max));
    end if;
  end if;
  return new;
end $$;

-- ---- the judge's spend, per rule and sampled call ---------------------------------------------------------
-- One row per judged sample (a retried task finds its own slot and does not take another), with the
-- cost the judge's calls reported. Only the worker reads and writes it.
create table private.online_judge_calls (
  rule_id uuid not null references public.online_evaluators (id) on delete cascade,
  ai_request_id uuid not null,
  day date not null default (now() at time zone 'UTC')::date,
  cost_usd numeric(14, 8) not null default 0,
  created_at timestamptz not null default now(),
  primary key (rule_id, ai_request_id)
);
create index online_judge_calls_day_idx on private.online_judge_calls (rule_id, day);
alter table private.online_judge_calls enable row level security;

-- A slot for judging one sample, or why not: null = judge it; 'daily_call_cap' / 'daily_cost_cap' =
-- the rule's budget for today is spent. Serialized per rule, so a burst of samples cannot overshoot.
create or replace function private.online_judge_claim(p_rule uuid, p_request uuid) returns text
language plpgsql security definer set search_path = '' as $$
declare
  v_cap integer;
  v_day date := (now() at time zone 'UTC')::date;
  v_calls integer;
  v_cost numeric;
begin
  perform private.require_privileged();
  perform pg_advisory_xact_lock(hashtext('online_judge:' || p_rule::text));
  if exists (select 1 from private.online_judge_calls c where c.rule_id = p_rule and c.ai_request_id = p_request) then
    return null;
  end if;
  select o.judge_calls_per_day into v_cap from public.online_evaluators o where o.id = p_rule;
  if v_cap is null then
    return 'rule_removed';
  end if;
  select count(*), coalesce(sum(c.cost_usd), 0) into v_calls, v_cost
    from private.online_judge_calls c where c.rule_id = p_rule and c.day = v_day;
  if v_calls >= v_cap then
    return 'daily_call_cap';
  end if;
  if v_cost >= (private.online_eval_limits() ->> 'maxJudgeCostUsdPerRuleDay')::numeric then
    return 'daily_cost_cap';
  end if;
  insert into private.online_judge_calls (rule_id, ai_request_id, day) values (p_rule, p_request, v_day);
  return null;
end $$;

-- Today's judge calls and cost per rule, for the rules list (the same readers as the results).
create or replace function public.online_judge_usage(p_org uuid)
returns table (rule_id uuid, calls bigint, cost_usd numeric, cap integer)
language plpgsql stable security definer set search_path = '' as $$
begin
  if not (p_org in (select private.orgs_where('dataset:edit')) or p_org in (select private.orgs_where('usage:read'))) then
    perform private.raise_http(403, 'forbidden', 'Reading online judge usage needs dataset:edit or usage:read');
  end if;
  return query
    select o.id, count(c.ai_request_id), coalesce(sum(c.cost_usd), 0), o.judge_calls_per_day
      from public.online_evaluators o
      left join private.online_judge_calls c on c.rule_id = o.id and c.day = (now() at time zone 'UTC')::date
     where o.org_id = p_org
     group by o.id, o.judge_calls_per_day;
end $$;

revoke all on function private.online_judge_claim(uuid, uuid) from public, anon, authenticated;
revoke all on function public.online_judge_usage(uuid) from public, anon;
grant execute on function public.online_judge_usage(uuid) to authenticated, service_role;

-- ---- a rubric judge's raw values in experiments ------------------------------------------------------------
-- scores holds each evaluator's score (a rubric judge's normalized to [0, 1]); this holds, per rubric judge,
-- the value it gave on its scale, the label and its reason ({"<evaluator name>": {raw, label, reason, …}}).
alter table public.experiment_results
  add column score_details jsonb not null default '{}'::jsonb check (jsonb_typeof(score_details) = 'object');
