-- Collaborative documents (Yjs): an append-only log of updates plus compacted snapshots.
-- Writers never read-modify-write a snapshot: each edit batch is one appended row, so concurrent
-- editors cannot overwrite each other. Compaction merges rows into a snapshot under a per-document
-- lock and deletes exactly the rows it merged, so appends that race with it are never lost.

-- tables
create table public.doc_updates (
  id bigint generated always as identity primary key,
  doc_id text not null check (length(doc_id) between 1 and 200),
  update bytea not null,
  author uuid,
  client_id bigint,
  created_at timestamptz not null default now()
);
create index doc_updates_doc_id_id_idx on public.doc_updates (doc_id, id);

create table public.doc_snapshots (
  id bigint generated always as identity primary key,
  doc_id text not null check (length(doc_id) between 1 and 200),
  snapshot bytea not null,
  merged_updates integer not null,
  -- everyone whose updates are folded into this snapshot (carried over from earlier snapshots)
  authors uuid[] not null default '{}',
  created_by uuid,
  created_at timestamptz not null default now()
);
create index doc_snapshots_doc_id_id_idx on public.doc_snapshots (doc_id, id desc);

-- Which user wrote with which Yjs client id: attribution of any Yjs item (item.id.client) survives compaction.
create table public.doc_clients (
  doc_id text not null,
  client_id bigint not null,
  author uuid not null,
  first_seen timestamptz not null default now(),
  primary key (doc_id, client_id, author)
);

-- grants: reads through RLS, every write through the functions below
revoke all on public.doc_updates, public.doc_snapshots, public.doc_clients from anon, authenticated;
grant select on public.doc_updates, public.doc_snapshots, public.doc_clients to authenticated;
grant all on public.doc_updates, public.doc_snapshots, public.doc_clients to service_role;

-- The access rule for a document. For now: any signed-in user. The workspace schema redefines it
-- to map document ids (e.g. 'case:<uuid>') to organization membership.
create or replace function public.can_access_doc(doc_id text) returns boolean
language sql stable security definer set search_path = '' as $$
  select (select auth.uid()) is not null and doc_id is not null
$$;
revoke execute on function public.can_access_doc(text) from public, anon;
grant execute on function public.can_access_doc(text) to authenticated, service_role;

-- enable RLS
alter table public.doc_updates enable row level security;
alter table public.doc_snapshots enable row level security;
alter table public.doc_clients enable row level security;

-- policies
create policy "Editors can read the updates of documents they can access" on public.doc_updates
  for select to authenticated using (public.can_access_doc(doc_id));
create policy "Editors can read the snapshots of documents they can access" on public.doc_snapshots
  for select to authenticated using (public.can_access_doc(doc_id));
create policy "Editors can see who wrote in documents they can access" on public.doc_clients
  for select to authenticated using (public.can_access_doc(doc_id));

-- The document's private Realtime channel is 'doc:<doc_id>'; the same rule admits listeners and senders.
create policy "Editors can listen on the channels of documents they can access" on realtime.messages
  for select to authenticated
  using (realtime.topic() like 'doc:%' and extension in ('broadcast', 'presence') and public.can_access_doc(substr(realtime.topic(), 5)));
create policy "Editors can send on the channels of documents they can access" on realtime.messages
  for insert to authenticated
  with check (realtime.topic() like 'doc:%' and extension in ('broadcast', 'presence') and public.can_access_doc(substr(realtime.topic(), 5)));

-- functions (RPCs). Payloads are base64 text: PostgREST/JSON has no bytes type.
create or replace function public.doc_may_write(p_doc_id text) returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce((select auth.role()) = 'service_role', false) or public.can_access_doc(p_doc_id)
$$;
revoke execute on function public.doc_may_write(text) from public, anon;

create or replace function public.doc_append_update(p_doc_id text, p_update text, p_client_id bigint default null)
returns bigint language plpgsql security definer set search_path = '' as $$
declare
  v_update bytea := decode(p_update, 'base64');
  v_id bigint;
