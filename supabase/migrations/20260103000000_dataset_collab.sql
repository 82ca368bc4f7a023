-- Dataset drafts co-edited live (issue 20: "a draft can be co-edited live like a prompt candidate.
-- Publishing freezes a version").
--
-- The document `dataset:<version id>` holds the texts of a draft's items, one top-level Y.Text per item
-- and field, named `item:<item id>:<field>` (field: query, context, expected; shared/src/yjs/dataset.ts).
-- Top-level types rather than a map of items: two editors who start the same field at once create the
-- same type (a top-level type is its name), where two nested Y.Texts under one map key would race and
-- one editor's text would be dropped. Which items a version has, their order, variables, metadata and
-- split stay in dataset_items (added and removed as before).
--
-- One source of truth per field: a field's text lives in the document once the document holds that
-- field, and dataset_items is then its copy, written by the worker's document upkeep
-- (private.store_dataset_doc, as the case answer's copy is). A field nobody has opened yet lives in its
-- row; the editor who opens it first seeds the field from the row with a deterministic Yjs client id
-- (web/src/features/collab/seed.ts), so two editors seeding at once write the text once. Once a version's
-- document has been written, people no longer update the texts of its rows directly (a trigger refuses:
-- there would be two writers of one text).
--
-- Publishing must freeze exactly what the editors saw. The database has no Yjs, so it cannot read the
-- document itself; instead every append to a draft's document counts (dataset_versions.doc_seq, in the
-- append's transaction), the upkeep records the count its copy was read at (doc_stored_seq), and
-- publish_dataset_version refuses with 409 `edits_pending` while the copy is behind the log (the UI stores
-- its own edits first, then retries until the worker has caught up: at most the upkeep delay). An append
-- that races with the publication waits for the version's row lock and is then refused (the version is
-- no longer a draft), so nothing is appended to a document after its copy was frozen.

-- ---- the draft's co-editing state -------------------------------------------------------------------

alter table public.dataset_versions
  -- Appends to the version's document so far (counted in each append's transaction).
  add column doc_seq bigint not null default 0 check (doc_seq >= 0),
  -- The doc_seq the rows' copy was read at (the worker's upkeep).
  add column doc_stored_seq bigint not null default 0 check (doc_stored_seq >= 0),
  -- Why the document's texts cannot all be copied into rows (an emptied input, a text over its limit):
  -- the rows keep the previous text and publishing is refused until the editors fix them.
  add column doc_problems text[] not null default '{}';

