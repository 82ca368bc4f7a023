-- Review queues: versioned rubrics (score configs), queues over feedback / inbox filters / ai_requests /
-- cases / A/B outputs, N reviewers per item through expiring slot leases, blind scoring enforced here,
-- and audited adjudication. Agreement statistics are computed from the rows by shared/src/stats (the
-- report reads `scores` under the same policies).

-- ---- capabilities (shared/src/domain/capabilities.ts holds the same rows) -------------------------------
insert into private.role_capabilities (role, capability) values
  ('admin', 'review:score'), ('curator', 'review:score'), ('reviewer', 'review:score'),
  ('admin', 'review:manage'), ('curator', 'review:manage'),
  ('admin', 'review:adjudicate'), ('curator', 'review:adjudicate'),
  ('admin', 'review:report'), ('curator', 'review:report'), ('manager', 'review:report'),
  ('admin', 'review:read_all'), ('manager', 'review:read_all');

-- ---- tables -------------------------------------------------------------------------------------------

-- A rubric, versioned by name: a new version is a new row (version = previous + 1, set by a trigger).
-- Once a queue uses a version it is frozen: its definition never changes under scores already given.
create table public.score_configs (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 80),
  version integer not null check (version >= 1),
  kind text not null check (kind in ('numeric', 'ordinal', 'categorical', 'boolean', 'text', 'preference')),
  description text not null default '' check (char_length(description) <= 2000),
  min_value numeric,
  max_value numeric,
  step numeric check (step is null or step > 0),
  -- ordinal: [{"value": 1, "label": "Poor"}, …] in order
  levels jsonb not null default '[]'::jsonb check (jsonb_typeof(levels) = 'array'),
  -- categorical: the allowed categories; multi: several may be chosen
  categories text[] not null default '{}' check (cardinality(categories) <= 50),
  multi boolean not null default false,
  frozen_at timestamptz,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, id),
  unique (org_id, name, version),
  constraint score_configs_numeric check (kind <> 'numeric' or (min_value is not null and max_value is not null and min_value < max_value)),
  constraint score_configs_ordinal check (kind <> 'ordinal' or jsonb_array_length(levels) between 2 and 20),
  constraint score_configs_categorical check (kind <> 'categorical' or cardinality(categories) >= 2)
);

create table public.review_queues (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 120),
  description text not null default '' check (char_length(description) <= 2000),
  -- Where the items come from; `source` says which: {"feedback_ids": [...]}, an inbox filter
  -- {"status": [...], "rating_max": 2, "labels": [...], "limit": 100}, {"ids": [...]} of ai_requests or
  -- cases (or {"status": "pending"} for cases), {"job_id": ...} of an A/B evaluation (pairwise items).
  source_kind text not null check (source_kind in ('feedback', 'inbox_filter', 'ai_requests', 'cases', 'ab_eval')),
  source jsonb not null default '{}'::jsonb check (jsonb_typeof(source) = 'object'),
  score_config_ids uuid[] not null check (cardinality(score_config_ids) between 1 and 10),
  overlap smallint not null default 2 check (overlap between 1 and 10),
  assignment_mode text not null default 'self_claim' check (assignment_mode in ('self_claim', 'round_robin', 'random_balanced', 'manual')),
  lease_seconds integer not null default 900 check (lease_seconds between 10 and 86400),
  -- Items whose ratings disagree more than this (shared/src/stats itemDisagreement, 0..1) need adjudication.
  disagreement_threshold real not null default 0.34 check (disagreement_threshold between 0 and 1),
  -- round-robin / random-balanced: who takes part (empty: every member who may score)
  assignees uuid[] not null default '{}',
  status text not null default 'open' check (status in ('open', 'closed')),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, id)
);
create index review_queues_org_idx on public.review_queues (org_id, created_at desc);