begin
  if not public.doc_may_write(p_doc_id) then
    raise exception 'You cannot edit document %', p_doc_id using errcode = '42501';
  end if;
  if octet_length(v_update) = 0 or octet_length(v_update) > 2097152 then
    raise exception 'A document update must be between 1 byte and 2 MiB' using errcode = '22023';
  end if;
  insert into public.doc_updates (doc_id, update, author, client_id)
  values (p_doc_id, v_update, (select auth.uid()), p_client_id)
  returning id into v_id;
  if p_client_id is not null and (select auth.uid()) is not null then
    insert into public.doc_clients (doc_id, client_id, author) values (p_doc_id, p_client_id, (select auth.uid()))
    on conflict do nothing;
  end if;
  return v_id;
end;
$$;

-- Latest snapshot, then every update not yet folded into a snapshot. Rows are never filtered by id
-- relative to the snapshot: an append whose id is lower but which committed after a compaction is
-- still a separate row, so it is still loaded (Yjs applies duplicates idempotently).
-- Reading needs only access (a reviewer watches a case room they may not edit).
create or replace function public.doc_load(p_doc_id text)
returns table (kind text, id bigint, data text) language plpgsql stable security definer set search_path = '' as $$
begin
  if not (coalesce((select auth.role()) = 'service_role', false) or public.can_access_doc(p_doc_id)) then
    raise exception 'You cannot open document %', p_doc_id using errcode = '42501';
  end if;
  return query
    (select 'snapshot'::text, s.id, encode(s.snapshot, 'base64') from public.doc_snapshots s
      where s.doc_id = p_doc_id order by s.id desc limit 1)
    union all
    (select 'update'::text, u.id, encode(u.update, 'base64') from public.doc_updates u
      where u.doc_id = p_doc_id order by u.id);
end;
$$;

-- Folds the given update rows into a new snapshot. p_base_snapshot_id must still be the latest
-- snapshot (optimistic concurrency; null for none), else nothing happens and null is returned.
-- Keeps the three latest snapshots as bounded history.
create or replace function public.doc_compact(p_doc_id text, p_snapshot text, p_base_snapshot_id bigint, p_merged_ids bigint[])
returns bigint language plpgsql security definer set search_path = '' as $$
declare
  v_latest bigint;
  v_prev_authors uuid[];
  v_authors uuid[];
  v_id bigint;
begin
  if not public.doc_may_write(p_doc_id) then
    raise exception 'You cannot compact document %', p_doc_id using errcode = '42501';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('doc_compact:' || p_doc_id, 0));
  select s.id, s.authors into v_latest, v_prev_authors from public.doc_snapshots s
    where s.doc_id = p_doc_id order by s.id desc limit 1;
  if v_latest is distinct from p_base_snapshot_id then
    return null;
  end if;
  select coalesce(array_agg(distinct a), '{}') into v_authors from (
    select unnest(coalesce(v_prev_authors, '{}')) as a
    union
    select u.author from public.doc_updates u where u.doc_id = p_doc_id and u.id = any(p_merged_ids) and u.author is not null
  ) x;
  insert into public.doc_snapshots (doc_id, snapshot, merged_updates, authors, created_by)
  values (p_doc_id, decode(p_snapshot, 'base64'), coalesce(array_length(p_merged_ids, 1), 0), v_authors, (select auth.uid()))
  returning id into v_id;
  delete from public.doc_updates u where u.doc_id = p_doc_id and u.id = any(p_merged_ids);
  delete from public.doc_snapshots s where s.doc_id = p_doc_id and s.id not in (
    select s2.id from public.doc_snapshots s2 where s2.doc_id = p_doc_id order by s2.id desc limit 3);
  return v_id;
end;
$$;

revoke execute on function public.doc_append_update(text, text, bigint) from public, anon;
revoke execute on function public.doc_load(text) from public, anon;
revoke execute on function public.doc_compact(text, text, bigint, bigint[]) from public, anon;
grant execute on function public.doc_may_write(text) to authenticated, service_role;
grant execute on function public.doc_append_update(text, text, bigint) to authenticated, service_role;
grant execute on function public.doc_load(text) to authenticated, service_role;
grant execute on function public.doc_compact(text, text, bigint, bigint[]) to authenticated, service_role;
