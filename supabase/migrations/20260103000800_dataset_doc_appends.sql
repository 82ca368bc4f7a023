-- A draft's append count moves off its version's row.
--
-- Every append to a co-edited draft's document (one per editor every ~260 ms while they type) updated
-- dataset_versions.doc_seq. dataset_versions is in the Realtime publication, so each of those updates
-- was a change event for every person watching the version, which their page then discarded (only the
-- status, the worker's copy, the problems and the item count matter to it), and an RLS check per watcher
-- on the server. The count now lives in a table of its own, outside the publication; the version's row
-- changes when something a watcher cares about changes.
--
-- The publication's ordering is kept: an append still locks the version's row, FOR SHARE (appends do
-- not wait for one another; publish_dataset_version's and the worker's FOR UPDATE wait for them and
-- they for it), and an append that waited for a publication finds the version published and fails, so
-- nothing is appended to a document after its copy was frozen. A row lock writes no new row version, so
-- it makes no change event.

create table private.dataset_doc_appends (
  version_id uuid primary key references public.dataset_versions (id) on delete cascade,
  -- Appends to the version's document so far (counted in each append's transaction).
  seq bigint not null default 0 check (seq >= 0)
);
alter table private.dataset_doc_appends enable row level security;
revoke all on private.dataset_doc_appends from public, anon, authenticated;

insert into private.dataset_doc_appends (version_id, seq)
select id, doc_seq from public.dataset_versions where doc_seq > 0;

-- The drafts' appends, counted under their version's row lock (see above).
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
    perform 1 from public.dataset_versions v where v.id = r.version_id and v.status = 'draft' for share;
    if found then
      insert into private.dataset_doc_appends as d (version_id, seq) values (r.version_id, r.n)
      on conflict (version_id) do update set seq = d.seq + excluded.seq;
    elsif exists (select 1 from public.dataset_versions v where v.id = r.version_id) then
      perform private.raise_http(409, 'version_frozen', 'This dataset version is published; its items can no longer change. Start a new draft instead.');
    end if;
  end loop;
  return null;
end $$;

-- Whether the version's document has been written (its texts then live there).
create or replace function private.dataset_doc_started(p_version uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from private.dataset_doc_appends d where d.version_id = p_version and d.seq > 0)
$$;

-- The count the worker's copy is compared with (worker/src/features/doc-upkeep): 0 before any append.
create or replace function private.dataset_doc_seq(p_version uuid) returns bigint
language sql stable security definer set search_path = '' as $$
  select coalesce((select d.seq from private.dataset_doc_appends d where d.version_id = p_version), 0)
$$;

-- Publishing reads the final content: refused while the copy is behind the document's appends.
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
  if private.dataset_doc_seq(v.id) > v.doc_stored_seq then
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

alter table public.dataset_versions drop column doc_seq;

revoke all on function private.count_dataset_doc_appends(), private.dataset_doc_started(uuid), private.dataset_doc_seq(uuid)
  from public, anon, authenticated;
-- The items' guard runs as the caller (to see who is calling) and asks whether the draft is co-edited.
grant execute on function private.dataset_doc_started(uuid) to authenticated;
