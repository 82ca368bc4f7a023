-- Datasets (versioned test sets), evaluators, and experiments (prompt version × model variants run by
-- the worker over one published dataset version, scored by evaluators). A draft version is edited by
-- curators; publishing freezes it, and a version an experiment used can never change again (a trigger,
-- not a convention). Experiments are jobs of kind 'experiment': starting the job (public.start_job, the
-- start-job function, the seed's private.enqueue_job) creates the experiment row from its config, so
-- there is one way in.

-- ---- capabilities (shared/src/domain/capabilities.ts holds the same rows) ---------------------------
insert into private.role_capabilities (role, capability) values
  ('admin', 'dataset:edit'), ('curator', 'dataset:edit'),
  ('admin', 'experiment:run');

-- ---- the job kind ------------------------------------------------------------------------------------
alter type public.job_kind add value if not exists 'experiment';
insert into private.job_kinds (kind, capability) values ('experiment', 'experiment:run');

-- ---- tables ---------------------------------------------------------------------------------------------
create table public.datasets (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 120),
  description text not null default '' check (char_length(description) <= 2000),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, id),
  unique (org_id, name)
);
create index datasets_org_idx on public.datasets (org_id, created_at desc);

create table public.dataset_versions (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  dataset_id uuid not null,
  version integer not null check (version >= 1),
  status text not null default 'draft' check (status in ('draft', 'published')),
  -- Where the items came from: {"kind": "inbox_filter", "filter": {...}} | {"kind": "training_examples", ...} | {"kind": "import", ...}
  source jsonb not null default '{}'::jsonb check (jsonb_typeof(source) = 'object'),
  item_count integer not null default 0 check (item_count >= 0),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  published_by uuid references auth.users (id) on delete set null,
  published_at timestamptz,
  unique (org_id, id),
  unique (dataset_id, version),
  foreign key (org_id, dataset_id) references public.datasets (org_id, id) on delete cascade
);
-- One draft per dataset at a time: "the draft" is a fact, not a guess.
create unique index dataset_versions_one_draft on public.dataset_versions (dataset_id) where status = 'draft';

create table public.dataset_items (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  version_id uuid not null,
  position integer not null check (position >= 0),
  query text not null check (char_length(query) between 1 and 20000),
  context text check (char_length(context) <= 50000),
  variables jsonb not null default '{}'::jsonb check (jsonb_typeof(variables) = 'object'),
  expected text check (char_length(expected) <= 50000),
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  unique (org_id, id),
  unique (version_id, position),
  foreign key (org_id, version_id) references public.dataset_versions (org_id, id) on delete cascade
);

-- Evaluators are versioned by row: editing one saves version n+1; a row never changes once written, so
-- an experiment's scores always name the exact configuration that produced them.
create table public.evaluators (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  version integer not null default 1 check (version >= 1),
  kind text not null check (kind in ('llm_judge', 'deterministic')),
  -- shared/src/datasets/evaluators.ts EvaluatorConfig (validated by the worker before use).
  config jsonb not null default '{}'::jsonb check (jsonb_typeof(config) = 'object'),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (org_id, id),
  unique (org_id, name, version)
);

create table public.experiments (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  job_id uuid not null unique,
  name text not null,
  dataset_version_id uuid not null,
  -- [{promptVersionId?, model?, label?}] as in the job config (shared/src/jobs/config.ts ExperimentConfig).
  variants jsonb not null check (jsonb_typeof(variants) = 'array'),
  evaluator_ids uuid[] not null default '{}',
  baseline integer not null default 0 check (baseline >= 0),
  status public.job_status not null default 'pending',
  -- shared/src/datasets/summary.ts ExperimentSummary, written by the worker when it finishes.
  summary jsonb,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (org_id, id),
  foreign key (org_id, job_id) references public.jobs (org_id, id) on delete cascade,
  -- restrict: a version some experiment used is evidence and cannot be deleted.
  foreign key (org_id, dataset_version_id) references public.dataset_versions (org_id, id) on delete restrict
);
create index experiments_org_idx on public.experiments (org_id, created_at desc);
create index experiments_version_idx on public.experiments (dataset_version_id);

