-- Realtime and co-edited documents.
--
-- Topics: org:<org id>  (inbox presence, claims)   case:<case id>  (case room)
--         job:<job id>  (job progress)              prompt:<prompt version id> (candidate co-editing)
--         doc:<document id> (a Yjs document: 'case:<case id>' answers, 'prompt:<version id>' candidates)
--
-- Documents (Yjs) are an append-only log of updates plus compacted snapshots. Writers never
-- read-modify-write a snapshot: each edit batch is one appended row, so concurrent editors cannot
-- overwrite each other. Compaction (the worker's) merges rows into a snapshot under a per-document lock
-- and deletes exactly the rows it merged, so appends that race with it are never lost.

-- ---- which organization a topic or document belongs to, and who may write into it ---------------------

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
    else null
  end;
end $$;

-- Who may write into a topic: everyone who may read it except managers, who only watch; on a prompt
-- candidate only those who edit prompts.
create or replace function private.can_send_to_topic(p_topic text) returns boolean
language sql stable security definer set search_path = '' as $$
  select case split_part(p_topic, ':', 1)
    when 'prompt' then private.can(private.topic_org(p_topic), 'prompt:edit')
    else private.can(private.topic_org(p_topic), 'presence:publish')
  end
$$;

-- Read (load, listen): any member of the document's organization.
create or replace function public.can_access_doc(doc_id text) returns boolean
language sql stable security definer set search_path = '' as $$
  select private.is_member(private.topic_org(doc_id))
$$;

-- Write (append, send on its channel): those who edit answers or prompts, and only while the case is
-- pending or the prompt version a draft or candidate. Reviewers and managers watch.
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
    else false
  end;
end $$;

grant execute on function private.topic_org(text), private.can_send_to_topic(text) to authenticated, service_role;
grant execute on function public.can_access_doc(text), public.doc_may_write(text) to authenticated, service_role;

-- ---- Realtime Authorization (policies on realtime.messages) --------------------------------------------

create policy "Members can join their organization's private channels" on realtime.messages
  for select to authenticated using (private.is_member(private.topic_org((select realtime.topic()))));
create policy "Members who may edit can send on their organization's private channels" on realtime.messages
  for insert to authenticated with check (private.can_send_to_topic((select realtime.topic())));
create policy "Editors can listen on the channels of documents they can access" on realtime.messages
  for select to authenticated
  using (realtime.topic() like 'doc:%' and extension in ('broadcast', 'presence') and public.can_access_doc(substr(realtime.topic(), 5)));
create policy "Editors can send on the channels of documents they may edit" on realtime.messages
  for insert to authenticated
  with check (realtime.topic() like 'doc:%' and extension in ('broadcast', 'presence') and public.doc_may_write(substr(realtime.topic(), 5)));

-- ---- documents ----------------------------------------------------------------------------------------

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

-- Reads through RLS; every write through the functions below.
grant select on public.doc_updates, public.doc_snapshots, public.doc_clients to authenticated;

alter table public.doc_updates enable row level security;
alter table public.doc_snapshots enable row level security;
alter table public.doc_clients enable row level security;

create policy "Editors can read the updates of documents they can access" on public.doc_updates
  for select to authenticated using (public.can_access_doc(doc_id));
create policy "Editors can read the snapshots of documents they can access" on public.doc_snapshots
  for select to authenticated using (public.can_access_doc(doc_id));
create policy "Editors can see who wrote in documents they can access" on public.doc_clients
  for select to authenticated using (public.can_access_doc(doc_id));

-- ---- what a Yjs update is -------------------------------------------------------------------------------
-- Every appended row must decode as a Yjs (v1) update, or one bad row could stop a document from
-- loading for everyone (and an approval from reading its final text). There is no Yjs in the database,
-- so this walks the encoding as Yjs's UpdateDecoderV1 reads it (yjs/src/utils/encoding.js,
-- readClientsStructRefs, readItemContent, readDeleteSet; lib0 decoding.readAny): structure, lengths,
-- UTF-8 of strings and JSON of JSON contents, with nothing left over. Each loop consumes at least one
-- byte per turn, so a lying count ends at "truncated", not in a long loop.

