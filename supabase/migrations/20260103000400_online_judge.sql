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
-- the rule's budget for today is spent; 'rule_removed'. Serialized per rule, so a burst of samples cannot
-- overshoot the call cap. The cost cap counts the cost of the calls that have answered (the worker adds
-- it to the slot afterwards), so it can be passed by what the calls still in flight cost.
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

-- The comparison view shows a rubric judge's raw value and reason next to its score, so each result of
-- public.experiment_comparison_page (20260102000800) carries its score_details when it has any: the
-- page's one read, not a second one of the same rows. Otherwise unchanged.
create or replace function public.experiment_comparison_page(
  p_experiment_id uuid,
  p_variant integer default null,
  p_metric text default null,
  p_regressions boolean default false,
  p_q text default null,
  p_sort text default 'position',
  p_limit integer default 50,
  p_offset integer default 0
)
returns table (item_id uuid, item_position integer, query text, expected text, delta double precision, results jsonb, total bigint)
language plpgsql stable security invoker set search_path = '' as $$
declare
  e public.experiments;
  v_compared integer;
  -- ilike's wildcards in what the user typed are literal.
  v_term text := nullif(replace(replace(replace(trim(coalesce(p_q, '')), '\', '\\'), '%', '\%'), '_', '\_'), '');
  v_sort text := coalesce(p_sort, 'position');
  v_limit integer := greatest(1, least(coalesce(p_limit, 50), 500));
  v_offset integer := greatest(0, coalesce(p_offset, 0));
  v_ids uuid[];
  v_total bigint;
begin
  -- Under the caller's RLS: an experiment of another organization is simply not found.
  select * into e from public.experiments x where x.id = p_experiment_id;
  if not found then
    return;
  end if;
  v_compared := coalesce(p_variant, e.baseline);

  if not coalesce(p_regressions, false) and v_term is null and v_sort = 'position' then
    -- The view as it opens: a page of the dataset in its order, read from the (version, position) index.
    select count(*) into v_total from public.dataset_items i where i.version_id = e.dataset_version_id;
    select array_agg(pg.id order by pg.position) into v_ids
      from (select i.id, i.position from public.dataset_items i where i.version_id = e.dataset_version_id
             order by i.position limit v_limit offset v_offset) pg;
  else
    -- Filtered or sorted by a result: every item is paired with its two results (one index range per
    -- variant), filtered, numbered in the asked order; the page is a range of those numbers.
    select array_agg(m.id order by m.rn) filter (where m.rn > v_offset and m.rn <= v_offset + v_limit), count(*)
      into v_ids, v_total
      from (
        select p.id, row_number() over (order by
                 case when v_sort = 'delta' then p.delta end asc nulls last,
                 case when v_sort = '-delta' then p.delta end desc nulls last,
                 case when v_sort = 'latency' then p.v_latency end desc nulls last,
                 case when v_sort = 'cost' then p.v_cost end desc nulls last,
                 p.position) as rn
          from (
            select i.id, i.position, b.id as b_id, b.error as b_error, v.id as v_id, v.error as v_error,
                   v.latency_ms as v_latency, v.cost_usd as v_cost,
                   case when b.error is null and v.error is null
                         and jsonb_typeof(b.scores -> p_metric) = 'number' and jsonb_typeof(v.scores -> p_metric) = 'number'
                        then (v.scores ->> p_metric)::double precision - (b.scores ->> p_metric)::double precision end as delta,
                   i.query as i_query, i.expected as i_expected, b.output as b_output, v.output as v_output
              from public.dataset_items i
              left join public.experiment_results b on b.experiment_id = e.id and b.variant = e.baseline and b.item_id = i.id
              left join public.experiment_results v on v.experiment_id = e.id and v.variant = v_compared and v.item_id = i.id
             where i.version_id = e.dataset_version_id
          ) p
         where (not coalesce(p_regressions, false)
                -- shared/src/datasets/summary.ts isRegression: the baseline answered, and the variant failed or scored lower.
                or (p.b_id is not null and p.v_id is not null and p.b_error is null and (p.v_error is not null or p.delta < 0)))
           and (v_term is null
                or p.i_query ilike '%' || v_term || '%' or p.i_expected ilike '%' || v_term || '%'
                or p.b_output ilike '%' || v_term || '%' or p.v_output ilike '%' || v_term || '%')
      ) m;
  end if;

  return query
    select i.id, i.position, i.query, i.expected,
           case when b.error is null and v.error is null
                 and jsonb_typeof(b.scores -> p_metric) = 'number' and jsonb_typeof(v.scores -> p_metric) = 'number'
                then (v.scores ->> p_metric)::double precision - (b.scores ->> p_metric)::double precision end,
           coalesce((select jsonb_agg(jsonb_build_object('variant', r.variant, 'output', r.output, 'scores', r.scores,
                                                        'cost_usd', r.cost_usd, 'latency_ms', r.latency_ms, 'error', r.error)
                                     || case when r.score_details <> '{}'::jsonb then jsonb_build_object('score_details', r.score_details) else '{}'::jsonb end
                                     order by r.variant)
                       from public.experiment_results r where r.experiment_id = e.id and r.item_id = i.id), '[]'::jsonb),
           v_total
      from unnest(coalesce(v_ids, '{}'::uuid[])) with ordinality as u(id, ord)
      join public.dataset_items i on i.id = u.id
      left join public.experiment_results b on b.experiment_id = e.id and b.variant = e.baseline and b.item_id = i.id
      left join public.experiment_results v on v.experiment_id = e.id and v.variant = v_compared and v.item_id = i.id
     order by u.ord;
end $$;
