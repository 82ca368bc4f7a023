import type postgres from "postgres";
import { ReviewReportPayload } from "@review/shared/jobs/config";
import { queueReport, type AdjudicationRow, type QueueReport, type Rubric, type ScoreRow } from "@review/shared/review/report";
import { PermanentError, type ClaimedJob, type JobContext } from "../../queue/types.ts";
import { formatIssues, type HandlerDeps } from "../common.ts";

/** The bootstrap the report tab has always shown (its CI), seeded by the queue id: same row, same numbers. */
export const REPORT_RESAMPLES = 300;

export type ReviewReportResult = { queueId: string; stored: boolean; scores: number; ms: number };

/** What the stored row holds: the report without its finals, which have their own column. */
export type StoredReport = Omit<QueueReport, "finals">;

/**
 * A queue's report from its rows as they are now, as public.review_reports stores it: every rating in
 * the statistics, per-item details (disagreements, finals) for complete items only (blind mode: see the
 * migration 20260102000400_review_reports.sql). Reads with the worker's rights, so nothing is hidden from
 * the statistics by the policies a person reads under. Null when the queue is gone.
 */
export async function readQueueReport(sql: postgres.Sql | postgres.TransactionSql, queueId: string): Promise<{ orgId: string; report: QueueReport; scores: number } | null> {
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
  const rubrics = queue.score_config_ids.map((id) => configs.find((c) => c.id === id)).filter((r): r is Rubric & postgres.Row => !!r);
  const report = queueReport(rubrics, scores, adjudications, {
    threshold: Number(queue.disagreement_threshold),
    resamples: REPORT_RESAMPLES,
    seed: queueId,
    detailItems: new Set(complete.map((i) => i.id)),
  });
  return { orgId: queue.org_id, report, scores: scores.length };
}

/**
 * Recomputes and stores one queue's report. Under a per-queue lock in one transaction, so two runs for
 * one queue (one still running when the next was queued) end in order and the row is never older than
 * the scores the last run read.
 */
export async function storeQueueReport(sql: postgres.Sql, queueId: string): Promise<ReviewReportResult> {
  const t0 = performance.now();
  return (await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtextextended(${`review_report:${queueId}`}, 0))`;
    const computed = await readQueueReport(tx, queueId);
    if (!computed) return { queueId, stored: false, scores: 0, ms: performance.now() - t0 };
    const { finals, ...rest } = computed.report;
    await tx`
      insert into public.review_reports (queue_id, org_id, report, finals, scores_count, computed_at)
      values (${queueId}, ${computed.orgId}, ${tx.json(rest as never)}, ${tx.json(finals as never)}, ${computed.scores}, now())
      on conflict (queue_id) do update set report = excluded.report, finals = excluded.finals,
        scores_count = excluded.scores_count, computed_at = excluded.computed_at`;
    return { queueId, stored: true, scores: computed.scores, ms: performance.now() - t0 };
  })) as ReviewReportResult;
}

export async function runReviewReport(deps: HandlerDeps, entry: ClaimedJob, ctx: JobContext): Promise<ReviewReportResult> {
  const payload = ReviewReportPayload.safeParse(entry.payload);
  if (!payload.success) throw new PermanentError(`The queue entry's payload is malformed: ${formatIssues(payload.error)}`);
  const result = await storeQueueReport(deps.sql, payload.data.queueId);
  ctx.log.debug(`review report ${result.queueId}: ${result.scores} scores in ${result.ms.toFixed(0)} ms${result.stored ? "" : " (queue gone)"}`);
  return result;
}