create table public.review_items (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  queue_id uuid not null,
  position integer not null,
  source_kind text not null,
  source_id text not null,
  feedback_id uuid,
  query text not null default '',
  response text not null default '',
  -- Pairwise items (from an A/B evaluation): A and B side by side, the rubric records a preference.
  output_a text,
  output_b text,
  is_pairwise boolean generated always as (output_a is not null and output_b is not null) stored,
  context jsonb not null default '{}'::jsonb,
  status text not null default 'open' check (status in ('open', 'complete')),
  submitted_count smallint not null default 0,
  created_at timestamptz not null default now(),
  unique (org_id, id),
  unique (queue_id, source_id),
  unique (queue_id, position),
  foreign key (org_id, queue_id) references public.review_queues (org_id, id) on delete cascade,
  foreign key (org_id, feedback_id) references public.feedback (org_id, id) on delete set null (feedback_id)
);
create index review_items_queue_idx on public.review_items (queue_id, status, position);

-- A reviewer's slot on an item: one of the queue's N. Leased slots expire (lease_expires_at); manual
-- assignments ('assigned') and submitted ones do not. The partial unique indexes make "at most N
-- reviewers, each once" a database fact, whatever the claiming code does.
create table public.review_assignments (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  queue_id uuid not null,
  item_id uuid not null,
  reviewer_id uuid not null references auth.users (id) on delete cascade,
  slot smallint not null check (slot between 1 and 10),
  status text not null check (status in ('assigned', 'leased', 'submitted', 'expired', 'released')),
  assigned_by uuid references auth.users (id) on delete set null,
  leased_at timestamptz not null default now(),
  lease_expires_at timestamptz,
  submitted_at timestamptz,
  created_at timestamptz not null default now(),
  unique (org_id, id),
  foreign key (org_id, queue_id) references public.review_queues (org_id, id) on delete cascade,
  foreign key (org_id, item_id) references public.review_items (org_id, id) on delete cascade
);
create unique index review_assignments_slot_uq on public.review_assignments (item_id, slot) where status in ('assigned', 'leased', 'submitted');
create unique index review_assignments_reviewer_uq on public.review_assignments (item_id, reviewer_id) where status in ('assigned', 'leased', 'submitted');
create index review_assignments_queue_idx on public.review_assignments (queue_id, reviewer_id, status);

create table public.scores (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  queue_id uuid not null,
  item_id uuid not null,
  assignment_id uuid not null,
  reviewer_id uuid not null references auth.users (id) on delete cascade,
  score_config_id uuid not null,
  value jsonb not null,
  created_at timestamptz not null default now(),
  unique (item_id, score_config_id, reviewer_id),
  foreign key (org_id, queue_id) references public.review_queues (org_id, id) on delete cascade,
  foreign key (org_id, item_id) references public.review_items (org_id, id) on delete cascade,
  foreign key (org_id, assignment_id) references public.review_assignments (org_id, id) on delete cascade,
  foreign key (org_id, score_config_id) references public.score_configs (org_id, id) on delete restrict
);
create index scores_queue_idx on public.scores (queue_id, score_config_id);

-- A curator's final value for an item and rubric, with the reason; what exports use. Every decision
-- (and every change of one) is in the audit log.
create table public.adjudications (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  queue_id uuid not null,
  item_id uuid not null,
  score_config_id uuid not null,
  value jsonb not null,
  reason text not null check (char_length(reason) between 3 and 2000),
  decided_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (item_id, score_config_id),
  foreign key (org_id, queue_id) references public.review_queues (org_id, id) on delete cascade,
  foreign key (org_id, item_id) references public.review_items (org_id, id) on delete cascade,
  foreign key (org_id, score_config_id) references public.score_configs (org_id, id) on delete restrict
);
create index adjudications_queue_idx on public.adjudications (queue_id);

-- ---- grants (writes other than rubrics and queues go through the functions below) ------------------------
grant select, delete on public.score_configs to authenticated;
grant insert (id, org_id, name, version, kind, description, min_value, max_value, step, levels, categories, multi, created_by) on public.score_configs to authenticated;
grant update (name, description, min_value, max_value, step, levels, categories, multi) on public.score_configs to authenticated;
grant select, delete on public.review_queues to authenticated;
grant insert (id, org_id, name, description, source_kind, source, score_config_ids, overlap, assignment_mode, lease_seconds, disagreement_threshold, assignees, created_by)
  on public.review_queues to authenticated;
grant update (name, description, status, lease_seconds, disagreement_threshold, assignees) on public.review_queues to authenticated;
grant select on public.review_items, public.review_assignments, public.scores, public.adjudications to authenticated;