create or replace function private.yjs_uint(d bytea, inout pos integer, out val numeric)
language plpgsql immutable strict set search_path = '' as $$
declare
  b integer;
  mult numeric := 1;
begin
  val := 0;
  loop
    if pos >= octet_length(d) then
      raise exception 'yjs: truncated';
    end if;
    b := get_byte(d, pos);
    pos := pos + 1;
    val := val + (b & 127) * mult;
    exit when b < 128;
    mult := mult * 128;
    if mult > 9007199254740992 then
      raise exception 'yjs: number too long';
    end if;
  end loop;
end $$;

create or replace function private.yjs_string(d bytea, inout pos integer, out val text)
language plpgsql immutable strict set search_path = '' as $$
declare
  len numeric;
begin
  select u.pos, u.val into pos, len from private.yjs_uint(d, pos) u;
  if pos + len > octet_length(d) then
    raise exception 'yjs: truncated string';
  end if;
  val := convert_from(substring(d from pos + 1 for len::integer), 'UTF8');
  pos := pos + len::integer;
end $$;

create or replace function private.yjs_bytes(d bytea, pos integer) returns integer
language plpgsql immutable strict set search_path = '' as $$
declare
  len numeric;
begin
  select u.pos, u.val into pos, len from private.yjs_uint(d, pos) u;
  if pos + len > octet_length(d) then
    raise exception 'yjs: truncated buffer';
  end if;
  return pos + len::integer;
end $$;

-- lib0's readAny: one value, returning the position after it.
create or replace function private.yjs_any(d bytea, pos integer, depth integer default 0) returns integer
language plpgsql immutable strict set search_path = '' as $$
declare
  t integer;
  n numeric;
  s text;
begin
  if depth > 64 then
    raise exception 'yjs: nesting too deep';
  end if;
  if pos >= octet_length(d) then
    raise exception 'yjs: truncated any';
  end if;
  t := get_byte(d, pos);
  pos := pos + 1;
  case
    when t in (127, 126, 121, 120) then null;             -- undefined, null, false, true
    when t = 125 then                                      -- varint
      loop
        if pos >= octet_length(d) then raise exception 'yjs: truncated varint'; end if;
        pos := pos + 1;
        exit when get_byte(d, pos - 1) < 128;
      end loop;
    when t = 124 then pos := pos + 4;                      -- float32
    when t in (123, 122) then pos := pos + 8;              -- float64, bigint64
    when t = 119 then select u.pos into pos from private.yjs_string(d, pos) u;
    when t = 118 then                                      -- object
      select u.pos, u.val into pos, n from private.yjs_uint(d, pos) u;
      for i in 1..n loop
        select u.pos into pos from private.yjs_string(d, pos) u;
        pos := private.yjs_any(d, pos, depth + 1);
      end loop;
    when t = 117 then                                      -- array
      select u.pos, u.val into pos, n from private.yjs_uint(d, pos) u;
      for i in 1..n loop
        pos := private.yjs_any(d, pos, depth + 1);
      end loop;
    when t = 116 then pos := private.yjs_bytes(d, pos);    -- Uint8Array
    else raise exception 'yjs: unknown value type %', t;
  end case;
  if pos > octet_length(d) then
    raise exception 'yjs: truncated any';
  end if;
  return pos;
end $$;

-- Raises with the reason when `d` is not a Yjs v1 update.
create or replace function private.yjs_check_update(d bytea) returns void
language plpgsql immutable strict set search_path = '' as $$
declare
  pos integer := 0;
  clients numeric;
  structs numeric;
  n numeric;
  k numeric;
  info integer;
  ref integer;
  s text;
