-- Observability: every LLM call (ai_requests), daily rollups kept current by statement-level
-- triggers, the board functions that read them, per-version prompt metrics, and the per-organization
-- LLM rate limit.

create table public.ai_requests (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references auth.users (id) on delete set null,
  function_name text not null,
  prompt_version_id uuid,
  model text not null,
  input_tokens integer not null default 0 check (input_tokens >= 0),
  output_tokens integer not null default 0 check (output_tokens >= 0),
  cost_usd numeric(14, 8) not null default 0 check (cost_usd >= 0),
  latency_ms integer not null default 0 check (latency_ms >= 0),
  status text not null check (status in ('ok', 'error')),
  error text,
  trace_id text,
  flags jsonb not null default '[]'::jsonb,
  created_at timestamptz not null default now(),
  foreign key (org_id, prompt_version_id) references public.prompt_versions (org_id, id) on delete set null (prompt_version_id)
);
create index ai_requests_org_time_idx on public.ai_requests (org_id, created_at desc);
create index ai_requests_prompt_version_idx on public.ai_requests (prompt_version_id, created_at desc) where prompt_version_id is not null;

-- People only read LLM usage; only the service role (the functions, the worker) appends.
revoke all on public.ai_requests from service_role;
grant select, insert on public.ai_requests to service_role;
grant select on public.ai_requests to authenticated;
alter table public.ai_requests enable row level security;
create policy "Admins and managers can read LLM usage" on public.ai_requests
  for select to authenticated using (org_id in (select private.orgs_where('usage:read')));

-- ---- LLM rate limit ---------------------------------------------------------------------------------
-- A token bucket per organization and scope for the LLM-backed functions. The capacity is the
-- platform's to set (a row per organization, or the default row), never the caller's: whoever may use
-- the LLM in an organization spends from its bucket, and nobody can spend another organization's.
create table private.llm_limits (
  org_id uuid unique nulls not distinct references public.organizations (id) on delete cascade,
  requests_per_minute integer not null check (requests_per_minute between 1 and 100000)
);
insert into private.llm_limits (org_id, requests_per_minute) values (null, 60);
alter table private.llm_limits enable row level security;

create table private.llm_rate_limits (
  key text primary key,
  tokens double precision not null,
  updated_at timestamptz not null default clock_timestamp()
);
alter table private.llm_rate_limits enable row level security;

create or replace function public.take_llm_tokens(p_org uuid, p_scope text default 'llm')
returns table (allowed boolean, remaining double precision, retry_after_ms integer)
language plpgsql volatile security definer set search_path = '' as $$
declare
  now_ts timestamptz := clock_timestamp();
  per_minute integer;
  rate double precision;
  bucket text := p_scope || ':' || p_org::text;
  current double precision;
begin
  perform private.require_capability(p_org, 'llm:use', 'The organization');
  if p_scope !~ '^[a-z][a-z0-9_-]{0,40}$' then
    perform private.raise_http(400, 'invalid_input', 'Unknown rate-limit scope');
  end if;
  select l.requests_per_minute into per_minute from private.llm_limits l
   where l.org_id = p_org or l.org_id is null order by l.org_id nulls last limit 1;
  rate := per_minute / 60000.0; -- tokens per millisecond
  insert into private.llm_rate_limits (key, tokens, updated_at) values (bucket, per_minute, now_ts)
  on conflict (key) do nothing;
  select least(per_minute, l.tokens + extract(epoch from (now_ts - l.updated_at)) * 1000 * rate)
    into current from private.llm_rate_limits l where l.key = bucket for update;
  if current >= 1 then
    update private.llm_rate_limits set tokens = current - 1, updated_at = now_ts where key = bucket;
    return query select true, current - 1, 0;
  else
    update private.llm_rate_limits set tokens = current, updated_at = now_ts where key = bucket;
    return query select false, current, ceil((1 - current) / rate)::integer;
  end if;
end $$;
grant execute on function public.take_llm_tokens(uuid, text) to authenticated, service_role;

