import { createHash } from "node:crypto";
import type postgres from "postgres";
import { ReviewReportPayload } from "@review/shared/jobs/config";
import { queueReport, type AdjudicationRow, type QueueReport, type Rubric, type ScoreRow } from "@review/shared/review/report";
import { PermanentError, type ClaimedJob, type JobContext } from "../../queue/types.ts";
import { formatIssues, type HandlerDeps } from "../common.ts";

/** The bootstrap the report tab has always shown (its CI), seeded by the queue id: same row, same numbers. */
export const REPORT_RESAMPLES = 300;

export type ReviewReportResult = {
  queueId: string;
  stored: boolean;
  scores: number;
  /** Wall time of the whole run, and of its parts (reading the rows, queueReport, writing the report, then its finals). */
  ms: number;
  parts: { readMs: number; computeMs: number; writeMs: number; finalsMs: number };
  /** Whether the finals were written (false: the row already held the same finals). */
  finalsWritten: boolean;
};

/** What the stored row holds: the report without its finals, which have their own column. */
export type StoredReport = Omit<QueueReport, "finals">;

/** A queue's rows as the report reads them. */
export type QueueRows = {
  orgId: string;
  threshold: number;
  rubrics: Rubric[];
  scores: ScoreRow[];
  adjudications: AdjudicationRow[];
  complete: string[];
};

/**
 * A queue's rows with the worker's rights (nothing hidden from the statistics by the policies a person
 * reads under), the scores in id order (as the page read them: which rater's raw value stands for a
 * consensus follows it). Null when the queue is gone. (Reading the scores as one json_agg row instead
 * was measured 2.5× slower: Postgres's per-row JSON building costs more than the result rows' parsing;
 * see bench/README-review-report.md.)
 */
export async function readQueueRows(sql: postgres.Sql | postgres.TransactionSql, queueId: string): Promise<QueueRows | null> {
  const [queue] = await sql<{ org_id: string; score_config_ids: string[]; disagreement_threshold: number }[]>`
    select org_id, score_config_ids, disagreement_threshold from public.review_queues where id = ${queueId}`;
  if (!queue) return null;
  const [configs, scores, adjudications, [complete]] = await Promise.all([
    sql<Rubric[]>`select * from public.score_configs where id = any (${queue.score_config_ids}::uuid[])`,
    sql<ScoreRow[]>`select item_id, reviewer_id, score_config_id, value from public.scores where queue_id = ${queueId} order by id`,
    sql<AdjudicationRow[]>`select item_id, score_config_id, value from public.adjudications where queue_id = ${queueId} order by id`,
    sql<{ ids: string[] }[]>`select coalesce(array_agg(id), '{}')::text[] as ids from public.review_items where queue_id = ${queueId} and status = 'complete'`,
  ]);
  // The queue's order of rubrics (the page lists them so).
  const rubrics = queue.score_config_ids.map((id) => configs.find((c) => c.id === id)).filter((r): r is Rubric & postgres.Row => !!r);
  return { orgId: queue.org_id, threshold: Number(queue.disagreement_threshold), rubrics, scores: [...scores], adjudications: [...adjudications], complete: complete!.ids };
}

/** The report of a queue's rows, as public.review_reports stores it. */
export function reportOf(queueId: string, rows: QueueRows): QueueReport {
  return queueReport(rows.rubrics, rows.scores, rows.adjudications, {
    threshold: rows.threshold,
    resamples: REPORT_RESAMPLES,
    seed: queueId,
    detailItems: new Set(rows.complete),
  });
}

/**
 * A queue's report from its rows as they are now, as public.review_reports stores it: every rating in
 * the statistics, per-item details (disagreements, finals) for complete items only (blind mode: see the
 * migration 20260102000400_review_reports.sql). Null when the queue is gone.
 */
export async function readQueueReport(sql: postgres.Sql | postgres.TransactionSql, queueId: string): Promise<{ orgId: string; report: QueueReport; scores: number; readMs: number; computeMs: number } | null> {
  const t0 = performance.now();
  const rows = await readQueueRows(sql, queueId);
  if (!rows) return null;
  const t1 = performance.now();
  const report = reportOf(queueId, rows);
  return { orgId: rows.orgId, report, scores: rows.scores.length, readMs: t1 - t0, computeMs: performance.now() - t1 };
}