begin
  select u.pos, u.val into pos, clients from private.yjs_uint(d, pos) u;
  for c in 1..clients loop
    select u.pos, u.val into pos, structs from private.yjs_uint(d, pos) u;
    select u.pos into pos from private.yjs_uint(d, pos) u;            -- client
    select u.pos into pos from private.yjs_uint(d, pos) u;            -- first clock
    for i in 1..structs loop
      if pos >= octet_length(d) then raise exception 'yjs: truncated struct'; end if;
      info := get_byte(d, pos);
      pos := pos + 1;
      ref := info & 31;
      if ref = 0 or ref = 10 then                                       -- GC, Skip: a length
        select u.pos into pos from private.yjs_uint(d, pos) u;
        continue;
      end if;
      if info & 128 <> 0 then                                           -- origin id
        select u.pos into pos from private.yjs_uint(d, pos) u;
        select u.pos into pos from private.yjs_uint(d, pos) u;
      end if;
      if info & 64 <> 0 then                                            -- right origin id
        select u.pos into pos from private.yjs_uint(d, pos) u;
        select u.pos into pos from private.yjs_uint(d, pos) u;
      end if;
      if info & 192 = 0 then                                            -- parent (and parentSub)
        select u.pos, u.val into pos, k from private.yjs_uint(d, pos) u;
        if k = 1 then
          select u.pos into pos from private.yjs_string(d, pos) u;
        else
          select u.pos into pos from private.yjs_uint(d, pos) u;
          select u.pos into pos from private.yjs_uint(d, pos) u;
        end if;
        if info & 32 <> 0 then
          select u.pos into pos from private.yjs_string(d, pos) u;
        end if;
      end if;
      case ref
        when 1 then select u.pos into pos from private.yjs_uint(d, pos) u;              -- deleted: length
        when 2 then                                                                     -- JSON values
          select u.pos, u.val into pos, n from private.yjs_uint(d, pos) u;
          for j in 1..n loop
            select u.pos, u.val into pos, s from private.yjs_string(d, pos) u;
            if s <> 'undefined' then perform s::jsonb; end if;
          end loop;
        when 3 then pos := private.yjs_bytes(d, pos);                                   -- binary
        when 4 then select u.pos into pos from private.yjs_string(d, pos) u;            -- string
        when 5 then                                                                     -- embed
          select u.pos, u.val into pos, s from private.yjs_string(d, pos) u;
          perform s::jsonb;
        when 6 then                                                                     -- format: key, value
          select u.pos into pos from private.yjs_string(d, pos) u;
          select u.pos, u.val into pos, s from private.yjs_string(d, pos) u;
          perform s::jsonb;
        when 7 then                                                                     -- type
          select u.pos, u.val into pos, k from private.yjs_uint(d, pos) u;
          if k in (3, 5) then
            select u.pos into pos from private.yjs_string(d, pos) u;
          elsif k > 6 then
            raise exception 'yjs: unknown type ref %', k;
          end if;
        when 8 then                                                                     -- any values
          select u.pos, u.val into pos, n from private.yjs_uint(d, pos) u;
          for j in 1..n loop
            pos := private.yjs_any(d, pos);
          end loop;
        when 9 then                                                                     -- subdocument
          select u.pos into pos from private.yjs_string(d, pos) u;
          pos := private.yjs_any(d, pos);
        else raise exception 'yjs: unknown content ref %', ref;
      end case;
    end loop;
  end loop;
  -- the delete set
  select u.pos, u.val into pos, clients from private.yjs_uint(d, pos) u;
  for c in 1..clients loop
    select u.pos into pos from private.yjs_uint(d, pos) u;
    select u.pos, u.val into pos, n from private.yjs_uint(d, pos) u;
    for j in 1..n loop
      select u.pos into pos from private.yjs_uint(d, pos) u;
      select u.pos into pos from private.yjs_uint(d, pos) u;
    end loop;
  end loop;
  if pos <> octet_length(d) then
    raise exception 'yjs: % bytes left over', octet_length(d) - pos;
  end if;
end $$;

create or replace function private.yjs_update_error(d bytea) returns text
language plpgsql immutable set search_path = '' as $$
begin
  if d is null or octet_length(d) = 0 then
    return 'empty';
  end if;
  perform private.yjs_check_update(d);
  return null;
