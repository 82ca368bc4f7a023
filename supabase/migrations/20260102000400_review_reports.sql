-- A review queue's agreement report, computed where the issue puts it: by the worker, as scores and
-- decisions arrive, and stored for those who may read reports. Every write to a queue's scores or
-- adjudications (and a new queue, or a changed threshold) queues one `review_report` internal task per
-- queue (its job key is the queue id, so a burst of scores collapses into one waiting entry); the worker
-- (worker/src/features/review-report) reads the queue's rubrics, scores and decisions with its own
-- rights, runs shared/src/review/report.ts and writes the row here. Browsers read the row and follow
-- it live; they no longer fetch every score to compute it.
--
-- Blind mode: the statistics cover every rating, but the per-item parts (disagreements with the ratings
-- side by side, final values) list only items that have all their ratings (review_items.status =
-- 'complete'): nobody still scores those blind, and adjudicators may read their scores anyway
-- (private.review_item_unblinded). A reviewer (no review:report) reads nothing here.

-- ---- table --------------------------------------------------------------------------------------------
create table public.review_reports (
  queue_id uuid primary key,
  org_id uuid not null references public.organizations (id) on delete cascade,
  -- shared/src/review/report.ts QueueReport without `finals` (what the report and adjudication tabs show)
  report jsonb not null check (jsonb_typeof(report) = 'object'),
  -- the final value of every complete item and rubric (what exports use), apart: it grows with the queue
  -- and is read only when someone exports, so it stays out of the live change (see the publication
  -- below), and the worker writes it just after the report's commit, not before the change goes out
  finals jsonb not null default '[]'::jsonb check (jsonb_typeof(finals) = 'array'),
  scores_count integer not null check (scores_count >= 0),
  computed_at timestamptz not null default now(),
  foreign key (org_id, queue_id) references public.review_queues (org_id, id) on delete cascade
);

-- ---- grants: read only; the worker writes ------------------------------------------------------------
grant select on public.review_reports to authenticated;

-- ---- queueing the computation --------------------------------------------------------------------------

-- One waiting entry per queue, whoever wrote (submit_scores, adjudicate, the service role, the seed).
-- Queued for now: the entry stays locked until the writing transaction commits (enqueue_task), so the
-- worker never reads before the scores it was queued for are visible.
create or replace function private.enqueue_review_report(p_queue uuid, p_org uuid) returns void
language sql volatile security definer set search_path = '' as $$
  select private.enqueue_task('review_report', jsonb_build_object('queueId', p_queue), 'review_report:' || p_queue::text, p_org);
$$;

create or replace function private.review_report_on_rows() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  q record;
begin
  -- In a fixed order, so two statements touching the same queues lock their entries alike.
  for q in select distinct r.queue_id, r.org_id from changed r order by 1 loop
    perform private.enqueue_review_report(q.queue_id, q.org_id);
  end loop;
  return null;
end $$;

-- Transition tables allow one event per trigger: one trigger per event, one function.
create trigger scores_review_report_ins after insert on public.scores
  referencing new table as changed for each statement execute function private.review_report_on_rows();
create trigger scores_review_report_upd after update on public.scores
  referencing new table as changed for each statement execute function private.review_report_on_rows();
create trigger scores_review_report_del after delete on public.scores
  referencing old table as changed for each statement execute function private.review_report_on_rows();
create trigger adjudications_review_report_ins after insert on public.adjudications
  referencing new table as changed for each statement execute function private.review_report_on_rows();
create trigger adjudications_review_report_upd after update on public.adjudications
  referencing new table as changed for each statement execute function private.review_report_on_rows();

-- A new queue gets its (empty) report at once; a changed threshold changes the disagreement list.
create or replace function private.review_report_on_queue() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' or new.disagreement_threshold is distinct from old.disagreement_threshold then
    perform private.enqueue_review_report(new.id, new.org_id);
  end if;
  return null;
end $$;
create trigger review_queues_review_report after insert or update of disagreement_threshold on public.review_queues
  for each row execute function private.review_report_on_queue();

revoke all on function private.enqueue_review_report(uuid, uuid), private.review_report_on_rows(), private.review_report_on_queue()
  from public, anon, authenticated;

-- ---- row-level security --------------------------------------------------------------------------------
alter table public.review_reports enable row level security;

create policy "Those who may read review reports read their organization's" on public.review_reports
  for select to authenticated using (org_id in (select private.orgs_where('review:report')));

-- ---- live ------------------------------------------------------------------------------------------------
-- Only the small columns travel on the replication stream: a change says "the report of queue X was
-- recomputed at T over N scores", and the page re-reads the report under its policy. The report itself
-- (and the finals, megabytes on a large queue) never ride the socket.
alter publication supabase_realtime add table public.review_reports (queue_id, org_id, scores_count, computed_at);

-- ---- existing queues ------------------------------------------------------------------------------------
select private.enqueue_review_report(q.id, q.org_id) from public.review_queues q;