/** The finals as the column stores them, and the digest the next run compares with. */
export function finalsText(finals: QueueReport["finals"]): { text: string; digest: string } {
  const text = JSON.stringify(finals);
  return { text, digest: createHash("sha256").update(text).digest("hex") };
}

/**
 * Recomputes and stores one queue's report. Under a per-queue lock in one transaction, so two runs for
 * one queue (one still running when the next was queued) end in order and the row is never older than
 * the scores the last run read. The finals (megabytes on a large queue, read only by exports and the
 * views beside the report) follow in a second statement after that commit, so the live change goes out
 * without waiting for them; they are written only if they differ from what the row holds (its
 * finals_digest: most runs, a submission that leaves its item open, give the same finals) and only if
 * no newer run has replaced the report meanwhile (its computed_at still ours). The page ignores the
 * change their write makes (same computed_at) but for refetching the finals.
 */
export async function storeQueueReport(sql: postgres.Sql, queueId: string): Promise<ReviewReportResult> {
  const t0 = performance.now();
  const done = (await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtextextended(${`review_report:${queueId}`}, 0))`;
    const computed = await readQueueReport(tx, queueId);
    if (!computed) return null;
    const { finals, ...rest } = computed.report;
    const tw = performance.now();
    // The digest the row holds, locked until this commit: an older run's finals write (after its own
    // commit, outside the advisory lock) cannot land between this read and the report's update, and
    // after it finds computed_at no longer its own.
    const [held] = await tx<{ digest: string | null }[]>`select finals_digest as digest from public.review_reports where queue_id = ${queueId} for update`;
    // clock_timestamp, not now(): a run that waited for the lock must not stamp its row before the last.
    const [row] = await tx<{ at: string }[]>`
      insert into public.review_reports (queue_id, org_id, report, scores_count, computed_at)
      values (${queueId}, ${computed.orgId}, ${tx.json(rest as never)}, ${computed.scores}, clock_timestamp())
      on conflict (queue_id) do update set report = excluded.report, scores_count = excluded.scores_count, computed_at = excluded.computed_at
      returning computed_at::text as at`;
    return { computed, finals, at: row!.at, held: held?.digest ?? null, reportMs: performance.now() - tw };
  })) as { computed: NonNullable<Awaited<ReturnType<typeof readQueueReport>>>; finals: QueueReport["finals"]; at: string; held: string | null; reportMs: number } | null;
  if (!done) return { queueId, stored: false, scores: 0, ms: performance.now() - t0, parts: { readMs: 0, computeMs: 0, writeMs: 0, finalsMs: 0 }, finalsWritten: false };
  const tf = performance.now();
  const { text, digest } = finalsText(done.finals);
  const write = digest !== done.held;
  // (computed_at compared as text: a timestamptz parameter would go through a JS Date and lose the microseconds.)
  if (write) await sql`update public.review_reports set finals = ${text}::text::jsonb, finals_digest = ${digest} where queue_id = ${queueId} and computed_at::text = ${done.at}`;
  const t1 = performance.now();
  return {
    queueId, stored: true, scores: done.computed.scores, ms: t1 - t0, finalsWritten: write,
    parts: { readMs: done.computed.readMs, computeMs: done.computed.computeMs, writeMs: done.reportMs, finalsMs: t1 - tf },
  };
}

export async function runReviewReport(deps: HandlerDeps, entry: ClaimedJob, ctx: JobContext): Promise<ReviewReportResult> {
  const payload = ReviewReportPayload.safeParse(entry.payload);
  if (!payload.success) throw new PermanentError(`The queue entry's payload is malformed: ${formatIssues(payload.error)}`);
  const result = await storeQueueReport(deps.sql, payload.data.queueId);
  ctx.log.debug(`review report ${result.queueId}: ${result.scores} scores in ${result.ms.toFixed(0)} ms${result.stored ? "" : " (queue gone)"}`);
  return result;
}
