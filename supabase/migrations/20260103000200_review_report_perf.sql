-- A queue's report recomputed without rewriting its finals when they did not change (issue #19's live
-- goal). The finals (the final value of every complete item and rubric, ~10 MB of JSON on a
-- 100,000-score queue) change only when an item completes, a decision lands or a complete item's
-- scores change; most recomputations (a submission that leaves its item open, a changed threshold)
-- give the same finals. Rewriting them anyway cost the worker most of a run (jsonb input, TOAST,
-- WAL, and the logical decoding the Realtime server does of every changed row) and sent every open
-- page a finals refetch. The worker (worker/src/features/review-report) stores a digest of what it
-- wrote and skips the write when the new finals have the same digest.
--
-- Readable under the table's policy like the finals it describes (review:report), and on the
-- replication stream with the row's other small columns: a page that shows the finals refetches them
-- (megabytes on a large queue) only when a change carries a digest other than the last one it heard,
-- not on every recomputation (web/src/features/review-queues/queries.ts, useQueueLive).
alter table public.review_reports add column finals_digest text;
comment on column public.review_reports.finals_digest is
  'SHA-256 of the finals JSON the worker last wrote (its text as sent); null until then. The worker skips rewriting equal finals; pages refetch the finals when it changes.';
alter publication supabase_realtime drop table public.review_reports;
alter publication supabase_realtime add table public.review_reports (queue_id, org_id, scores_count, computed_at, finals_digest);