create table public.experiment_results (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.organizations (id) on delete cascade,
  experiment_id uuid not null,
  item_id uuid not null,
  variant integer not null check (variant >= 0),
  output text not null default '',
  -- {"<evaluator name>": score in [0,1] (judge: [-1,1] vs the baseline) | null}
  scores jsonb not null default '{}'::jsonb,
  cost_usd numeric(14, 8),
  latency_ms integer,
  input_tokens integer,
  output_tokens integer,
  error text,
  created_at timestamptz not null default now(),
  -- Resume never runs an item twice: one row per (experiment, item, variant).
  unique (experiment_id, item_id, variant),
  foreign key (org_id, experiment_id) references public.experiments (org_id, id) on delete cascade,
  foreign key (org_id, item_id) references public.dataset_items (org_id, id) on delete restrict
);

-- ---- grants ---------------------------------------------------------------------------------------------
grant select, delete on public.datasets to authenticated;
grant insert (id, org_id, name, description, created_by) on public.datasets to authenticated;
grant update (name, description) on public.datasets to authenticated;
grant select, delete on public.dataset_versions to authenticated;
grant select, delete on public.dataset_items to authenticated;
grant insert (id, org_id, version_id, position, query, context, variables, expected, metadata) on public.dataset_items to authenticated;
grant update (query, context, variables, expected, metadata) on public.dataset_items to authenticated;
grant select on public.evaluators to authenticated;
grant insert (id, org_id, name, version, kind, config, created_by) on public.evaluators to authenticated;
grant select on public.experiments, public.experiment_results to authenticated;

-- ---- triggers -------------------------------------------------------------------------------------------
create trigger datasets_touch before update on public.datasets for each row execute function private.touch_updated_at();
create trigger datasets_actor before insert or update on public.datasets for each row execute function private.stamp_actor('created_by');
create trigger evaluators_actor before insert on public.evaluators for each row execute function private.stamp_actor('created_by');

-- Whether a version may no longer change: published, or used by an experiment. Security definer: a
-- curator's trigger must see experiments regardless of what RLS shows them.
create or replace function private.dataset_version_frozen(p_version uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.dataset_versions v where v.id = p_version and v.status = 'published')
      or exists (select 1 from public.experiments e where e.dataset_version_id = p_version)
$$;

create or replace function private.guard_dataset_items() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v uuid := coalesce(new.version_id, old.version_id);
begin
  if tg_op = 'UPDATE' and new.version_id <> old.version_id then
    perform private.raise_http(400, 'invalid_input', 'An item cannot move to another version');
  end if;
  -- A version being deleted takes its items along (the cascade runs after the version row is gone).
  if tg_op = 'DELETE' and not exists (select 1 from public.dataset_versions where id = v) then
    return old;
  end if;
  if private.dataset_version_frozen(v) then
    perform private.raise_http(409, 'version_frozen', 'This dataset version is published or used by an experiment; it cannot change. Start a new draft instead.');
  end if;
  return coalesce(new, old);
end $$;
create trigger dataset_items_guard before insert or update or delete on public.dataset_items
  for each row execute function private.guard_dataset_items();

