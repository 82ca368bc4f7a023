-- Document upkeep: the server side owns a co-edited document (the role Hocuspocus's onStoreDocument and
-- extension-database play). Every append to doc_updates queues one `doc_upkeep` task per document; the
-- worker (worker/src/features/doc-upkeep) folds the update log into a snapshot once its tail passes a
-- bound, and writes the plain-text copy of a case's answer (improvement_cases.suggested_response).
-- Browsers only edit: they no longer write the copy, so it is the same whoever typed last.
--
-- doc_upkeep is an internal task, not a job kind: it has no jobs row, nobody starts it and nobody sees
-- it in the jobs list (public.start_job cannot name it: it is not a public.job_kind). Internal tasks are
-- queue entries with job_id null (private.complete_job ends them in one statement).

-- ---- internal tasks, deduplicated by a key (graphile-worker's job_key) ---------------------------

-- At most one waiting and one running entry per (task, key). While one runs, a new request queues a
-- second entry (the running one may have read too early); the running one gives up its key for that,
-- so a retry of it (running -> queued) never collides with the newer entry.
alter table public.job_queue add column job_key text check (char_length(job_key) between 1 and 200);
create unique index job_queue_one_per_key on public.job_queue (task, job_key)
  where job_key is not null and state in ('queued', 'running');

-- Queues an internal task, or (with a key) finds the entry already waiting for it. A waiting entry
-- keeps its run_at, so a burst of requests runs once, p_run_at after the first. The waiting row stays
-- locked until the caller's transaction ends: claims skip locked rows, so the task cannot start before
-- what the caller wrote is visible to it. Returns the entry's id.
create or replace function private.enqueue_task(
  p_task text,
  p_payload jsonb,
  p_job_key text default null,
  p_org_id uuid default null,
  p_run_at timestamptz default now(),
  p_priority integer default 0,
  p_max_attempts integer default null
) returns bigint
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_id bigint;
begin
  if p_job_key is null then
    insert into public.job_queue (task, payload, org_id, run_at, priority, max_attempts)
    values (p_task, coalesce(p_payload, '{}'::jsonb), p_org_id, coalesce(p_run_at, now()), p_priority, p_max_attempts)
    returning id into v_id;
    return v_id;
  end if;
  loop
    update public.job_queue set updated_at = now()
     where task = p_task and job_key = p_job_key and state = 'queued'
    returning id into v_id;
    if found then
      return v_id;
    end if;
    update public.job_queue set job_key = null, updated_at = now()
     where task = p_task and job_key = p_job_key and state = 'running';
    insert into public.job_queue (task, payload, org_id, job_key, run_at, priority, max_attempts)
    values (p_task, coalesce(p_payload, '{}'::jsonb), p_org_id, p_job_key, coalesce(p_run_at, now()), p_priority, p_max_attempts)
    on conflict (task, job_key) where job_key is not null and state in ('queued', 'running') do nothing
    returning id into v_id;
    if found then
      return v_id;
    end if;
    -- Another transaction queued it first (it waited for that one's commit): go round and take that entry.
  end loop;
end $$;

-- ---- documents: who owns the upkeep ----------------------------------------------------------------

-- How long a document rests after its first unprocessed update before the worker looks at it: typing
-- in bursts becomes one upkeep run per couple of seconds, not one per keystroke batch.
create or replace function private.doc_upkeep_delay() returns interval
language sql immutable set search_path = '' as $$ select interval '2 seconds' $$;

-- Once per statement and document, whoever wrote (doc_append_update for people, the service role,
-- a migration): one indexed update of the waiting entry in the common case.
create or replace function private.enqueue_doc_upkeep() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  d text;
begin
  -- In a fixed order, so two statements touching the same documents lock their entries alike.
  for d in select distinct a.doc_id from added a order by 1 loop
    perform private.enqueue_task('doc_upkeep', jsonb_build_object('docId', d), d, private.topic_org(d),
                                 now() + private.doc_upkeep_delay());
  end loop;
  return null;
end $$;
create trigger doc_updates_upkeep after insert on public.doc_updates
  referencing new table as added for each statement execute function private.enqueue_doc_upkeep();

-- The plain-text copy of a document, where its kind has one: a pending case's answer. (A prompt
-- version's template is not copied: "Save as new version" snapshots the document into a new version,
-- and a version's own template never changes under it.) Returns whether a row changed. The worker's.
create or replace function private.store_doc_text(p_doc_id text, p_text text) returns boolean
language plpgsql volatile security definer set search_path = '' as $$
declare
  ident text := split_part(p_doc_id, ':', 2);
begin
  if split_part(p_doc_id, ':', 1) <> 'case'
     or ident !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  -- A decided case keeps the answer it was decided with.
  update public.improvement_cases set suggested_response = coalesce(p_text, '')
   where id = ident::uuid and status = 'pending' and suggested_response is distinct from coalesce(p_text, '');
  return found;
end $$;

revoke all on function private.enqueue_task(text, jsonb, text, uuid, timestamptz, integer, integer),
  private.enqueue_doc_upkeep(), private.store_doc_text(text, text), private.doc_upkeep_delay()
  from public, anon, authenticated;

-- ---- the answer's text copy is no longer the browsers' ---------------------------------------------
-- Opening (open_improvement_case), deciding (decide_improvement_case) and the worker write it; people
-- edit the document.
drop policy "Curators and admins can edit a case's suggested answer" on public.improvement_cases;
revoke update (suggested_response) on public.improvement_cases from authenticated;
