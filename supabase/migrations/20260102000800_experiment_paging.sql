-- The experiment comparison view, paged on the server (issue 20: "the comparison view over 5,000
-- items answers its first page p95 < 200 ms"). Before this the browser loaded every result row of an
-- experiment (items × variants) and filtered, sorted and summarized them itself.
--
-- Both functions are security invoker: whoever calls them reads experiments, dataset_items and
-- experiment_results through those tables' own policies (members of the organization), so another
-- tenant's experiment id returns nothing, as a select on the tables would.

-- One page of an experiment's items, each with every variant's output, scores, cost and latency.
--   p_variant: the variant compared with the baseline (regressions, the delta, sorting by it);
--   p_metric: the evaluator the regressions filter and the delta use;
--   p_regressions: only items where p_variant did worse than the baseline on p_metric or failed where
--     the baseline did not (shared/src/datasets/summary.ts isRegression, the same rule);
--   p_q: text in the input, the expected answer, or the baseline's or compared variant's output;
--   p_sort: 'position' (the dataset's order), 'delta' (worst first), '-delta' (best first),
--     'latency' (the compared variant's slowest first), 'cost' (its most expensive first).
-- `total` is the number of items matching the filters (the same on every row).
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
                                                        'cost_usd', r.cost_usd, 'latency_ms', r.latency_ms, 'error', r.error) order by r.variant)
                       from public.experiment_results r where r.experiment_id = e.id and r.item_id = i.id), '[]'::jsonb),
           v_total
      from unnest(coalesce(v_ids, '{}'::uuid[])) with ordinality as u(id, ord)
      join public.dataset_items i on i.id = u.id
      left join public.experiment_results b on b.experiment_id = e.id and b.variant = e.baseline and b.item_id = i.id
      left join public.experiment_results v on v.experiment_id = e.id and v.variant = v_compared and v.item_id = i.id
     order by u.ord;
end $$;

-- One variant's results of an experiment in item order: the pairing above reads two such ranges.
create index experiment_results_variant_idx on public.experiment_results (experiment_id, variant, item_id);

-- Per-variant figures from the rows stored so far, for the view while an experiment runs (the worker
-- stores the full statistics, with confidence intervals and tests, on the experiment when it ends):
-- outputs, errors, cost, latency percentiles, each metric's mean, and against the baseline each
-- metric's mean paired difference over the items both scored.
create or replace function public.experiment_variant_stats(p_experiment_id uuid)
returns table (variant integer, n integer, errors integer, cost_usd numeric, latency_p50 integer, latency_p90 integer, latency_p99 integer, metrics jsonb, vs_baseline jsonb)
language sql stable security invoker set search_path = '' as $$
  with e as (
    select x.id, x.baseline from public.experiments x where x.id = p_experiment_id
  ),
  per as (
    select r.variant, count(*)::integer as n, count(r.error)::integer as errors, coalesce(sum(r.cost_usd), 0) as cost_usd,
           percentile_cont(array[0.5, 0.9, 0.99]) within group (order by r.latency_ms) filter (where r.error is null) as lat
      from e join public.experiment_results r on r.experiment_id = e.id
     group by r.variant
  ),
  scored as (
    select r.variant, s.key as metric, (s.value #>> '{}')::double precision as score,
           case when r.variant <> e.baseline and b.error is null and jsonb_typeof(b.scores -> s.key) = 'number'
                then (b.scores ->> s.key)::double precision end as b_score
      from e
      join public.experiment_results r on r.experiment_id = e.id and r.error is null
      cross join lateral jsonb_each(r.scores) s
      left join public.experiment_results b on b.experiment_id = e.id and b.variant = e.baseline and b.item_id = r.item_id
     where jsonb_typeof(s.value) = 'number'
  ),
  by_metric as (
    select s.variant,
           jsonb_object_agg(s.metric, jsonb_build_object('n', s.n, 'mean', s.mean)) as metrics,
           jsonb_object_agg(s.metric, jsonb_build_object('n', s.pairs, 'meanDiff', s.mean_diff)) filter (where s.pairs > 0) as vs_baseline
      from (select sc.variant, sc.metric, count(*) as n, avg(sc.score) as mean, count(sc.b_score) as pairs, avg(sc.score - sc.b_score) as mean_diff
              from scored sc group by sc.variant, sc.metric) s
     group by s.variant
  )
  select per.variant, per.n, per.errors, per.cost_usd,
         round(per.lat[1])::integer, round(per.lat[2])::integer, round(per.lat[3])::integer,
         coalesce(by_metric.metrics, '{}'::jsonb), coalesce(by_metric.vs_baseline, '{}'::jsonb)
    from per
    left join by_metric on by_metric.variant = per.variant
   order by per.variant
$$;

revoke all on function public.experiment_comparison_page(uuid, integer, text, boolean, text, text, integer, integer),
  public.experiment_variant_stats(uuid) from public, anon;
grant execute on function public.experiment_comparison_page(uuid, integer, text, boolean, text, text, integer, integer),
  public.experiment_variant_stats(uuid) to authenticated, service_role;
