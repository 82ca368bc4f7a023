-- Experiments meet people (issue #20 items 5 and 1 "Splits"):
-- 1. a review queue can take its items from an experiment's outputs (source_kind 'experiment'): one
--    variant's outputs (single items) or two variants' (pairwise A/B items), each item linking back to the
--    experiment_results rows it shows, so human finals and evaluator scores can be read side by side;
-- 2. a dataset version's items carry a train/validation/test split, assigned by a seeded hash with the
--    proportions chosen when splitting, and the overlap with a fine-tune's training snapshot is counted
--    per split, in SQL, inside the organization.
-- No new tables: the RLS of review_items, dataset_items and dataset_versions applies unchanged.

-- ---- 1. experiment outputs → review queues --------------------------------------------------------------

alter table public.review_queues drop constraint review_queues_source_kind_check;
alter table public.review_queues add constraint review_queues_source_kind_check
  check (source_kind in ('feedback', 'inbox_filter', 'ai_requests', 'cases', 'ab_eval', 'experiment'));

-- The items of an 'experiment' queue. A trigger of its own, after review_queues_created (triggers fire in
-- name order), so the existing item-filling function and its branches stay exactly as they are: that one
-- checks and freezes the rubrics, this one fills the items. Source: {"experiment_id": uuid,
-- "variant_ids": [i] (single outputs) or [a, b] (pairwise: variant a's output is A, b's is B), "limit"?}.
-- The experiment is read inside the queue's organization only: another tenant's experiment id gives no
-- items, exactly like an id that does not exist. Outputs that failed (error) are left out; a pairwise item
-- needs both outputs. source_id names the result row(s) (`<id>` or `<idA>:<idB>`), and the context keeps
-- the ids, the variants and the item, so the evaluator scores are one lookup away.
create or replace function private.on_review_queue_from_experiment() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  s jsonb := new.source;
  lim integer := least(coalesce((s ->> 'limit')::integer, 500), 5000);
  e public.experiments;
  v_ids integer[];
begin
  if new.source_kind <> 'experiment' then
    return new;
  end if;
  begin
    v_ids := array(select (jsonb_array_elements_text(s -> 'variant_ids'))::integer);
  exception when others then
    perform private.raise_http(400, 'invalid_input', 'variant_ids must be a list of one or two variant numbers');
  end;
  if cardinality(v_ids) not in (1, 2) or (cardinality(v_ids) = 2 and v_ids[1] = v_ids[2]) then
    perform private.raise_http(400, 'invalid_input', 'variant_ids must name one variant (single outputs) or two different variants (pairwise)');
  end if;
  select * into e from public.experiments x where x.org_id = new.org_id and x.id::text = s ->> 'experiment_id';
  if not found then
    return new;
  end if;
  if exists (select 1 from unnest(v_ids) v where v < 0 or v >= jsonb_array_length(e.variants)) then
    perform private.raise_http(400, 'invalid_input', format('This experiment has variants 0 to %s', jsonb_array_length(e.variants) - 1));
  end if;

  if cardinality(v_ids) = 1 then
    insert into public.review_items (org_id, queue_id, position, source_kind, source_id, query, response, context)
    select new.org_id, new.id, row_number() over (order by i.position, i.id), 'experiment', r.id::text, i.query, r.output,
      jsonb_build_object('experiment_id', e.id, 'item_id', i.id, 'item_position', i.position, 'expected', i.expected,
        'variant_ids', to_jsonb(v_ids), 'result_ids', jsonb_build_array(r.id),
        'variant_labels', jsonb_build_array(coalesce(e.variants -> v_ids[1] ->> 'label', format('V%s', v_ids[1] + 1))))
    from public.experiment_results r
    join public.dataset_items i on i.id = r.item_id and i.org_id = r.org_id
    where r.org_id = new.org_id and r.experiment_id = e.id and r.variant = v_ids[1] and r.error is null
    order by i.position, i.id
    limit lim;
  else
    insert into public.review_items (org_id, queue_id, position, source_kind, source_id, query, output_a, output_b, context)
    select new.org_id, new.id, row_number() over (order by i.position, i.id), 'experiment', ra.id::text || ':' || rb.id::text, i.query, ra.output, rb.output,
      jsonb_build_object('experiment_id', e.id, 'item_id', i.id, 'item_position', i.position, 'expected', i.expected,
        'variant_ids', to_jsonb(v_ids), 'result_ids', jsonb_build_array(ra.id, rb.id),
        'variant_labels', jsonb_build_array(coalesce(e.variants -> v_ids[1] ->> 'label', format('V%s', v_ids[1] + 1)),
                                            coalesce(e.variants -> v_ids[2] ->> 'label', format('V%s', v_ids[2] + 1))))
    from public.experiment_results ra
    join public.experiment_results rb on rb.experiment_id = ra.experiment_id and rb.item_id = ra.item_id and rb.variant = v_ids[2] and rb.error is null
    join public.dataset_items i on i.id = ra.item_id and i.org_id = ra.org_id
    where ra.org_id = new.org_id and ra.experiment_id = e.id and ra.variant = v_ids[1] and ra.error is null
    order by i.position, i.id
    limit lim;
  end if;
  return new;
end $$;
create trigger review_queues_created_experiment after insert on public.review_queues
  for each row when (new.source_kind = 'experiment') execute function private.on_review_queue_from_experiment();
revoke all on function private.on_review_queue_from_experiment() from public, anon, authenticated;

create index review_queues_experiment_idx on public.review_queues ((source ->> 'experiment_id')) where source_kind = 'experiment';

-- ---- 2. splits ------------------------------------------------------------------------------------------

alter table public.dataset_items add column split text check (split in ('train', 'validation', 'test'));
-- The proportions and seed the items were split with ({"train": 0.7, "validation": 0.15, "test": 0.15, "seed": "…"}).
alter table public.dataset_versions add column splits jsonb check (splits is null or jsonb_typeof(splits) = 'object');

-- The text two items (or an item and a training example) are "the same question" by: case and spacing aside.
create or replace function private.normalized_query(p text) returns text
language sql immutable parallel safe set search_path = '' as $$
  select lower(regexp_replace(btrim(coalesce(p, '')), '\s+', ' ', 'g'))
$$;

-- Splits a draft version's items: each item is ranked by a hash of the seed and its normalized question,
-- and the first round(n × train) go to train, the next round(n × validation) to validation, the rest to
-- test. Deterministic (same items, proportions and seed → same split) and stable for repeated questions
-- (the same question hashes alike, so copies sit next to each other in the ranking). A published version
-- is frozen, split included (the item guard refuses the update).
create or replace function public.split_dataset_version(p_version_id uuid, p_train real default 0.7, p_validation real default 0.15, p_test real default 0.15, p_seed text default 'split')
returns table (split text, items integer)
language plpgsql volatile security definer set search_path = '' as $$
declare
  v public.dataset_versions;
  n integer;
  n_train integer;
  n_validation integer;
begin
  select * into v from public.dataset_versions where id = p_version_id;
  if not found or not (private.is_privileged() or private.is_member(v.org_id)) then
    perform private.raise_http(404, 'not_found', 'The dataset version was not found');
  end if;
  perform private.require_capability(v.org_id, 'dataset:edit', 'The dataset version');
  if p_train is null or p_validation is null or p_test is null or p_train < 0 or p_validation < 0 or p_test < 0
     or abs(p_train + p_validation + p_test - 1) > 0.001 then
    perform private.raise_http(400, 'invalid_input', 'The train, validation and test proportions are each between 0 and 1 and add up to 1');
  end if;
  if char_length(coalesce(p_seed, '')) not between 1 and 100 then
    perform private.raise_http(400, 'invalid_input', 'The seed is 1 to 100 characters');
  end if;
  if private.dataset_version_frozen(v.id) then
    perform private.raise_http(409, 'version_frozen', 'This dataset version is published or used by an experiment; split a new draft instead');
  end if;
  select count(*) into n from public.dataset_items where version_id = v.id;
  n_train := round(n * p_train);
  n_validation := least(n - n_train, round(n * p_validation)::integer);
  update public.dataset_items di set split = r.s
    from (
      select x.id, case when x.rk <= n_train then 'train' when x.rk <= n_train + n_validation then 'validation' else 'test' end as s
        from (
          select i.id, row_number() over (order by md5(p_seed || ':' || private.normalized_query(i.query)), i.position) as rk
            from public.dataset_items i where i.version_id = v.id
        ) x
    ) r
   where di.id = r.id;
  update public.dataset_versions set splits = jsonb_build_object('train', p_train, 'validation', p_validation, 'test', p_test, 'seed', p_seed)
   where id = v.id;
  return query
    select s.name, (select count(*)::integer from public.dataset_items i where i.version_id = v.id and i.split = s.name)
      from unnest(array['train', 'validation', 'test']) with ordinality as s(name, o)
     order by s.o;
end $$;

-- Per fine-tuned model and split: how many of this version's items its training snapshot
-- (models.dataset_snapshot.trainIds) contains, by training example or by the same normalized question.
-- Items without a split count under 'unsplit'. Read inside the version's organization only; a version of
-- another organization is "not found".
create or replace function public.dataset_split_overlap(p_version_id uuid)
returns table (model_id uuid, model_name text, served_model text, split text, overlapping integer, items integer)
language plpgsql stable security definer set search_path = '' as $$
declare
  v public.dataset_versions;
begin
  select * into v from public.dataset_versions where id = p_version_id;
  if not found or not (private.is_privileged() or private.is_member(v.org_id)) then
    perform private.raise_http(404, 'not_found', 'The dataset version was not found');
  end if;
  return query
  with trained as (
    select m.id, m.name, m.served_model, t.id as example_id, private.normalized_query(t.query) as q
      from public.models m
      cross join lateral jsonb_array_elements_text(coalesce(m.dataset_snapshot -> 'trainIds', '[]'::jsonb)) as ids(id)
      join public.training_examples t on t.org_id = m.org_id and t.id::text = ids.id
     where m.org_id = v.org_id
  ),
  per_split as (
    select coalesce(i.split, 'unsplit') as s, count(*)::integer as n from public.dataset_items i where i.version_id = v.id group by 1
  ),
  hits as (
    select tr.id, tr.name, tr.served_model, coalesce(i.split, 'unsplit') as s, count(distinct i.id)::integer as n
      from public.dataset_items i
      join trained tr on tr.example_id::text = i.metadata ->> 'trainingExampleId' or tr.q = private.normalized_query(i.query)
     where i.version_id = v.id
     group by 1, 2, 3, 4
  )
  select h.id, h.name, h.served_model, h.s, h.n, p.n
    from hits h join per_split p on p.s = h.s
   order by h.name, array_position(array['train', 'validation', 'test', 'unsplit'], h.s);
end $$;

revoke all on function private.normalized_query(text) from public, anon, authenticated;
grant execute on function public.split_dataset_version(uuid, real, real, real, text), public.dataset_split_overlap(uuid) to authenticated, service_role;