-- ---- which organization a topic or document belongs to, and who may write into it ---------------------
-- (the realtime_documents migration's functions, with the dataset kind added)

create or replace function private.topic_org(p_topic text) returns uuid
language plpgsql stable security definer set search_path = '' as $$
declare
  kind text := split_part(p_topic, ':', 1);
  ident text := split_part(p_topic, ':', 2);
  v_id uuid;
begin
  if ident !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' or split_part(p_topic, ':', 3) <> '' then
    return null;
  end if;
  v_id := ident::uuid;
  return case kind
    when 'org' then v_id
    when 'case' then (select c.org_id from public.improvement_cases c where c.id = v_id)
    when 'job' then (select j.org_id from public.jobs j where j.id = v_id)
    when 'prompt' then (select v.org_id from public.prompt_versions v where v.id = v_id)
    when 'dataset' then (select v.org_id from public.dataset_versions v where v.id = v_id)
    else null
  end;
end $$;

-- Who may write into a topic: everyone who may read it except managers, who only watch; on a prompt
-- candidate only those who edit prompts, on a dataset draft only those who edit datasets.
create or replace function private.can_send_to_topic(p_topic text) returns boolean
language sql stable security definer set search_path = '' as $$
  select case split_part(p_topic, ':', 1)
    when 'prompt' then private.can(private.topic_org(p_topic), 'prompt:edit')
    when 'dataset' then private.can(private.topic_org(p_topic), 'dataset:edit')
    else private.can(private.topic_org(p_topic), 'presence:publish')
  end
$$;

-- Write (append, send on its channel): those who edit answers, prompts or datasets, and only while the
-- case is pending, the prompt version a draft or candidate, the dataset version a draft no experiment
-- used. Reviewers and managers watch.
create or replace function public.doc_may_write(p_doc_id text) returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  org uuid := private.topic_org(p_doc_id);
  ident uuid;
begin
  if private.is_privileged() then
    return org is not null;
  end if;
  if org is null then
    return false;
  end if;
  ident := split_part(p_doc_id, ':', 2)::uuid;
  return case split_part(p_doc_id, ':', 1)
    when 'case' then private.can(org, 'case:edit')
                     and exists (select 1 from public.improvement_cases c where c.id = ident and c.status = 'pending')
    when 'prompt' then private.can(org, 'prompt:edit')
                     and exists (select 1 from public.prompt_versions v where v.id = ident and v.status in ('draft', 'candidate'))
    when 'dataset' then private.can(org, 'dataset:edit')
                     and exists (select 1 from public.dataset_versions v where v.id = ident and v.status = 'draft')
                     and not private.dataset_version_frozen(ident)
    else false
  end;
end $$;

-- ---- every append to a draft's document counts -----------------------------------------------------
-- After the append's insert, in its transaction. Updating the version's row takes its lock: an append
-- racing with publish_dataset_version waits for it and then finds a published version (the update's
-- `status = 'draft'` no longer matches) and fails, so its update is not stored. Whoever appends
-- (doc_append_update for people, the service role, the seed) is counted alike.
create or replace function private.count_dataset_doc_appends() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  r record;
begin
  -- In a fixed order, so two statements appending to the same versions lock them alike.
  -- (A name that is not dataset:<version id> belongs to no version: private.topic_org's rule.)
  for r in
    select split_part(a.doc_id, ':', 2)::uuid as version_id, count(*) as n
      from added a
     where split_part(a.doc_id, ':', 1) = 'dataset' and split_part(a.doc_id, ':', 3) = ''
       and split_part(a.doc_id, ':', 2) ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     group by 1 order by 1
  loop
    update public.dataset_versions set doc_seq = doc_seq + r.n where id = r.version_id and status = 'draft';
    if not found and exists (select 1 from public.dataset_versions v where v.id = r.version_id) then
      perform private.raise_http(409, 'version_frozen', 'This dataset version is published; its items can no longer change. Start a new draft instead.');
    end if;
  end loop;
  return null;
end $$;
create trigger doc_updates_dataset_seq after insert on public.doc_updates
  referencing new table as added for each statement execute function private.count_dataset_doc_appends();

-- Whether the version's document has been written (its texts then live there).
create or replace function private.dataset_doc_started(p_version uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce((select v.doc_seq > 0 from public.dataset_versions v where v.id = p_version), false)
$$;

-- One writer per text: once the draft is co-edited, its items' texts change through the document (and
-- the worker's copy), not through a row update that the next copy would overwrite. Items are still
-- added, removed and split through rows. Not security definer: it must see the caller's current_user
-- (private.is_trusted lets the worker and our own functions through).
create or replace function private.guard_co_edited_items() returns trigger
language plpgsql set search_path = '' as $$
begin
  if (new.query, new.context, new.expected) is distinct from (old.query, old.context, old.expected)
     and not private.is_trusted() and private.dataset_doc_started(new.version_id) then
    perform private.raise_http(409, 'co_edited', 'This draft is being co-edited: change its items'' texts in the shared editor');
  end if;
  return new;
end $$;
create trigger dataset_items_co_edited before update on public.dataset_items
  for each row execute function private.guard_co_edited_items();

-- ---- the worker's copy of the document's texts -------------------------------------------------------
-- p_fields: [{"item": <item id>, "field": "query" | "context" | "expected", "text": "…"}], every field
-- the document holds, as the worker read it after reading doc_seq = p_seq. Writes each text into its
-- row (an empty context or expected answer is null), for items of this version only: a field named after
-- another version's item is ignored. A text the row cannot hold (an emptied input, one over its limit)
-- is not copied and is reported in doc_problems instead, which holds publishing back. Returns whether a
-- row changed. Under the version's row lock, so a publication sees either the copy before or after it.
create or replace function private.store_dataset_doc(p_doc_id text, p_fields jsonb, p_seq bigint) returns boolean
language plpgsql volatile security definer set search_path = '' as $$
declare
  ident text := split_part(p_doc_id, ':', 2);
  v public.dataset_versions;
  v_fields jsonb;
  v_changed integer;
  v_problems text[];
begin
  if split_part(p_doc_id, ':', 1) <> 'dataset' or split_part(p_doc_id, ':', 3) <> ''
     or ident !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  select * into v from public.dataset_versions where id = ident::uuid for update;
  -- A published version keeps the texts it was published with.
  if not found or v.status <> 'draft' then
    return false;
  end if;
  -- The fields of this version's items, one per (item, field).
  select coalesce(jsonb_agg(jsonb_build_object('item', i.id, 'position', i.position, 'field', e.field, 'text', e.txt)), '[]'::jsonb)
    into v_fields
    from (
      select distinct on (x ->> 'item', x ->> 'field') (x ->> 'item')::uuid as item, x ->> 'field' as field, coalesce(x ->> 'text', '') as txt
        from jsonb_array_elements(case when jsonb_typeof(p_fields) = 'array' then p_fields else '[]'::jsonb end) x
       where jsonb_typeof(x) = 'object'
         and x ->> 'item' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
         and x ->> 'field' in ('query', 'context', 'expected')
       order by x ->> 'item', x ->> 'field'
    ) e
    join public.dataset_items i on i.id = e.item and i.version_id = v.id;
  with f as (
    select * from jsonb_to_recordset(v_fields) as f(item uuid, position integer, field text, text text)
  ), per_item as (
    select f.item,
           bool_or(f.field = 'query') as has_query, max(f.text) filter (where f.field = 'query') as query,
           bool_or(f.field = 'context') as has_context, max(f.text) filter (where f.field = 'context') as context,
           bool_or(f.field = 'expected') as has_expected, max(f.text) filter (where f.field = 'expected') as expected
      from f group by f.item
  ), next as (
    select i.id,
           case when p.has_query and btrim(p.query) <> '' and char_length(p.query) <= 20000 then p.query else i.query end as query,
           case when p.has_context and char_length(p.context) <= 50000 then nullif(p.context, '') else i.context end as context,
           case when p.has_expected and char_length(p.expected) <= 50000 then nullif(p.expected, '') else i.expected end as expected
      from per_item p join public.dataset_items i on i.id = p.item
  )
  update public.dataset_items i set query = n.query, context = n.context, expected = n.expected
    from next n
   where i.id = n.id and (i.query, i.context, i.expected) is distinct from (n.query, n.context, n.expected);
  get diagnostics v_changed = row_count;
  select coalesce(array_agg(x.msg order by x.position, x.msg), '{}') into v_problems from (
    select f.position,
           case
             when f.field = 'query' and btrim(f.text) = '' then format('item %s has an empty input', f.position + 1)
             when f.field = 'query' then format('the input of item %s is longer than 20,000 characters', f.position + 1)
             when f.field = 'context' then format('the context of item %s is longer than 50,000 characters', f.position + 1)
             else format('the expected answer of item %s is longer than 50,000 characters', f.position + 1)
           end as msg
      from jsonb_to_recordset(v_fields) as f(item uuid, position integer, field text, text text)
     where (f.field = 'query' and (btrim(f.text) = '' or char_length(f.text) > 20000))
        or (f.field in ('context', 'expected') and char_length(f.text) > 50000)
  ) x;
  update public.dataset_versions
     set doc_stored_seq = greatest(doc_stored_seq, coalesce(p_seq, 0)), doc_problems = v_problems
   where id = v.id and (doc_stored_seq < coalesce(p_seq, 0) or doc_problems is distinct from v_problems);
  return v_changed > 0;
end $$;

-- ---- publishing reads the final content ---------------------------------------------------------------

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
  -- The row lock orders this with the worker's copy and with appends (see count_dataset_doc_appends).
  select * into v from public.dataset_versions where id = p_version_id for update;
  if v.status = 'published' then
    return v;
  end if;
  if v.doc_seq > v.doc_stored_seq then
    perform private.raise_http(409, 'edits_pending', 'The last edits to this draft are still being saved into its items; try again in a moment');
  end if;
  if cardinality(v.doc_problems) > 0 then
    perform private.raise_http(400, 'invalid_input', format('Fix the draft before publishing: %s', array_to_string(v.doc_problems, '; ')));
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

-- ---- a new draft keeps the previous version's splits --------------------------------------------------
-- A new draft of a dataset, starting as a copy of its latest version (or the open draft, if any): each
-- item with its split, and the version with the proportions and seed it was split with, so a dataset
-- that was split stays split (and its held-out items stay held out).
create or replace function public.new_dataset_draft(p_dataset_id uuid) returns public.dataset_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  d public.datasets;
  v public.dataset_versions;
  prev public.dataset_versions;
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
  select * into prev from public.dataset_versions where dataset_id = d.id order by version desc limit 1;
  v := private.dataset_draft(d.org_id, d.name, jsonb_build_object('kind', 'copy', 'fromVersionId', prev.id));
  insert into public.dataset_items (org_id, version_id, position, query, context, variables, expected, metadata, split)
  select org_id, v.id, position, query, context, variables, expected, metadata, split from public.dataset_items where version_id = prev.id;
  update public.dataset_versions set splits = prev.splits where id = v.id and prev.splits is not null;
  perform private.refresh_item_count(v.id);
  select * into v from public.dataset_versions where id = v.id;
  return v;
end $$;

revoke all on function private.count_dataset_doc_appends(), private.dataset_doc_started(uuid), private.guard_co_edited_items(),
  private.store_dataset_doc(text, jsonb, bigint)
  from public, anon, authenticated;
-- The guard runs as the caller (to see who is calling) and asks whether the draft is co-edited.
grant execute on function private.dataset_doc_started(uuid) to authenticated;
