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
};

/** What the stored row holds: the report without its finals, which have their own column. */
export type StoredReport = Omit<QueueReport, "finals">;

/**
 * A queue's report from its rows as they are now, as public.review_reports stores it: every rating in
 * the statistics, per-item details (disagreements, finals) for complete items only (blind mode: see the
 * migration 20260102000400_review_reports.sql). Reads with the worker's rights, so nothing is hidden from
 * the statistics by the policies a person reads under. Null when the queue is gone.
 */
export async function readQueueReport(sql: postgres.Sql | postgres.TransactionSql, queueId: string): Promise<{ orgId: string; report: QueueReport; scores: number; readMs: number; computeMs: number } | null> {
  const t0 = performance.now();
  const [queue] = await sql<{ org_id: string; score_config_ids: string[]; disagreement_threshold: number }[]>`
    select org_id, score_config_ids, disagreement_threshold from public.review_queues where id = ${queueId}`;
  if (!queue) return null;
  const [configs, scores, adjudications, complete] = await Promise.all([
    sql<Rubric[]>`select * from public.score_configs where id = any (${queue.score_config_ids}::uuid[])`,
    // In id order, as the page read them: which rater's raw value stands for a consensus follows it.
    sql<ScoreRow[]>`select item_id, reviewer_id, score_config_id, value from public.scores where queue_id = ${queueId} order by id`,
    sql<AdjudicationRow[]>`select item_id, score_config_id, value from public.adjudications where queue_id = ${queueId} order by id`,
    sql<{ id: string }[]>`select id from public.review_items where queue_id = ${queueId} and status = 'complete'`,
  ]);
  // The queue's order of rubrics (the page lists them so).
  const t1 = performance.now();
  const rubrics = queue.score_config_ids.map((id) => configs.find((c) => c.id === id)).filter((r): r is Rubric & postgres.Row => !!r);
  const report = queueReport(rubrics, scores, adjudications, {
    threshold: Number(queue.disagreement_threshold),
    resamples: REPORT_RESAMPLES,
    seed: queueId,
    detailItems: new Set(complete.map((i) => i.id)),
  });
  return { orgId: queue.org_id, report, scores: scores.length, readMs: t1 - t0, computeMs: performance.now() - t1 };
}

/**
 * Recomputes and stores one queue's report. Under a per-queue lock in one transaction, so two runs for
 * one queue (one still running when the next was queued) end in order and the row is never older than
 * the scores the last run read. The finals (megabytes on a large queue, read only by exports) follow in
 * a second statement after that commit, so the live change goes out without waiting for them; they are
 * written only if no newer run has replaced the report meanwhile (its computed_at still ours), and the
 * page ignores the change their write makes (same computed_at).
 */
export async function storeQueueReport(sql: postgres.Sql, queueId: string): Promise<ReviewReportResult> {
  const t0 = performance.now();
  const done = (await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtextextended(${`review_report:${queueId}`}, 0))`;
    const computed = await readQueueReport(tx, queueId);
    if (!computed) return null;
    const { finals, ...rest } = computed.report;
    const tw = performance.now();
    // clock_timestamp, not now(): a run that waited for the lock must not stamp its row before the last.
    const [row] = await tx<{ at: string }[]>`
      insert into public.review_reports (queue_id, org_id, report, scores_count, computed_at)
      values (${queueId}, ${computed.orgId}, ${tx.json(rest as never)}, ${computed.scores}, clock_timestamp())
      on conflict (queue_id) do update set report = excluded.report, scores_count = excluded.scores_count, computed_at = excluded.computed_at
      returning computed_at::text as at`;
    return { computed, finals, at: row!.at, reportMs: performance.now() - tw };
  })) as { computed: NonNullable<Awaited<ReturnType<typeof readQueueReport>>>; finals: QueueReport["finals"]; at: string; reportMs: number } | null;
  if (!done) return { queueId, stored: false, scores: 0, ms: performance.now() - t0, parts: { readMs: 0, computeMs: 0, writeMs: 0, finalsMs: 0 } };
  const tf = performance.now();
  await sql`update public.review_reports set finals = ${sql.json(done.finals as never)} where queue_id = ${queueId} and computed_at::text = ${done.at}`;
  // (Compared as text: a timestamptz parameter would go through a JS Date and lose the microseconds.)
  const t1 = performance.now();
  return {
    queueId, stored: true, scores: done.computed.scores, ms: t1 - t0,
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