exception when others then
  return sqlerrm;
end $$;

-- The most a single appended update may be. Large enough for a pasted document, small enough that
-- one request cannot fill the log.
create or replace function private.doc_update_max_bytes() returns integer
language sql immutable set search_path = '' as $$ select 2097152 $$;

-- ---- document functions (RPCs; payloads are base64 text: PostgREST/JSON has no bytes type) -------------

create or replace function public.doc_append_update(p_doc_id text, p_update text, p_client_id bigint default null)
returns bigint language plpgsql security definer set search_path = '' as $$
declare
  v_update bytea;
  v_problem text;
  v_id bigint;
begin
  if not public.doc_may_write(p_doc_id) then
    perform private.raise_http(403, 'forbidden', format('You cannot edit document %s', p_doc_id));
  end if;
  if p_update is null or length(p_update) > (private.doc_update_max_bytes() / 3 + 1) * 4 + 64 then
    perform private.raise_http(413, 'update_too_large', format('A document update must be between 1 byte and %s bytes', private.doc_update_max_bytes()));
  end if;
  begin
    v_update := decode(p_update, 'base64');
  exception when others then
    perform private.raise_http(400, 'invalid_update', 'The update is not base64');
  end;
  if octet_length(v_update) = 0 or octet_length(v_update) > private.doc_update_max_bytes() then
    perform private.raise_http(413, 'update_too_large', format('A document update must be between 1 byte and %s bytes', private.doc_update_max_bytes()));
  end if;
  v_problem := private.yjs_update_error(v_update);
  if v_problem is not null then
    perform private.raise_http(400, 'invalid_update', format('The update is not a Yjs update (%s)', v_problem));
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
  if not (private.is_privileged() or public.can_access_doc(p_doc_id)) then
    perform private.raise_http(403, 'forbidden', format('You cannot open document %s', p_doc_id));
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
-- Keeps the three latest snapshots as bounded history. The worker's (document upkeep): a snapshot
-- replaces other people's edits, so no end user may write one.
create or replace function public.doc_compact(p_doc_id text, p_snapshot text, p_base_snapshot_id bigint, p_merged_ids bigint[])
returns bigint language plpgsql security definer set search_path = '' as $$
declare
  v_latest bigint;
  v_prev_authors uuid[];
  v_authors uuid[];
  v_snapshot bytea := decode(p_snapshot, 'base64');
  v_problem text;
  v_id bigint;
begin
  perform private.require_privileged();
  v_problem := private.yjs_update_error(v_snapshot);
  if v_problem is not null then
    perform private.raise_http(400, 'invalid_update', format('The snapshot is not a Yjs update (%s)', v_problem));
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
  values (p_doc_id, v_snapshot, coalesce(array_length(p_merged_ids, 1), 0), v_authors, (select auth.uid()))
  returning id into v_id;
  delete from public.doc_updates u where u.doc_id = p_doc_id and u.id = any(p_merged_ids);
  delete from public.doc_snapshots s where s.doc_id = p_doc_id and s.id not in (
    select s2.id from public.doc_snapshots s2 where s2.doc_id = p_doc_id order by s2.id desc limit 3);
  return v_id;
end;
$$;

grant execute on function public.doc_append_update(text, text, bigint), public.doc_load(text) to authenticated, service_role;
grant execute on function public.doc_compact(text, text, bigint, bigint[]) to service_role;

-- ---- live tables for postgres_changes --------------------------------------------------------------------
alter table public.feedback replica identity full;
alter table public.improvement_cases replica identity full;
alter table public.jobs replica identity full;
alter table public.models replica identity full;

alter publication supabase_realtime add table
  public.feedback, public.improvement_cases, public.comments, public.training_examples,
  public.jobs, public.job_events, public.models, public.prompt_versions, public.prompt_promotions, public.memberships,
  public.eval_results, public.drift_alerts, public.retrain_proposals;