-- ---- triggers -------------------------------------------------------------------------------------------
create trigger score_configs_touch before update on public.score_configs for each row execute function private.touch_updated_at();
create trigger review_queues_touch before update on public.review_queues for each row execute function private.touch_updated_at();
create trigger adjudications_touch before update on public.adjudications for each row execute function private.touch_updated_at();
create trigger score_configs_created_by before insert or update on public.score_configs for each row execute function private.stamp_actor('created_by');
create trigger review_queues_created_by before insert or update on public.review_queues for each row execute function private.stamp_actor('created_by');

-- A rubric's version: the next one for its name unless given (NOT NULL is checked after this trigger);
-- a frozen version keeps its definition.
-- Not security definer: is_trusted() must see the caller (the version is read under the caller's RLS,
-- which shows every rubric of an organization they may write to).
create or replace function private.guard_score_config() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    if new.version is null then
      perform pg_advisory_xact_lock(hashtextextended(new.org_id::text || '/' || new.name, 0));
      select coalesce(max(c.version), 0) + 1 into new.version from public.score_configs c where c.org_id = new.org_id and c.name = new.name;
    end if;
    new.frozen_at := null;
    return new;
  end if;
  if tg_op = 'DELETE' then
    if old.frozen_at is not null and not private.is_trusted() then
      perform private.raise_http(409, 'rubric_frozen', 'This rubric version is used by a queue; it cannot be deleted');
    end if;
    return old;
  end if;
  if old.frozen_at is not null and (
    new.name, new.kind, new.min_value, new.max_value, new.step, new.levels, new.categories, new.multi, new.description
  ) is distinct from (
    old.name, old.kind, old.min_value, old.max_value, old.step, old.levels, old.categories, old.multi, old.description
  ) then
    perform private.raise_http(409, 'rubric_frozen', 'This rubric version is used by a queue and is frozen; create a new version instead');
  end if;
  return new;
end $$;
create trigger score_configs_guard before insert or update or delete on public.score_configs for each row execute function private.guard_score_config();

-- Whether a value is a valid answer to a rubric.
create or replace function private.score_value_valid(c public.score_configs, v jsonb) returns boolean
language plpgsql immutable set search_path = '' as $$
declare
  n numeric;