-- ---- boards -------------------------------------------------------------------------------------------
-- Days are UTC days. Latency percentiles come from a fixed log-scale histogram per rollup row:
-- bucket k (1-based) holds latencies with log2(ms + 1) in [(k-1)/4, k/4), i.e. four buckets per
-- doubling (at most ~19% wide), the last bucket open-ended (≥ 2^20 ms ≈ 17 min). The int[80] is
-- stored CUMULATIVE (latency_hist[k] = requests in buckets 1..k, so [80] = all requests): cumulative
-- histograms still add element-wise, so p50/p95 over any range of days, models or functions come
-- from the rollup alone, and a quantile is a binary search instead of a scan.

-- Histogram helpers ---------------------------------------------------------------------------

create or replace function private.latency_bucket(p_ms integer) returns integer
language sql immutable parallel safe set search_path = '' as $$
  select least(80, 1 + floor(4 * ln(greatest(p_ms, 0)::float8 + 1) / ln(2::float8))::integer)
$$;

create or replace function private.empty_latency_hist() returns integer[]
language sql immutable parallel safe set search_path = '' as $$
  select array_fill(0, array[80])
$$;

-- Element-wise sum (null-tolerant, so it can be an aggregate's state transition).
create or replace function private.int_array_add(a integer[], b integer[]) returns integer[]
language sql immutable parallel safe set search_path = '' as $$
  select case
    when a is null then b
    when b is null then a
    else (select array_agg(coalesce(x, 0) + coalesce(y, 0) order by i)
          from unnest(a, b) with ordinality as t(x, y, i))
  end
$$;

create or replace function private.int_array_sub(a integer[], b integer[]) returns integer[]
language sql immutable parallel safe set search_path = '' as $$
  select array_agg(coalesce(x, 0) - coalesce(y, 0) order by i)
  from unnest(a, b) with ordinality as t(x, y, i)
$$;

-- Quantiles from a cumulative histogram: binary search for the bucket holding the rank, then linear
-- interpolation inside it.
create or replace function private.hist_quantiles(p_cum integer[], p_qs float8[]) returns float8[]
language plpgsql immutable parallel safe set search_path = '' as $$
declare
  n integer := coalesce(array_length(p_cum, 1), 0);
  total float8;
  result float8[] := '{}';
  q float8;
  target float8;
  lo_k integer;
  hi_k integer;
  mid integer;
  prev float8;
begin
  total := case when n = 0 then 0 else p_cum[n] end;
  foreach q in array p_qs loop
    if total <= 0 then
      result := result || null::float8;
      continue;
    end if;
    target := greatest(least(q, 1), 0) * total;
    -- smallest k with cum[k] >= target and cum[k] > 0
    lo_k := 1;
    hi_k := n;
    while lo_k < hi_k loop
      mid := (lo_k + hi_k) / 2;
      if p_cum[mid] >= target and p_cum[mid] > 0 then hi_k := mid; else lo_k := mid + 1; end if;
    end loop;
    prev := case when lo_k = 1 then 0 else p_cum[lo_k - 1] end;
    result := result || round(((power(2::float8, (lo_k - 1) / 4.0) - 1)
      + (power(2::float8, lo_k / 4.0) - power(2::float8, (lo_k - 1) / 4.0)) * greatest(target - prev, 0) / greatest(p_cum[lo_k] - prev, 1))::numeric, 1)::float8;
  end loop;
  return result;
end $$;

-- Rollup tables -------------------------------------------------------------------------------

create table public.ai_usage_daily (
  org_id uuid not null references public.organizations (id) on delete cascade,
  day date not null,
  model text not null,
  function_name text not null,
  requests bigint not null default 0,
  errors bigint not null default 0,
  input_tokens bigint not null default 0,
  output_tokens bigint not null default 0,
  cost_usd numeric(18, 8) not null default 0,
  latency_ms_sum bigint not null default 0,
  latency_hist integer[] not null default private.empty_latency_hist()
    check (array_length(latency_hist, 1) = 80),
  primary key (org_id, day, model, function_name)
);

create table public.feedback_daily (
  org_id uuid not null references public.organizations (id) on delete cascade,
  day date not null,
  rating_1 integer not null default 0,
  rating_2 integer not null default 0,
  rating_3 integer not null default 0,
  rating_4 integer not null default 0,
  rating_5 integer not null default 0,
  total integer generated always as (rating_1 + rating_2 + rating_3 + rating_4 + rating_5) stored,
  rating_sum integer generated always as (rating_1 + 2 * rating_2 + 3 * rating_3 + 4 * rating_4 + 5 * rating_5) stored,
  low_rating_share numeric(6, 4) generated always as (
    case when rating_1 + rating_2 + rating_3 + rating_4 + rating_5 = 0 then null
         else round((rating_1 + rating_2)::numeric / (rating_1 + rating_2 + rating_3 + rating_4 + rating_5), 4) end
  ) stored,
  primary key (org_id, day)
);

-- Grants: read through RLS; nobody writes but the triggers below (which run as the owner).
revoke all on public.ai_usage_daily, public.feedback_daily from service_role;
grant select on public.ai_usage_daily, public.feedback_daily to authenticated, service_role;

-- Triggers: one statement-level trigger per event, aggregating the transition table, so a bulk
-- insert of a million requests costs one upsert per (org, day, model, function), not a million.

-- Transition tables are visible only to the trigger function's own queries, so these build the
-- statement and the trigger (or the backfill below) EXECUTEs it.
create or replace function private.ai_usage_apply_sql(p_rows text, p_sign integer) returns text
language plpgsql immutable set search_path = '' as $$
begin
  -- p_rows is a transition table (new_rows/old_rows, visible to the calling trigger's SPI queries)
  -- or the table itself for the backfill; never anything else.
  if p_rows not in ('new_rows', 'old_rows', 'public.ai_requests') or p_sign not in (-1, 1) then
    raise exception 'ai_usage_apply_sql: unexpected source %', p_rows;
  end if;
  return format($q$
    with grouped as (
      select r.org_id, (r.created_at at time zone 'UTC')::date as day, r.model, r.function_name,
             private.latency_bucket(r.latency_ms) as bucket,
             count(*) as n,
             count(*) filter (where r.status = 'error') as errors,
             sum(r.input_tokens) as input_tokens,
             sum(r.output_tokens) as output_tokens,
             sum(r.cost_usd) as cost_usd,
             sum(r.latency_ms) as latency_ms_sum
      from %1$s r
      -- rows of an organization being deleted cascade away with its rollup; nothing to subtract
      where exists (select 1 from public.organizations o where o.id = r.org_id)
      group by 1, 2, 3, 4, 5
    ), per_key as (
      select g.org_id, g.day, g.model, g.function_name,
             sum(g.n) as n, sum(g.errors) as errors, sum(g.input_tokens) as input_tokens,
             sum(g.output_tokens) as output_tokens, sum(g.cost_usd) as cost_usd, sum(g.latency_ms_sum) as latency_ms_sum
      from grouped g
      group by 1, 2, 3, 4
    ), cumulative as (
      select k.org_id, k.day, k.model, k.function_name, b.b,
             sum(coalesce(g.n, 0)) over (partition by k.org_id, k.day, k.model, k.function_name order by b.b) as c
      from per_key k
      cross join generate_series(1, 80) as b(b)
      left join grouped g on g.org_id = k.org_id and g.day = k.day and g.model = k.model
                         and g.function_name = k.function_name and g.bucket = b.b
    ), hists as (
      select org_id, day, model, function_name, array_agg(c::integer order by b) as hist
      from cumulative
      group by 1, 2, 3, 4
    )
    insert into public.ai_usage_daily as d
      (org_id, day, model, function_name, requests, errors, input_tokens, output_tokens, cost_usd, latency_ms_sum, latency_hist)
    select org_id, day, model, function_name, %2$s * k.n, %2$s * errors, %2$s * input_tokens, %2$s * output_tokens,
           %2$s * cost_usd, %2$s * latency_ms_sum,
           case when %2$s > 0 then h.hist else private.int_array_sub(private.empty_latency_hist(), h.hist) end
    from per_key k join hists h using (org_id, day, model, function_name)
    order by org_id, day, model, function_name
    on conflict (org_id, day, model, function_name) do update set
      requests = d.requests + excluded.requests,
      errors = d.errors + excluded.errors,
      input_tokens = d.input_tokens + excluded.input_tokens,
      output_tokens = d.output_tokens + excluded.output_tokens,
      cost_usd = d.cost_usd + excluded.cost_usd,
      latency_ms_sum = d.latency_ms_sum + excluded.latency_ms_sum,
      latency_hist = private.int_array_add(d.latency_hist, excluded.latency_hist)
  $q$, p_rows, p_sign);
end $$;

create or replace function private.ai_usage_rollup() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    execute private.ai_usage_apply_sql('old_rows', -1);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    execute private.ai_usage_apply_sql('new_rows', 1);
  end if;
  return null;
end $$;

create trigger ai_requests_rollup_insert after insert on public.ai_requests
  referencing new table as new_rows for each statement execute function private.ai_usage_rollup();
create trigger ai_requests_rollup_update after update on public.ai_requests
  referencing old table as old_rows new table as new_rows for each statement execute function private.ai_usage_rollup();
create trigger ai_requests_rollup_delete after delete on public.ai_requests
  referencing old table as old_rows for each statement execute function private.ai_usage_rollup();

create or replace function private.feedback_apply_sql(p_rows text, p_sign integer) returns text
language plpgsql immutable set search_path = '' as $$
begin
  if p_rows not in ('new_rows', 'old_rows', 'public.feedback') or p_sign not in (-1, 1) then
    raise exception 'feedback_apply_sql: unexpected source %', p_rows;
  end if;
  return format($q$
    insert into public.feedback_daily as d (org_id, day, rating_1, rating_2, rating_3, rating_4, rating_5)
    select r.org_id, (r.created_at at time zone 'UTC')::date,
           %2$s * count(*) filter (where r.rating = 1), %2$s * count(*) filter (where r.rating = 2),
           %2$s * count(*) filter (where r.rating = 3), %2$s * count(*) filter (where r.rating = 4),
           %2$s * count(*) filter (where r.rating = 5)
    from %1$s r
    where exists (select 1 from public.organizations o where o.id = r.org_id)
    group by 1, 2
    order by 1, 2
    on conflict (org_id, day) do update set
      rating_1 = d.rating_1 + excluded.rating_1, rating_2 = d.rating_2 + excluded.rating_2,
      rating_3 = d.rating_3 + excluded.rating_3, rating_4 = d.rating_4 + excluded.rating_4,
      rating_5 = d.rating_5 + excluded.rating_5
  $q$, p_rows, p_sign);
end $$;

create or replace function private.feedback_rollup() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'UPDATE' then
    -- Triage updates (status, labels, claims) are the common case and change nothing counted here.
    if not exists (
      select 1 from old_rows o join new_rows n on n.id = o.id
      where n.rating <> o.rating or n.org_id <> o.org_id or n.created_at <> o.created_at
    ) then
      return null;
    end if;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    execute private.feedback_apply_sql('old_rows', -1);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    execute private.feedback_apply_sql('new_rows', 1);
  end if;
  return null;
end $$;

create trigger feedback_rollup_insert after insert on public.feedback
  referencing new table as new_rows for each statement execute function private.feedback_rollup();
create trigger feedback_rollup_update after update on public.feedback
  referencing old table as old_rows new table as new_rows for each statement execute function private.feedback_rollup();
create trigger feedback_rollup_delete after delete on public.feedback
  referencing old table as old_rows for each statement execute function private.feedback_rollup();

-- Rollups change only from inside the triggers above (which run as the owner) or by a superuser
-- rebuilding them; a direct write from any API role, the service role included, is refused (also by
-- grants; the trigger keeps it so for a role someone grants more by mistake).
create or replace function private.rollup_write_guard() returns trigger
language plpgsql set search_path = '' as $$
begin
  if pg_trigger_depth() > 1 or current_user in ('postgres', 'supabase_admin') then
    return coalesce(new, old);
  end if;
  raise exception '% is maintained by triggers; % is not allowed', tg_table_name, lower(tg_op) using errcode = '42501';
end $$;
create trigger ai_usage_daily_write_guard before insert or update or delete on public.ai_usage_daily
  for each row execute function private.rollup_write_guard();
create trigger feedback_daily_write_guard before insert or update or delete on public.feedback_daily
  for each row execute function private.rollup_write_guard();

alter table public.ai_usage_daily enable row level security;
alter table public.feedback_daily enable row level security;

create policy "Admins and managers can read the usage rollup" on public.ai_usage_daily
  for select to authenticated using (org_id in (select private.orgs_where('usage:read')));
create policy "Admins and managers can read the feedback rollup" on public.feedback_daily
  for select to authenticated using (org_id in (select private.orgs_where('usage:read')));


-- Board functions -------------------------------------------------------------------------------
-- Security definer with an explicit role check: the caller must be an admin or manager of p_org (or
-- the service role), and every query below is filtered to p_org. Definer rather than invoker
-- because RLS would otherwise call a membership check per scanned row (thousands of cases, ~1k
-- rollup rows), which dominated the board latency in bench/README-boards.md.

create or replace function private.assert_board_reader(p_org uuid) returns void
language plpgsql stable set search_path = '' as $$
begin
  perform private.require_capability(p_org, 'usage:read', 'The organization');
end $$;

create or replace function private.assert_board_range(p_from date, p_to date) returns void
language plpgsql immutable set search_path = '' as $$
begin
  if p_from is null or p_to is null or p_from > p_to then
    raise exception 'Board range needs p_from <= p_to' using errcode = '22023';
  end if;
  if p_to - p_from > 366 then
    raise exception 'Board range is limited to 366 days' using errcode = '22023';
  end if;
end $$;

-- Cost, tokens, errors and latency per day × model × function; rows with day = null are the totals
-- over the whole range per model × function (percentiles merged from the histograms, not averaged).
create or replace function public.board_cost(p_org uuid, p_from date, p_to date)
returns table (
  day date,
  model text,
  function_name text,
  requests bigint,
  errors bigint,
  error_rate numeric,
  input_tokens bigint,
  output_tokens bigint,
  cost_usd numeric,
  latency_avg_ms numeric,
  latency_p50_ms float8,
  latency_p95_ms float8
)
language plpgsql stable security definer set search_path = '' as $$
begin
  perform private.assert_board_reader(p_org);
  perform private.assert_board_range(p_from, p_to);
  -- The range totals merge the histograms with 80 plain sum() columns (array[sum(h[1]), …]): ~20×
  -- faster than unnest + regroup, which is why this one query is assembled as text.
  return query execute format($q$
    with base as materialized (
      select u.* from public.ai_usage_daily u where u.org_id = $1 and u.day between $2 and $3
    ), rows as (
      select b.day, b.model, b.function_name, b.requests, b.errors, b.input_tokens, b.output_tokens, b.cost_usd,
             b.latency_ms_sum, b.latency_hist as cum, 0 as is_total
      from base b
      union all
      select null::date, b.model, b.function_name, sum(b.requests)::bigint, sum(b.errors)::bigint,
             sum(b.input_tokens)::bigint, sum(b.output_tokens)::bigint, sum(b.cost_usd), sum(b.latency_ms_sum)::bigint,
             array[%s], 1
      from base b group by b.model, b.function_name
    )
    select r.day, r.model, r.function_name, r.requests, r.errors,
           round(r.errors::numeric / nullif(r.requests, 0), 4),
           r.input_tokens, r.output_tokens, round(r.cost_usd, 6),
           round(r.latency_ms_sum::numeric / nullif(r.requests, 0), 1),
           q[1], q[2]
    from rows r cross join lateral (select private.hist_quantiles(r.cum, '{0.5,0.95}') as q) qq
    order by r.is_total, r.day, r.cost_usd desc, r.model, r.function_name
  $q$, (select string_agg(format('sum(b.latency_hist[%s])::integer', k), ', ' order by k) from generate_series(1, 80) k))
  using p_org, p_from, p_to;
end $$;

-- Quality: daily rating trend and low-rating share, cases opened/decided per day, time to
-- resolution, and model accuracy by version. One JSON document per call.
create or replace function public.board_quality(p_org uuid, p_from date, p_to date)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_from timestamptz := (p_from::timestamp at time zone 'UTC');
  v_to timestamptz := ((p_to + 1)::timestamp at time zone 'UTC');
  v_days jsonb;
  v_totals jsonb;
  v_resolution jsonb;
  v_models jsonb;
begin
  perform private.assert_board_reader(p_org);
  perform private.assert_board_range(p_from, p_to);

  with days as (
    select d::date as day from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') d
  ), fb as (
    select f.day, f.total, f.rating_sum, f.rating_1, f.rating_2, f.rating_3, f.rating_4, f.rating_5, f.low_rating_share
    from public.feedback_daily f where f.org_id = p_org and f.day between p_from and p_to
  ), opened as (
    select (c.created_at at time zone 'UTC')::date as day, count(*) as n
    from public.improvement_cases c where c.org_id = p_org and c.created_at >= v_from and c.created_at < v_to
    group by 1
  ), decided as (
    select (c.decided_at at time zone 'UTC')::date as day,
           count(*) filter (where c.status = 'approved') as approved,
           count(*) filter (where c.status = 'rejected') as rejected
    from public.improvement_cases c
    where c.org_id = p_org and c.decided_at >= v_from and c.decided_at < v_to and c.status <> 'pending'
    group by 1
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'day', days.day,
           'feedback', coalesce(fb.total, 0),
           'avg_rating', round(fb.rating_sum::numeric / nullif(fb.total, 0), 3),
           'low_rating_share', fb.low_rating_share,
           'ratings', jsonb_build_array(coalesce(fb.rating_1, 0), coalesce(fb.rating_2, 0), coalesce(fb.rating_3, 0),
                                        coalesce(fb.rating_4, 0), coalesce(fb.rating_5, 0)),
           'cases_opened', coalesce(opened.n, 0),
           'cases_approved', coalesce(decided.approved, 0),
           'cases_rejected', coalesce(decided.rejected, 0)
         ) order by days.day), '[]'::jsonb)
    into v_days
  from days
  left join fb on fb.day = days.day
  left join opened on opened.day = days.day
  left join decided on decided.day = days.day;

  select jsonb_build_object(
           'feedback', coalesce(sum(f.total), 0),
           'avg_rating', round(sum(f.rating_sum)::numeric / nullif(sum(f.total), 0), 3),
           'low_rating_share', round(sum(f.rating_1 + f.rating_2)::numeric / nullif(sum(f.total), 0), 4))
    into v_totals
  from public.feedback_daily f where f.org_id = p_org and f.day between p_from and p_to;

  select jsonb_build_object(
           'decided', count(*),
           'approved', count(*) filter (where c.status = 'approved'),
           'rejected', count(*) filter (where c.status = 'rejected'),
           'median_hours', round((percentile_cont(0.5) within group (order by extract(epoch from c.decided_at - c.created_at)) / 3600)::numeric, 2),
           'p90_hours', round((percentile_cont(0.9) within group (order by extract(epoch from c.decided_at - c.created_at)) / 3600)::numeric, 2),
           'pending_now', (select count(*) from public.improvement_cases p where p.org_id = p_org and p.status = 'pending'))
    into v_resolution
  from public.improvement_cases c
  where c.org_id = p_org and c.decided_at >= v_from and c.decided_at < v_to and c.status <> 'pending';

  select coalesce(jsonb_agg(jsonb_build_object(
           'id', m.id, 'name', m.name, 'version', m.version, 'base_model', m.base_model, 'provider', m.provider,
           'accuracy', m.accuracy, 'is_live', m.is_live, 'job_id', m.job_id, 'created_at', m.created_at
         ) order by m.created_at, m.id), '[]'::jsonb)
    into v_models
  from (
    select mo.*, row_number() over (partition by mo.base_model order by mo.created_at, mo.id) as version
    from public.models mo where mo.org_id = p_org
  ) m;

  return jsonb_build_object('from', p_from, 'to', p_to, 'days', v_days, 'totals', v_totals,
                            'resolution', v_resolution, 'models', v_models);