-- A published version never changes (its count and publication stamp included), and a version an
-- experiment used is never deleted (also the foreign key's restrict).
create or replace function private.guard_dataset_versions() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'UPDATE' then
    if old.status = 'published' then
      perform private.raise_http(409, 'version_frozen', 'A published dataset version cannot change');
    end if;
    if new.dataset_id <> old.dataset_id or new.version <> old.version or new.org_id <> old.org_id then
      perform private.raise_http(400, 'invalid_input', 'A version keeps its dataset and number');
    end if;
    return new;
  end if;
  if exists (select 1 from public.experiments e where e.dataset_version_id = old.id) then
    perform private.raise_http(409, 'version_frozen', 'An experiment used this dataset version; it cannot be deleted');
  end if;
  return old;
end $$;
create trigger dataset_versions_guard before update or delete on public.dataset_versions
  for each row execute function private.guard_dataset_versions();

-- The experiment row of an experiment job, from its config (validated here as far as the database can:
-- the version is published and in the organization, the evaluators are the organization's). The worker
-- validates the rest with the same zod schema.
create or replace function private.experiment_from_job() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  c jsonb := new.config;
  v_version uuid;
  v_evaluators uuid[];
begin
  if new.kind::text <> 'experiment' then
    return new;
  end if;
  begin
    v_version := (c ->> 'datasetVersionId')::uuid;
    v_evaluators := coalesce(array(select jsonb_array_elements_text(coalesce(c -> 'evaluatorIds', '[]'::jsonb))::uuid), '{}');
  exception when others then
    perform private.raise_http(400, 'invalid_input', 'An experiment needs a datasetVersionId and evaluatorIds that are ids');
  end;
  if jsonb_typeof(c -> 'variants') is distinct from 'array' or jsonb_array_length(c -> 'variants') = 0 then
    perform private.raise_http(400, 'invalid_input', 'An experiment needs at least one variant');
  end if;
  if not exists (select 1 from public.dataset_versions v where v.id = v_version and v.org_id = new.org_id) then
    perform private.raise_http(404, 'not_found', 'The dataset version was not found');
  end if;
  if not exists (select 1 from public.dataset_versions v where v.id = v_version and v.status = 'published') then
    perform private.raise_http(409, 'not_published', 'Publish the dataset version before running an experiment on it');
  end if;
  if (select count(*) from public.evaluators e where e.org_id = new.org_id and e.id = any (v_evaluators)) <> cardinality(v_evaluators) then
    perform private.raise_http(404, 'not_found', 'An evaluator was not found');
  end if;
  insert into public.experiments (org_id, job_id, name, dataset_version_id, variants, evaluator_ids, baseline, created_by)
  values (new.org_id, new.id, new.name, v_version, c -> 'variants', v_evaluators, coalesce((c ->> 'baseline')::integer, 0), new.created_by);
  return new;
end $$;
create trigger jobs_experiment after insert on public.jobs
  for each row execute function private.experiment_from_job();

-- The experiment's status is its job's.
create or replace function private.experiment_status_from_job() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.experiments set status = new.status where job_id = new.id and status is distinct from new.status;
  return null;
end $$;
create trigger jobs_experiment_status after update of status on public.jobs
  for each row when (new.status is distinct from old.status) execute function private.experiment_status_from_job();

-- ---- row-level security ---------------------------------------------------------------------------------
alter table public.datasets enable row level security;
alter table public.dataset_versions enable row level security;
alter table public.dataset_items enable row level security;
alter table public.evaluators enable row level security;
alter table public.experiments enable row level security;
alter table public.experiment_results enable row level security;

create policy "Members can read their organization's datasets" on public.datasets
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can create datasets" on public.datasets
  for insert to authenticated with check (org_id in (select private.orgs_where('dataset:edit')));
create policy "Curators and admins can rename datasets" on public.datasets
  for update to authenticated using (org_id in (select private.orgs_where('dataset:edit')))
  with check (org_id in (select private.orgs_where('dataset:edit')));
create policy "Curators and admins can delete datasets" on public.datasets
  for delete to authenticated using (org_id in (select private.orgs_where('dataset:edit')));

create policy "Members can read dataset versions" on public.dataset_versions
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can discard draft versions" on public.dataset_versions
  for delete to authenticated using (org_id in (select private.orgs_where('dataset:edit')) and status = 'draft');

create policy "Members can read dataset items" on public.dataset_items
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can add items to a draft" on public.dataset_items
  for insert to authenticated with check (org_id in (select private.orgs_where('dataset:edit')));
create policy "Curators and admins can edit items of a draft" on public.dataset_items
  for update to authenticated using (org_id in (select private.orgs_where('dataset:edit')))
  with check (org_id in (select private.orgs_where('dataset:edit')));
create policy "Curators and admins can remove items from a draft" on public.dataset_items
  for delete to authenticated using (org_id in (select private.orgs_where('dataset:edit')));

create policy "Members can read evaluators" on public.evaluators
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can save evaluator versions" on public.evaluators
  for insert to authenticated with check (org_id in (select private.orgs_where('dataset:edit')));

create policy "Members can watch their organization's experiments" on public.experiments
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Members can compare experiment results" on public.experiment_results
  for select to authenticated using (org_id in (select private.my_org_ids()));

-- ---- building, publishing, resuming ---------------------------------------------------------------------

-- A new dataset with an empty draft v1 (or, given an existing dataset name, its open draft or a new
-- draft after the latest version). Internal: the public builders below check the caller first.
create or replace function private.dataset_draft(p_org uuid, p_name text, p_source jsonb) returns public.dataset_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  d public.datasets;
  v public.dataset_versions;
begin
  insert into public.datasets (org_id, name, created_by) values (p_org, p_name, (select auth.uid()))
  on conflict (org_id, name) do nothing returning * into d;
  if d.id is null then
    select * into d from public.datasets where org_id = p_org and name = p_name;
  end if;
  select * into v from public.dataset_versions where dataset_id = d.id and status = 'draft';
  if v.id is null then
    insert into public.dataset_versions (org_id, dataset_id, version, source, created_by)
    values (p_org, d.id, coalesce((select max(version) from public.dataset_versions where dataset_id = d.id), 0) + 1, coalesce(p_source, '{}'), (select auth.uid()))
    returning * into v;
  else
    update public.dataset_versions set source = coalesce(p_source, source) where id = v.id returning * into v;
  end if;
  return v;
end $$;

create or replace function private.refresh_item_count(p_version uuid) returns void
language sql volatile security definer set search_path = '' as $$
  update public.dataset_versions set item_count = (select count(*) from public.dataset_items where version_id = p_version)
   where id = p_version and status = 'draft'
$$;

-- Items from the inbox, with the same filter the inbox applies (web/src/features/inbox/filters.ts:
-- rating[], status[], labels[] (any), from/to (ISO instants), model, q). The expected answer is the
-- approved answer of the feedback's case, when there is one.
create or replace function public.build_dataset_from_feedback(p_org_id uuid, p_name text, p_filter jsonb default '{}'::jsonb, p_limit integer default 1000)
returns public.dataset_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  f jsonb := coalesce(private.jsonb_arg(p_filter), '{}'::jsonb);
  v public.dataset_versions;
  v_term text := nullif(trim(regexp_replace(coalesce(f ->> 'q', ''), '[,()*"\\:%]', ' ', 'g')), '');
begin
  perform private.require_capability(p_org_id, 'dataset:edit', 'The organization');
  v := private.dataset_draft(p_org_id, p_name, jsonb_build_object('kind', 'inbox_filter', 'filter', f));
  insert into public.dataset_items (org_id, version_id, position, query, expected, metadata)
  select p_org_id, v.id, coalesce((select max(position) + 1 from public.dataset_items where version_id = v.id), 0) + row_number() over (order by fb.created_at, fb.id) - 1,
         fb.query, te.answer,
         jsonb_build_object('feedbackId', fb.id, 'rating', fb.rating, 'labels', fb.labels, 'model', fb.model, 'response', fb.response)
    from public.feedback fb
    left join public.training_examples te on te.org_id = fb.org_id and te.source_case_id = fb.case_id
   where fb.org_id = p_org_id
     and (jsonb_array_length(coalesce(f -> 'rating', '[]')) = 0 or fb.rating in (select (jsonb_array_elements_text(f -> 'rating'))::smallint))
     and (jsonb_array_length(coalesce(f -> 'status', '[]')) = 0 or fb.status::text in (select jsonb_array_elements_text(f -> 'status')))
     and (jsonb_array_length(coalesce(f -> 'labels', '[]')) = 0 or fb.labels && array(select jsonb_array_elements_text(f -> 'labels')))
     and (f ->> 'from' is null or fb.created_at >= (f ->> 'from')::timestamptz)
     and (f ->> 'to' is null or fb.created_at < (f ->> 'to')::timestamptz)
     and (f ->> 'model' is null or fb.model = f ->> 'model')
     and (v_term is null or fb.query ilike '%' || v_term || '%' or fb.comment ilike '%' || v_term || '%' or fb.response ilike '%' || v_term || '%')
     and not exists (select 1 from public.dataset_items di where di.version_id = v.id and di.metadata ->> 'feedbackId' = fb.id::text)
   order by fb.created_at, fb.id
   limit greatest(1, least(coalesce(p_limit, 1000), 10000));
  perform private.refresh_item_count(v.id);
  select * into v from public.dataset_versions where id = v.id;
  return v;
end $$;

-- Items from approved answers: training examples (optionally by tags), or only those approved from a case.
create or replace function public.build_dataset_from_examples(p_org_id uuid, p_name text, p_tags text[] default '{}', p_only_cases boolean default false, p_limit integer default 1000)
returns public.dataset_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v public.dataset_versions;
begin
  perform private.require_capability(p_org_id, 'dataset:edit', 'The organization');
  v := private.dataset_draft(p_org_id, p_name, jsonb_build_object('kind', case when p_only_cases then 'approved_cases' else 'training_examples' end, 'tags', coalesce(p_tags, '{}')));
  insert into public.dataset_items (org_id, version_id, position, query, expected, metadata)
  select p_org_id, v.id, coalesce((select max(position) + 1 from public.dataset_items where version_id = v.id), 0) + row_number() over (order by te.created_at, te.id) - 1,
         te.query, te.answer, jsonb_build_object('trainingExampleId', te.id, 'caseId', te.source_case_id, 'tags', te.tags)
    from public.training_examples te
   where te.org_id = p_org_id
     and (cardinality(coalesce(p_tags, '{}')) = 0 or te.tags && p_tags)
     and (not p_only_cases or te.source_case_id is not null)
     and not exists (select 1 from public.dataset_items di where di.version_id = v.id and di.metadata ->> 'trainingExampleId' = te.id::text)
   order by te.created_at, te.id
   limit greatest(1, least(coalesce(p_limit, 1000), 10000));
  perform private.refresh_item_count(v.id);
  select * into v from public.dataset_versions where id = v.id;
  return v;
end $$;

-- Items from logged LLM calls. ai_requests keeps no text (only tokens, cost, latency), so the input is
-- the rated query of the same trace (feedback.trace_id); calls no feedback names are left out.
create or replace function public.build_dataset_from_ai_requests(p_org_id uuid, p_name text, p_function_name text default null, p_model text default null, p_limit integer default 1000)
returns public.dataset_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v public.dataset_versions;
begin
  perform private.require_capability(p_org_id, 'dataset:edit', 'The organization');
  v := private.dataset_draft(p_org_id, p_name, jsonb_build_object('kind', 'ai_requests', 'functionName', p_function_name, 'model', p_model));
  insert into public.dataset_items (org_id, version_id, position, query, expected, metadata)
  select p_org_id, v.id, coalesce((select max(position) + 1 from public.dataset_items where version_id = v.id), 0) + row_number() over (order by r.created_at, r.id) - 1,
         fb.query, te.answer,
         jsonb_build_object('aiRequestId', r.id, 'model', r.model, 'functionName', r.function_name, 'latencyMs', r.latency_ms, 'response', fb.response)
    from public.ai_requests r
    join lateral (select * from public.feedback fb where fb.org_id = r.org_id and fb.trace_id = r.trace_id order by fb.created_at limit 1) fb on true
    left join public.training_examples te on te.org_id = fb.org_id and te.source_case_id = fb.case_id
   where r.org_id = p_org_id and r.trace_id is not null and r.status = 'ok'
     and (p_function_name is null or r.function_name = p_function_name)
     and (p_model is null or r.model = p_model)
     and not exists (select 1 from public.dataset_items di where di.version_id = v.id and di.metadata ->> 'aiRequestId' = r.id::text)
   order by r.created_at, r.id
   limit greatest(1, least(coalesce(p_limit, 1000), 10000));
  perform private.refresh_item_count(v.id);
  select * into v from public.dataset_versions where id = v.id;
  return v;
end $$;

-- An import: every item or none (one statement). The client checks each row first
-- (shared/src/datasets/import.ts) and reports bad rows by line and field; this is the database's copy
-- of the essentials, so a hand-made call cannot store half a file either.
create or replace function public.import_dataset_items(p_org_id uuid, p_name text, p_items jsonb, p_source jsonb default '{}'::jsonb)
returns public.dataset_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  items jsonb := private.jsonb_arg(p_items);
  v public.dataset_versions;
  v_bad integer;
begin
  perform private.require_capability(p_org_id, 'dataset:edit', 'The organization');
  if jsonb_typeof(items) is distinct from 'array' or jsonb_array_length(items) = 0 or jsonb_array_length(items) > 10000 then
    perform private.raise_http(400, 'invalid_input', 'An import is a list of 1 to 10,000 items');
  end if;
  select min(o) into v_bad from jsonb_array_elements(items) with ordinality as e(x, o)
   where jsonb_typeof(x) <> 'object' or coalesce(trim(x ->> 'query'), '') = ''
      or (x ? 'variables' and jsonb_typeof(x -> 'variables') <> 'object')
      or (x ? 'metadata' and jsonb_typeof(x -> 'metadata') <> 'object');
  if v_bad is not null then
    perform private.raise_http(400, 'invalid_input', format('Item %s is not valid (it needs a query; variables and metadata are objects); nothing was stored', v_bad));
  end if;
  v := private.dataset_draft(p_org_id, p_name, jsonb_build_object('kind', 'import') || coalesce(private.jsonb_arg(p_source), '{}'::jsonb));
  insert into public.dataset_items (org_id, version_id, position, query, context, variables, expected, metadata)
  select p_org_id, v.id, coalesce((select max(position) + 1 from public.dataset_items where version_id = v.id), 0) + o - 1,
         x ->> 'query', x ->> 'context', coalesce(x -> 'variables', '{}'), x ->> 'expected', coalesce(x -> 'metadata', '{}')
    from jsonb_array_elements(items) with ordinality as e(x, o);
  perform private.refresh_item_count(v.id);
  select * into v from public.dataset_versions where id = v.id;
  return v;
end $$;

create or replace function public.publish_dataset_version(p_version_id uuid) returns public.dataset_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v public.dataset_versions;
begin
  select * into v from public.dataset_versions where id = p_version_id;
  if not found or not (private.is_privileged() or private.is_member(v.org_id)) then
    perform private.raise_http(404, 'not_found', 'The dataset version was not found');
  end if;
  perform private.require_capability(v.org_id, 'dataset:edit', 'The dataset version');
  if v.status = 'published' then
    return v;
  end if;
  update public.dataset_versions
     set status = 'published', published_at = now(), published_by = (select auth.uid()),
         item_count = (select count(*) from public.dataset_items where version_id = p_version_id)
   where id = p_version_id and item_count >= 0 returning * into v;
  if v.item_count = 0 then
    perform private.raise_http(400, 'invalid_input', 'An empty version cannot be published');
  end if;
  perform private.audit(v.org_id, 'dataset.published', 'dataset_version', v.id::text, jsonb_build_object('version', v.version, 'items', v.item_count));
  return v;
end $$;

-- A new draft of a dataset, starting as a copy of its latest version (or the open draft, if any).
create or replace function public.new_dataset_draft(p_dataset_id uuid) returns public.dataset_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  d public.datasets;
  v public.dataset_versions;
  prev uuid;
begin
  select * into d from public.datasets where id = p_dataset_id;
  if not found or not (private.is_privileged() or private.is_member(d.org_id)) then
    perform private.raise_http(404, 'not_found', 'The dataset was not found');
  end if;
  perform private.require_capability(d.org_id, 'dataset:edit', 'The dataset');
  select * into v from public.dataset_versions where dataset_id = d.id and status = 'draft';
  if found then
    return v;
  end if;
  select id into prev from public.dataset_versions where dataset_id = d.id order by version desc limit 1;
  v := private.dataset_draft(d.org_id, d.name, jsonb_build_object('kind', 'copy', 'fromVersionId', prev));
  insert into public.dataset_items (org_id, version_id, position, query, context, variables, expected, metadata)
  select org_id, v.id, position, query, context, variables, expected, metadata from public.dataset_items where version_id = prev;
  perform private.refresh_item_count(v.id);
  select * into v from public.dataset_versions where id = v.id;
  return v;
end $$;

-- Resuming a cancelled or failed experiment: the same job goes back to the queue; the worker skips the
-- (item, variant) pairs already stored, so nothing runs twice and nothing already paid for is lost.
create or replace function public.resume_experiment(p_experiment_id uuid) returns public.job_status
language plpgsql volatile security definer set search_path = '' as $$
declare
  e public.experiments;
  j public.jobs;
begin
  select * into e from public.experiments where id = p_experiment_id;
  if not found or not (private.is_privileged() or private.is_member(e.org_id)) then
    perform private.raise_http(404, 'not_found', 'The experiment was not found');
  end if;
  perform private.require_capability(e.org_id, 'experiment:run', 'The experiment');
  select * into j from public.jobs where id = e.job_id for update;
  if j.status in ('pending', 'running') or j.status = 'completed' then
    return j.status;
  end if;
  update public.jobs set status = 'pending', cancel_requested = false, error = null, finished_at = null where id = j.id;
  insert into public.job_queue (task, payload, job_id, org_id) values ('experiment', jsonb_build_object('jobId', j.id), j.id, j.org_id)
  on conflict (job_id) do update set state = 'queued', run_at = now(), attempts = 0, last_error = null, locked_by = null, locked_until = null, updated_at = now();
  insert into public.job_events (job_id, org_id, step, message) values (j.id, j.org_id, 'resumed', 'Resumed: items already scored are kept');
  perform private.audit(e.org_id, 'experiment.resumed', 'experiment', e.id::text, '{}'::jsonb);
  return 'pending';
end $$;

-- Which fine-tuned models were trained on this version's items: an item overlaps when it came from a
-- training example the model trained on (models.dataset_snapshot.trainIds) or asks the same question
-- (case and spacing aside). Scoring a model on its own training data flatters it; the UI warns.
create or replace function public.dataset_training_overlap(p_version_id uuid)
returns table (model_id uuid, model_name text, served_model text, overlapping integer, items integer)
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
    select m.id, m.name, m.served_model, t.id as example_id, lower(regexp_replace(trim(t.query), '\s+', ' ', 'g')) as q
      from public.models m
      cross join lateral jsonb_array_elements_text(coalesce(m.dataset_snapshot -> 'trainIds', '[]'::jsonb)) as ids(id)
      join public.training_examples t on t.org_id = m.org_id and t.id::text = ids.id
     where m.org_id = v.org_id
  )
  select tr.id, tr.name, tr.served_model, count(distinct i.id)::integer, v.item_count
    from public.dataset_items i
    join trained tr on tr.example_id::text = i.metadata ->> 'trainingExampleId' or tr.q = lower(regexp_replace(trim(i.query), '\s+', ' ', 'g'))
   where i.version_id = p_version_id
   group by tr.id, tr.name, tr.served_model
   order by 4 desc;
end $$;

revoke all on function private.dataset_draft(uuid, text, jsonb), private.refresh_item_count(uuid), private.dataset_version_frozen(uuid),
  private.guard_dataset_items(), private.guard_dataset_versions(), private.experiment_from_job(), private.experiment_status_from_job()
  from public, anon, authenticated;
grant execute on function public.build_dataset_from_feedback(uuid, text, jsonb, integer), public.build_dataset_from_examples(uuid, text, text[], boolean, integer),
  public.build_dataset_from_ai_requests(uuid, text, text, text, integer), public.import_dataset_items(uuid, text, jsonb, jsonb),
  public.publish_dataset_version(uuid), public.new_dataset_draft(uuid), public.resume_experiment(uuid),
  public.dataset_training_overlap(uuid)
  to authenticated, service_role;

-- ---- live tables for postgres_changes -------------------------------------------------------------------
alter table public.experiments replica identity full;
alter publication supabase_realtime add table public.datasets, public.dataset_versions, public.experiments, public.experiment_results;