begin
  if v is null then
    return false;
  end if;
  case c.kind
    when 'numeric' then
      if jsonb_typeof(v) <> 'number' then return false; end if;
      n := (v #>> '{}')::numeric;
      return n between c.min_value and c.max_value and (c.step is null or mod(n - c.min_value, c.step) = 0);
    when 'ordinal' then
      return jsonb_typeof(v) = 'number' and exists (select 1 from jsonb_array_elements(c.levels) l where l -> 'value' = v);
    when 'categorical' then
      if c.multi then
        return jsonb_typeof(v) = 'array' and jsonb_array_length(v) between 1 and cardinality(c.categories)
          and not exists (select 1 from jsonb_array_elements(v) e where jsonb_typeof(e) <> 'string' or not ((e #>> '{}') = any (c.categories)))
          and (select count(distinct e) from jsonb_array_elements(v) e) = jsonb_array_length(v);
      end if;
      return jsonb_typeof(v) = 'string' and (v #>> '{}') = any (c.categories);
    when 'boolean' then
      return jsonb_typeof(v) = 'boolean';
    when 'preference' then
      return jsonb_typeof(v) = 'string' and (v #>> '{}') in ('A', 'B', 'tie');
    when 'text' then
      return jsonb_typeof(v) = 'string' and char_length(v #>> '{}') between 1 and 5000;
  end case;
  return false;
end $$;

-- A new queue: its rubrics must be the organization's (and get frozen); its items are materialized
-- from the source, read inside the queue's organization only.
create or replace function private.on_review_queue_created() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  s jsonb := new.source;
  lim integer := least(coalesce((s ->> 'limit')::integer, 500), 5000);
begin
  if (select count(*) from public.score_configs c where c.org_id = new.org_id and c.id = any (new.score_config_ids)) <> cardinality(new.score_config_ids) then
    perform private.raise_http(400, 'invalid_rubric', 'Every rubric of a queue must be one of this organization''s score configs');
  end if;
  update public.score_configs set frozen_at = now() where org_id = new.org_id and id = any (new.score_config_ids) and frozen_at is null;

  if new.source_kind = 'feedback' then
    insert into public.review_items (org_id, queue_id, position, source_kind, source_id, feedback_id, query, response, context)
    select new.org_id, new.id, row_number() over (order by f.created_at, f.id), 'feedback', f.id::text, f.id, f.query, f.response,
      jsonb_build_object('rating', f.rating, 'comment', f.comment, 'labels', f.labels)
    from public.feedback f
    where f.org_id = new.org_id and f.id::text in (select jsonb_array_elements_text(coalesce(s -> 'feedback_ids', '[]'::jsonb)))
    limit lim;
  elsif new.source_kind = 'inbox_filter' then
    insert into public.review_items (org_id, queue_id, position, source_kind, source_id, feedback_id, query, response, context)
    select new.org_id, new.id, row_number() over (order by f.created_at desc, f.id), 'feedback', f.id::text, f.id, f.query, f.response,
      jsonb_build_object('rating', f.rating, 'comment', f.comment, 'labels', f.labels)
    from (
      select * from public.feedback f
      where f.org_id = new.org_id
        and (s -> 'status' is null or f.status in (select jsonb_array_elements_text(s -> 'status')))
        and (s -> 'rating_max' is null or f.rating <= (s ->> 'rating_max')::integer)
        and (s -> 'labels' is null or f.labels && array(select jsonb_array_elements_text(s -> 'labels')))
      order by f.created_at desc, f.id limit lim
    ) f;
  elsif new.source_kind = 'ai_requests' then
    insert into public.review_items (org_id, queue_id, position, source_kind, source_id, query, response, context)
    select new.org_id, new.id, row_number() over (order by r.created_at, r.id), 'ai_requests', r.id::text,
      r.function_name, coalesce(r.error, ''), jsonb_build_object('model', r.model, 'status', r.status, 'latency_ms', r.latency_ms)
    from public.ai_requests r
    where r.org_id = new.org_id and (s -> 'ids' is null or r.id::text in (select jsonb_array_elements_text(s -> 'ids')))
    order by r.created_at desc limit lim;
  elsif new.source_kind = 'cases' then
    insert into public.review_items (org_id, queue_id, position, source_kind, source_id, feedback_id, query, response, context)
    select new.org_id, new.id, row_number() over (order by c.created_at, c.id), 'cases', c.id::text, c.feedback_id, c.query, c.suggested_response,
      jsonb_build_object('bad_response', c.bad_response, 'status', c.status)
    from public.improvement_cases c
    where c.org_id = new.org_id
      and (s -> 'ids' is null or c.id::text in (select jsonb_array_elements_text(s -> 'ids')))
      and (s -> 'status' is null or c.status = s ->> 'status')
    limit lim;
  elsif new.source_kind = 'ab_eval' then
    insert into public.review_items (org_id, queue_id, position, source_kind, source_id, query, output_a, output_b, context)
    select new.org_id, new.id, row_number() over (order by e.item_index), 'ab_eval', e.id::text, e.query, e.output_a, e.output_b,
      jsonb_build_object('job_id', e.job_id, 'item_index', e.item_index, 'reference', e.reference)
    from public.eval_results e
    where e.org_id = new.org_id and e.job_id::text = s ->> 'job_id'
    limit lim;
  end if;
  return new;
end $$;
create trigger review_queues_created after insert on public.review_queues for each row execute function private.on_review_queue_created();

create or replace function private.guard_review_queue() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'UPDATE' and new.score_config_ids is distinct from old.score_config_ids and not private.is_trusted() then
    perform private.raise_http(409, 'rubric_fixed', 'A queue''s rubrics are fixed once it is created');
  end if;
  return new;
end $$;
create trigger review_queues_guard before update on public.review_queues for each row execute function private.guard_review_queue();

-- ---- blind mode -------------------------------------------------------------------------------------------

-- Whether the caller may read others' scores (and the adjudication) of an item: after submitting their
-- own, or, for adjudicators, once the item has all its ratings (nobody is still scoring it blind).
-- Those who may read everything (review:read_all) are let through by the policy before this is asked.
create or replace function private.review_item_unblinded(p_item uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.review_assignments a
    where a.item_id = p_item and a.reviewer_id = (select auth.uid()) and a.status = 'submitted'
  ) or exists (
    select 1 from public.review_items i
    where i.id = p_item and i.status = 'complete' and private.can(i.org_id, 'review:adjudicate')
  )
$$;
grant execute on function private.review_item_unblinded(uuid) to authenticated, service_role;

-- ---- row-level security ----------------------------------------------------------------------------------
alter table public.score_configs enable row level security;
alter table public.review_queues enable row level security;
alter table public.review_items enable row level security;
alter table public.review_assignments enable row level security;
alter table public.scores enable row level security;
alter table public.adjudications enable row level security;

create policy "Members can read their organization's rubrics" on public.score_configs
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can create rubrics" on public.score_configs
  for insert to authenticated with check (org_id in (select private.orgs_where('review:manage')));
create policy "Curators and admins can edit rubrics that are not frozen" on public.score_configs
  for update to authenticated using (org_id in (select private.orgs_where('review:manage')))
  with check (org_id in (select private.orgs_where('review:manage')));
create policy "Curators and admins can delete rubrics that are not frozen" on public.score_configs
  for delete to authenticated using (org_id in (select private.orgs_where('review:manage')));

create policy "Members can read their organization's review queues" on public.review_queues
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can create review queues" on public.review_queues
  for insert to authenticated with check (org_id in (select private.orgs_where('review:manage')));
create policy "Curators and admins can change review queues" on public.review_queues
  for update to authenticated using (org_id in (select private.orgs_where('review:manage')))
  with check (org_id in (select private.orgs_where('review:manage')));
create policy "Curators and admins can delete review queues" on public.review_queues
  for delete to authenticated using (org_id in (select private.orgs_where('review:manage')));

create policy "Members can read their organization's review items" on public.review_items
  for select to authenticated using (org_id in (select private.my_org_ids()));
-- Who holds which slot is not a score: everyone sees it (progress, presence of claims).
create policy "Members can read who holds which review slot" on public.review_assignments
  for select to authenticated using (org_id in (select private.my_org_ids()));

create policy "Reviewers read their own scores, others' only after submitting theirs; managers and admins read all" on public.scores
  for select to authenticated using (
    org_id in (select private.orgs_where('review:read_all'))
    or (reviewer_id = (select auth.uid()) and org_id in (select private.my_org_ids()))
    or (org_id in (select private.my_org_ids()) and private.review_item_unblinded(item_id))
  );
create policy "Adjudications are read under the same blind rule as scores" on public.adjudications
  for select to authenticated using (
    org_id in (select private.orgs_where('review:read_all'))
    or (org_id in (select private.my_org_ids()) and private.review_item_unblinded(item_id))
  );

-- ---- functions ------------------------------------------------------------------------------------------

-- The queue, if the caller may see it (404 otherwise, as for one that does not exist).
create or replace function private.review_queue_for(p_queue uuid) returns public.review_queues
language plpgsql stable security definer set search_path = '' as $$
declare
  q public.review_queues;
begin
  select * into q from public.review_queues where id = p_queue;
  if not found or not (private.is_privileged() or private.is_member(q.org_id)) then
    perform private.raise_http(404, 'not_found', 'The review queue was not found');
  end if;
  return q;
end $$;

create or replace function private.review_active_slots(p_item uuid) returns integer
language sql stable set search_path = '' as $$
  select count(*)::integer from public.review_assignments a
  where a.item_id = p_item
    and (a.status in ('assigned', 'submitted') or (a.status = 'leased' and a.lease_expires_at > now()))
$$;

-- The caller's next item in a queue, with a slot lease: the one they already hold if any, else the next
-- open item they have not scored and that has a free slot, in the queue's assignment order. Race-safe:
-- the item row is locked before its slots are counted, so two reviewers claiming together get distinct
-- slots, and never more than `overlap` are taken (the partial unique indexes back this up).
create or replace function public.claim_next_review_item(p_queue uuid) returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  q public.review_queues;
  me uuid := (select auth.uid());
  a public.review_assignments;
  v_item uuid;
  v_slot integer;
  people uuid[];
  my_index integer;
  tries integer := 0;
begin
  q := private.review_queue_for(p_queue);
  perform private.require_capability(q.org_id, 'review:score', 'The review queue');
  if me is null then
    perform private.raise_http(401, 'unauthorized', 'Sign in to score');
  end if;
  if q.status <> 'open' then
    perform private.raise_http(409, 'queue_closed', 'This queue is closed');
  end if;
  update public.review_assignments set status = 'expired'
  where queue_id = q.id and reviewer_id = me and status = 'leased' and lease_expires_at <= now();

  select * into a from public.review_assignments
  where queue_id = q.id and reviewer_id = me and status in ('assigned', 'leased') order by leased_at limit 1;
  if found then
    if a.status = 'leased' then
      update public.review_assignments set lease_expires_at = now() + make_interval(secs => q.lease_seconds) where id = a.id returning * into a;
    end if;
    return jsonb_build_object('assignment', to_jsonb(a), 'item', (select to_jsonb(i) from public.review_items i where i.id = a.item_id));
  end if;
  if q.assignment_mode = 'manual' then
    return null;
  end if;

  if q.assignment_mode = 'round_robin' then
    people := case when cardinality(q.assignees) > 0 then q.assignees else array(
      select m.user_id from public.memberships m where m.org_id = q.org_id and private.role_can(m.role, 'review:score') order by m.user_id) end;
    my_index := array_position(people, me);
    if my_index is null then
      perform private.raise_http(403, 'forbidden', 'You are not one of this queue''s reviewers');
    end if;
  elsif cardinality(q.assignees) > 0 and not (me = any (q.assignees)) then
    perform private.raise_http(403, 'forbidden', 'You are not one of this queue''s reviewers');
  end if;

  loop
    tries := tries + 1;
    select i.id into v_item from public.review_items i
    where i.queue_id = q.id and i.status = 'open'
      and not exists (select 1 from public.review_assignments x where x.item_id = i.id and x.reviewer_id = me and x.status in ('assigned', 'leased', 'submitted'))
      and private.review_active_slots(i.id) < q.overlap
    order by
      case when q.assignment_mode = 'round_robin'
        then (((i.position - my_index) % cardinality(people)) + cardinality(people)) % cardinality(people) >= q.overlap end,
      case when q.assignment_mode = 'random_balanced' then private.review_active_slots(i.id) end,
      case when q.assignment_mode = 'random_balanced' then md5(i.id::text || me::text) end,
      i.position
    limit 1;
    if not found then
      return null;
    end if;
    perform 1 from public.review_items where id = v_item for update;
    update public.review_assignments set status = 'expired' where item_id = v_item and status = 'leased' and lease_expires_at <= now();
    if private.review_active_slots(v_item) < q.overlap
      and not exists (select 1 from public.review_assignments x where x.item_id = v_item and x.reviewer_id = me and x.status in ('assigned', 'leased', 'submitted')) then
      select min(s) into v_slot from generate_series(1, q.overlap) s
      where s not in (select x.slot from public.review_assignments x where x.item_id = v_item and x.status in ('assigned', 'leased', 'submitted'));
      insert into public.review_assignments (org_id, queue_id, item_id, reviewer_id, slot, status, assigned_by, lease_expires_at)
      values (q.org_id, q.id, v_item, me, v_slot, 'leased', me, now() + make_interval(secs => q.lease_seconds))
      returning * into a;
      return jsonb_build_object('assignment', to_jsonb(a), 'item', (select to_jsonb(i) from public.review_items i where i.id = v_item));
    end if;
    if tries >= 50 then
      return null;
    end if;
  end loop;
end $$;

-- Gives up the caller's lease on an item (the slot goes back to the queue).
create or replace function public.release_review_item(p_item uuid) returns void
language plpgsql volatile security definer set search_path = '' as $$
begin
  update public.review_assignments set status = 'released'
  where item_id = p_item and reviewer_id = (select auth.uid()) and status in ('leased', 'assigned');
end $$;

-- Manual assignment: a curator or admin gives a slot on an item to a member who may score.
create or replace function public.assign_review_item(p_item uuid, p_reviewer uuid) returns public.review_assignments
language plpgsql volatile security definer set search_path = '' as $$
declare
  i public.review_items;
  q public.review_queues;
  a public.review_assignments;
  v_slot integer;
begin
  select * into i from public.review_items where id = p_item;
  if not found or not (private.is_privileged() or private.is_member(i.org_id)) then
    perform private.raise_http(404, 'not_found', 'The review item was not found');
  end if;
  perform private.require_capability(i.org_id, 'review:manage', 'The review item');
  if not exists (select 1 from public.memberships m where m.org_id = i.org_id and m.user_id = p_reviewer and private.role_can(m.role, 'review:score')) then
    perform private.raise_http(400, 'invalid_reviewer', 'That person cannot score in this organization');
  end if;
  select * into q from public.review_queues where id = i.queue_id;
  perform 1 from public.review_items where id = p_item for update;
  update public.review_assignments set status = 'expired' where item_id = p_item and status = 'leased' and lease_expires_at <= now();
  select * into a from public.review_assignments where item_id = p_item and reviewer_id = p_reviewer and status in ('assigned', 'leased', 'submitted');
  if found then
    return a;
  end if;
  select min(s) into v_slot from generate_series(1, q.overlap) s
  where s not in (select x.slot from public.review_assignments x where x.item_id = p_item and x.status in ('assigned', 'leased', 'submitted'));
  if v_slot is null then
    perform private.raise_http(409, 'item_full', format('This item already has its %s reviewers', q.overlap));
  end if;
  insert into public.review_assignments (org_id, queue_id, item_id, reviewer_id, slot, status, assigned_by)
  values (i.org_id, i.queue_id, i.id, p_reviewer, v_slot, 'assigned', (select auth.uid()))
  returning * into a;
  return a;
end $$;

-- Submits the caller's scores for an item they hold a slot on: one value per rubric of the queue
-- ({"<score_config_id>": value}); free-text rubrics may be left out. Scores are final once submitted.
create or replace function public.submit_scores(p_item uuid, p_scores jsonb) returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  i public.review_items;
  q public.review_queues;
  a public.review_assignments;
  c public.score_configs;
  me uuid := (select auth.uid());
  v jsonb;
  k text;
  n integer := 0;
begin
  select * into i from public.review_items where id = p_item;
  if not found or not (private.is_privileged() or private.is_member(i.org_id)) then
    perform private.raise_http(404, 'not_found', 'The review item was not found');
  end if;
  perform private.require_capability(i.org_id, 'review:score', 'The review item');
  select * into i from public.review_items where id = p_item for update;
  select * into q from public.review_queues where id = i.queue_id;
  select * into a from public.review_assignments
  where item_id = p_item and reviewer_id = me and status in ('assigned', 'leased', 'submitted') limit 1;
  if not found then
    perform private.raise_http(409, 'no_slot', 'You hold no slot on this item (your reservation may have expired and gone to someone else); claim it again');
  end if;
  if a.status = 'submitted' then
    perform private.raise_http(409, 'already_submitted', 'You already scored this item');
  end if;
  p_scores := private.jsonb_arg(p_scores);
  if p_scores is null or jsonb_typeof(p_scores) <> 'object' then
    perform private.raise_http(400, 'invalid_input', 'scores must be an object of rubric id → value');
  end if;
  for k in select jsonb_object_keys(p_scores) loop
    if not (k ~* '^[0-9a-f-]{36}$' and k::uuid = any (q.score_config_ids)) then
      perform private.raise_http(400, 'invalid_input', format('%s is not a rubric of this queue', k));
    end if;
  end loop;
  for c in select * from public.score_configs where id = any (q.score_config_ids) order by array_position(q.score_config_ids, id) loop
    v := p_scores -> c.id::text;
    if (v is null or v = 'null'::jsonb) and c.kind = 'text' then
      continue;
    end if;
    if not private.score_value_valid(c, v) then
      perform private.raise_http(400, 'invalid_score', format('"%s" needs a valid %s value', c.name, c.kind));
    end if;
    insert into public.scores (org_id, queue_id, item_id, assignment_id, reviewer_id, score_config_id, value)
    values (i.org_id, i.queue_id, i.id, a.id, me, c.id, v);
    n := n + 1;
  end loop;
  update public.review_assignments set status = 'submitted', submitted_at = now(), lease_expires_at = null where id = a.id;
  update public.review_items set submitted_count = submitted_count + 1,
    status = case when submitted_count + 1 >= q.overlap then 'complete' else 'open' end
  where id = i.id returning * into i;
  return jsonb_build_object('item_id', i.id, 'scores', n, 'item_status', i.status, 'submitted_count', i.submitted_count);
end $$;

-- A curator's final value for an item and rubric, with a reason; audited (a changed decision too).
create or replace function public.adjudicate(p_item uuid, p_score_config uuid, p_value jsonb, p_reason text) returns public.adjudications
language plpgsql volatile security definer set search_path = '' as $$
declare
  i public.review_items;
  q public.review_queues;
  c public.score_configs;
  prev public.adjudications;
  result public.adjudications;
begin
  select * into i from public.review_items where id = p_item;
  if not found or not (private.is_privileged() or private.is_member(i.org_id)) then
    perform private.raise_http(404, 'not_found', 'The review item was not found');
  end if;
  perform private.require_capability(i.org_id, 'review:adjudicate', 'The review item');
  select * into q from public.review_queues where id = i.queue_id;
  if not (p_score_config = any (q.score_config_ids)) then
    perform private.raise_http(400, 'invalid_input', 'That rubric is not one of this queue''s');
  end if;
  select * into c from public.score_configs where id = p_score_config;
  p_value := private.jsonb_arg(p_value);
  if not private.score_value_valid(c, p_value) then
    perform private.raise_http(400, 'invalid_score', format('"%s" needs a valid %s value', c.name, c.kind));
  end if;
  if char_length(btrim(coalesce(p_reason, ''))) < 3 then
    perform private.raise_http(400, 'reason_required', 'Say why, in a few words');
  end if;
  select * into prev from public.adjudications where item_id = p_item and score_config_id = p_score_config for update;
  insert into public.adjudications (org_id, queue_id, item_id, score_config_id, value, reason, decided_by)
  values (i.org_id, i.queue_id, i.id, c.id, p_value, btrim(p_reason), (select auth.uid()))
  on conflict (item_id, score_config_id) do update set value = excluded.value, reason = excluded.reason, decided_by = excluded.decided_by
  returning * into result;
  perform private.audit(i.org_id, 'review.adjudicated', 'review_item', i.id::text, jsonb_build_object(
    'queue_id', q.id, 'score_config_id', c.id, 'value', p_value, 'previous', prev.value, 'reason', btrim(p_reason),
    'ratings', (select coalesce(jsonb_agg(jsonb_build_object('reviewer_id', s.reviewer_id, 'value', s.value) order by s.created_at), '[]'::jsonb)
                from public.scores s where s.item_id = i.id and s.score_config_id = c.id)));
  return result;
end $$;

-- Reviewer throughput for the managers' board: items scored per day per reviewer across the
-- organization's queues (from the slots, not the scores: no value is revealed). Runs as the caller, so
-- RLS scopes it; it refuses callers without review:report rather than answering with nothing.
create or replace function public.review_throughput(p_org uuid, p_days integer default 14)
returns table (day date, reviewer_id uuid, items integer)
language plpgsql stable set search_path = '' as $$
begin
  perform private.require_capability(p_org, 'review:report', 'The organization');
  return query
    select (a.submitted_at at time zone 'UTC')::date, a.reviewer_id, count(*)::integer
    from public.review_assignments a
    where a.org_id = p_org and a.status = 'submitted'
      and a.submitted_at >= now() - make_interval(days => least(greatest(p_days, 1), 366))
    group by 1, 2
    order by 1, 2;
end $$;
create index review_assignments_submitted_idx on public.review_assignments (org_id, submitted_at) where status = 'submitted';

grant execute on function public.review_throughput(uuid, integer) to authenticated, service_role;
grant execute on function public.claim_next_review_item(uuid), public.release_review_item(uuid), public.assign_review_item(uuid, uuid),
  public.submit_scores(uuid, jsonb), public.adjudicate(uuid, uuid, jsonb, text) to authenticated, service_role;

-- ---- live tables ------------------------------------------------------------------------------------------
alter table public.review_assignments replica identity full;
alter table public.review_items replica identity full;
alter publication supabase_realtime add table public.review_queues, public.review_items, public.review_assignments, public.adjudications;