end $$;

grant execute on function public.board_cost(uuid, date, date), public.board_quality(uuid, date, date) to authenticated, service_role;

-- ---- per-version prompt metrics ----------------------------------------------------------------------
-- Per-version quality, cost and latency for one prompt: live traffic from ai_requests (in the window),
-- user ratings from feedback, and the latest completed A/B evaluation the version took part in.
-- Invoker, so each source keeps its own RLS: ai_requests (cost) is visible to admins and managers only.
create or replace function public.prompt_version_metrics(p_prompt_id uuid, p_since timestamptz default null)
returns table (
  version_id uuid, version integer, status public.prompt_status, model text, author_id uuid,
  created_at timestamptz, promoted_at timestamptz,
  requests bigint, errors bigint, error_rate double precision,
  avg_latency_ms double precision, p95_latency_ms double precision,
  input_tokens bigint, output_tokens bigint, cost_usd numeric, cost_per_request_usd numeric,
  feedback_count bigint, avg_rating double precision,
  last_eval jsonb
)
language sql stable security invoker set search_path = '' as $$
  -- Usage a role may not read is null ("—" in the app), never a 0 that reads as "no traffic".
  select v.id, v.version, v.status, v.model, v.author_id, v.created_at, v.promoted_at,
         case when u.readable then coalesce(r.requests, 0) end, case when u.readable then coalesce(r.errors, 0) end,
         case when coalesce(r.requests, 0) = 0 then null else r.errors::double precision / r.requests end,
         r.avg_latency, r.p95_latency,
         case when u.readable then coalesce(r.input_tokens, 0) end, case when u.readable then coalesce(r.output_tokens, 0) end,
         case when u.readable then coalesce(r.cost, 0) end,
         case when coalesce(r.requests, 0) = 0 then null else round(r.cost / r.requests, 8) end,
         coalesce(f.n, 0), f.avg_rating,
         e.last_eval
  from public.prompt_versions v
  cross join lateral (select private.can(v.org_id, 'usage:read') or private.is_privileged() as readable) u
  left join lateral (
    select count(*) as requests, count(*) filter (where a.status = 'error') as errors,
           avg(a.latency_ms)::double precision as avg_latency,
           percentile_cont(0.95) within group (order by a.latency_ms) as p95_latency,
           sum(a.input_tokens) as input_tokens, sum(a.output_tokens) as output_tokens, sum(a.cost_usd) as cost
    from public.ai_requests a
    where a.prompt_version_id = v.id and a.created_at >= coalesce(p_since, now() - interval '30 days')
  ) r on true
  left join lateral (
    select count(*) as n, avg(fb.rating)::double precision as avg_rating
    from public.feedback fb
    where fb.prompt_version_id = v.id and fb.org_id = v.org_id and fb.created_at >= coalesce(p_since, now() - interval '30 days')
  ) f on true
  left join lateral (
    -- The variant this version was, its opponent, and the analysis the worker stored (B-minus-A deltas).
    select jsonb_build_object(
             'jobId', j.id, 'finishedAt', j.finished_at,
             'side', case when j.config -> 'variantB' ->> 'promptVersionId' = v.id::text then 'B' else 'A' end,
             'opponentVersionId', case when j.config -> 'variantB' ->> 'promptVersionId' = v.id::text
                                       then j.config -> 'variantA' ->> 'promptVersionId' else j.config -> 'variantB' ->> 'promptVersionId' end,
             'n', j.result -> 'analysis' -> 'n',
             'meanDeltaB', j.result -> 'analysis' -> 'meanDelta',
             'winRateB', j.result -> 'analysis' -> 'winRateB',
             'pValue', j.result -> 'analysis' -> 'pValue',
             'gatePassed', j.result -> 'analysis' -> 'gate' -> 'passed',
             'promoted', j.result -> 'decision' -> 'promoted',
             'self', case when j.config -> 'variantB' ->> 'promptVersionId' = v.id::text
                          then j.result -> 'analysis' -> 'b' else j.result -> 'analysis' -> 'a' end
           ) as last_eval
    from public.jobs j
    where j.org_id = v.org_id and j.kind = 'ab_eval' and j.status = 'completed'
      and (j.config -> 'variantA' ->> 'promptVersionId' = v.id::text or j.config -> 'variantB' ->> 'promptVersionId' = v.id::text)
    order by j.finished_at desc nulls last
    limit 1
  ) e on true
  where v.prompt_id = p_prompt_id
  order by v.version desc
$$;
grant execute on function public.prompt_version_metrics(uuid, timestamptz) to authenticated, service_role;
