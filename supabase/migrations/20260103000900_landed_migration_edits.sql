-- Two changes that an earlier session made by editing migrations that had already landed
-- (20260103000200_review_report_perf, 20260103000400_online_judge). A database migrated before that edit,
-- a developer's .data or a hosted project after `supabase db push`, never ran the edited text, since a
-- migration runs once per version. The edits are undone and made here instead.
--
-- 1. A review report's finals digest rides the replication stream with the row's other small columns.
--    A page that shows the finals refetches them (megabytes on a large queue) only when a change carries
--    a digest other than the last one it heard, not on every recomputation
--    (web/src/features/review-queues/queries.ts, useQueueLive).
alter publication supabase_realtime drop table public.review_reports;
alter publication supabase_realtime add table public.review_reports (queue_id, org_id, scores_count, computed_at, finals_digest);
comment on column public.review_reports.finals_digest is
  'SHA-256 of the finals JSON the worker last wrote (its text as sent); null until then. The worker skips rewriting equal finals; pages refetch the finals when it changes.';

-- 2. The online judge's slot (private.online_judge_claim, 20260103000400) may also answer 'rule_removed'.
--    It serializes the calls per rule, so a burst cannot overshoot the call cap. The cost cap counts the
--    calls that have answered (the worker adds each one's cost to its slot afterwards), so what the calls
--    still in flight cost can take it past the cap.
--
-- 3. The comparison view shows a rubric judge's raw value and reason next to its score, so each result of
--    public.experiment_comparison_page (20260102000800) carries its score_details when it has any: the
--    page's one read, not a second one of the same rows. Otherwise unchanged.
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
