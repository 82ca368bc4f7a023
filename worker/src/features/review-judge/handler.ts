import { ReviewJudgeConfig } from "@review/shared/jobs/config";
import { isLlmError, LlmError } from "@review/shared/llm/errors";
import { JudgeRubricVerdict, judgeRubricValues, parseJsonOutput, rubricValue, type RubricScale } from "@review/shared/llm/offline-protocol";
import { renderPrompt, resolveLivePrompt, type LivePrompt } from "@review/shared/prompts/live";
import { judgeVsHuman, type JudgeAgreement } from "@review/shared/review/judge";
import type { AdjudicationRow, Rubric, ScoreRow } from "@review/shared/review/report";
import { createLimiter, type Limiter } from "../../lib/limiter.ts";
import { PermanentError, type ClaimedJob, type JobContext } from "../../queue/types.ts";
import { debiasedJudgeScore } from "../ab-eval/analysis.ts";
import { judge as judgePairwise, sqlPromptSource } from "../ab-eval/handler.ts";
import { loadJob, round, type HandlerDeps } from "../common.ts";

type RubricRow = Rubric & { description: string; min_value: string | number | null; max_value: string | number | null; step: string | number | null };
type ItemRow = { id: string; position: number; query: string; response: string; output_a: string | null; output_b: string | null; is_pairwise: boolean };
type Task = { item: ItemRow; rubric: RubricRow };
type Usage = { costUsd: number; inputTokens: number; outputTokens: number };

export type ReviewJudgeResult = {
  queueId: string;
  judgeModel: string;
  /** The organization's production judge prompts, when they have one (null: the built-in prompt). */
  promptVersionIds: { rubric: string | null; pairwise: string | null };
  items: number;
  judged: number;
  failed: number;
  costUsd: number;
  /** Per rubric: the judge against the human consensus (shared/src/review/judge.ts). */
  agreement: Array<Omit<JudgeAgreement, "alpha" | "kappa" | "exact"> & { rubricName: string; alpha: { estimate: number | null; lower: number | null; upper: number | null }; kappa: number | null; exact: number | null }>;
  skipped: string[];
};

export function scaleOf(r: RubricRow): RubricScale {
  const num = (v: string | number | null | undefined) => (v == null ? null : Number(v));
  return {
    kind: r.kind,
    min: num(r.min_value),
    max: num(r.max_value),
    step: num(r.step),
    levels: Array.isArray(r.levels) ? (r.levels as Array<{ value: number; label: string }>) : [],
    categories: r.categories ?? [],
    multi: !!r.multi,
  };
}

/**
 * An LLM judge over a review queue's items: for each item and rubric, the rubric prompt (judge-rubric:
 * the organization's production version or the built-in one, rendered by the shared renderer) on the
 * item's answer, or for a preference rubric on A/B items the A/B worker's pairwise judge in both orders.
 * Every value is validated against the rubric before it is stored (and again by the database). Values
 * land in judge_scores as they come (a re-claimed run skips stored ones); the result is the judge's
 * agreement with the human consensus per rubric, from every human score of the queue.
 */
export async function runReviewJudge(deps: HandlerDeps, entry: ClaimedJob, ctx: JobContext): Promise<ReviewJudgeResult> {
  const { sql } = deps;
  const { job, config } = await loadJob(sql, entry, ReviewJudgeConfig);
  // The queue must be the job's organization's: a config is never trusted to name another tenant's.
  const [queue] = await sql<{ id: string; name: string; score_config_ids: string[] }[]>`
    select id, name, score_config_ids from public.review_queues where id = ${config.queueId} and org_id = ${job.org_id}`;
  if (!queue) throw new PermanentError(`Review queue ${config.queueId} does not exist in this organization`);
  const all = await sql<RubricRow[]>`
    select id, name, version, kind, description, min_value, max_value, step, levels, categories, multi
    from public.score_configs where org_id = ${job.org_id} and id = any(${queue.score_config_ids}::uuid[])
    order by array_position(${queue.score_config_ids}::uuid[], id)`;
  const notInQueue = config.scoreConfigIds.filter((id) => !all.some((r) => r.id === id));
  if (notInQueue.length) throw new PermanentError(`Not rubrics of this queue: ${notInQueue.join(", ")}`);
  const chosen = config.scoreConfigIds.length ? all.filter((r) => config.scoreConfigIds.includes(r.id)) : all;
  const skipped: string[] = chosen.filter((r) => r.kind === "text").map((r) => `${r.name}: free text has no agreement to measure`);
  const rubrics = chosen.filter((r) => r.kind !== "text");
  if (!rubrics.length) throw new PermanentError("None of the chosen rubrics can be judged (free text only)");

  const items = await sql<ItemRow[]>`
    select id, position, query, response, output_a, output_b, is_pairwise from public.review_items
    where queue_id = ${queue.id} order by position limit ${config.maxItems}`;
  // A preference needs two outputs; any other rubric scores one answer.
  const tasks: Task[] = items.flatMap((item) => rubrics.filter((r) => (r.kind === "preference") === !!item.is_pairwise).map((rubric) => ({ item, rubric })));
  for (const r of rubrics) if (!tasks.some((t) => t.rubric.id === r.id)) skipped.push(`${r.name}: no item of this queue fits a ${r.kind} rubric`);
  if (!tasks.length) throw new PermanentError("Nothing to judge: the queue has no items its rubrics fit");

  const rubricLive = await resolveLivePrompt(sqlPromptSource(sql), job.org_id, "judge-rubric", deps.llm.route);
  const pairLive = rubrics.some((r) => r.kind === "preference") ? await resolveLivePrompt(sqlPromptSource(sql), job.org_id, "judge-pairwise", deps.llm.route) : null;
  const judgeModel = config.judgeModel ?? rubricLive.model;

  const stored = new Set((await sql<{ k: string }[]>`select item_id || '/' || score_config_id as k from public.judge_scores where job_id = ${job.id}`).map((r) => r.k));
  const todo = tasks.filter((t) => !stored.has(`${t.item.id}/${t.rubric.id}`));
  await ctx.progress({
    percent: (90 * stored.size) / tasks.length,
    step: "judge",
    message: `${items.length} items × ${rubrics.length} rubric${rubrics.length === 1 ? "" : "s"} of "${queue.name}", judged by ${judgeModel}${stored.size ? `; resuming after ${stored.size} stored` : ""}`,
  });

  const limiter = createLimiter({ concurrency: config.concurrency, perMinute: config.requestsPerMinute ?? deps.env.LLM_REQUESTS_PER_MINUTE });
  let done = stored.size;
  let failed = 0;
  let firstError: unknown = null;
  const every = Math.max(1, Math.ceil(tasks.length / 40));
  let reported: Promise<void> = Promise.resolve();
  const run = async (t: Task) => {
    const usage: Usage = { costUsd: 0, inputTokens: 0, outputTokens: 0 };
    try {
      const verdict = t.rubric.kind === "preference"
        ? await judgePreference(deps, limiter, job, pairLive!, judgeModel, t, usage, ctx.signal)
        : await judgeOne(deps, limiter, job, rubricLive, judgeModel, t, usage, ctx.signal);
      await sql`
        insert into public.judge_scores (org_id, job_id, queue_id, item_id, score_config_id, value, rationale, model, cost_usd, input_tokens, output_tokens)
        values (${job.org_id}, ${job.id}, ${queue.id}, ${t.item.id}, ${t.rubric.id}, ${sql.json(verdict.value as never)}, ${verdict.reason.slice(0, 4000)}, ${judgeModel},
                ${usage.costUsd}, ${usage.inputTokens}, ${usage.outputTokens})
        on conflict (job_id, item_id, score_config_id) do nothing`;
    } catch (err) {
      ctx.signal.throwIfAborted();
      if (!isLlmError(err)) throw err;
      // A judge answer that stays invalid is this item's failure, not the run's.
      failed++;
      firstError ??= err;
    }
    done++;
    if (done % every === 0 || done === tasks.length) {
      const update = { percent: (90 * done) / tasks.length, step: "judge", message: `${done}/${tasks.length} judged${failed ? `, ${failed} without a valid answer` : ""}`, metrics: { done, total: tasks.length, failed } };
      reported = reported.then(() => ctx.progress(update));
      await reported;
    }
  };
  const settled = await Promise.allSettled(todo.map(run));
  const crashed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (crashed) {
    ctx.signal.throwIfAborted();
    throw crashed.reason;
  }
  if (failed === todo.length && todo.length > 0) {
    throw new Error(`The judge gave no valid answer for any of the ${todo.length} items: ${firstError instanceof Error ? firstError.message : String(firstError)}`);
  }

  // Agreement from every stored row: the judge's values (earlier attempts included) and all human scores.
  const [scores, adjudications, judged] = await Promise.all([
    sql<ScoreRow[]>`select item_id, reviewer_id, score_config_id, value from public.scores where queue_id = ${queue.id} order by id`,
    sql<AdjudicationRow[]>`select item_id, score_config_id, value from public.adjudications where queue_id = ${queue.id} order by id`,
    sql<{ item_id: string; score_config_id: string; value: unknown; cost_usd: string }[]>`
      select item_id, score_config_id, value, cost_usd from public.judge_scores where job_id = ${job.id} order by id`,
  ]);
  await ctx.progress({ percent: 95, step: "agreement", message: `Comparing ${judged.length} judge values with the consensus of ${scores.length} human ratings` });
  const agreement = judgeVsHuman(rubrics, scores, adjudications, judged, { seed: queue.id, resamples: 1000 });
  const num = (x: number | null) => (x === null || !Number.isFinite(x) ? null : round(x, 4));
  const result: ReviewJudgeResult = {
    queueId: queue.id,
    judgeModel,
    promptVersionIds: { rubric: rubricLive.versionId, pairwise: pairLive?.versionId ?? null },
    items: new Set(tasks.map((t) => t.item.id)).size,
    judged: judged.length,
    failed,
    costUsd: round(judged.reduce((s, r) => s + Number(r.cost_usd), 0), 8) ?? 0,
    agreement: agreement.map((a) => ({
      ...a,
      rubricName: rubrics.find((r) => r.id === a.rubricId)!.name,
      alpha: { estimate: num(a.alpha.estimate), lower: num(a.alpha.lower), upper: num(a.alpha.upper) },
      kappa: num(a.kappa),
      exact: num(a.exact),
    })),
    skipped,
  };
  await ctx.progress({
    percent: 99,
    step: "agreement",
    message: result.agreement.map((a) => `${a.rubricName}: α ${a.alpha.estimate ?? "—"} over ${a.n} items`).join("; ") || "No item has both a judge value and a human consensus yet",
    metrics: Object.fromEntries(result.agreement.map((a) => [a.rubricName, a.alpha.estimate])),
  });
  return result;
}

/** The LLM client with each call counted into `usage` and logged under the review judge's name. */
function metered(deps: HandlerDeps, usage: Usage, meta: Record<string, unknown>): HandlerDeps {
  return {
    ...deps,
    llm: {
      route: deps.llm.route,
      complete: async (req) => {
        const r = await deps.llm.complete({
          ...req,
          context: { ...req.context, functionName: "worker:review-judge", traceName: "review-judge", tags: ["review-judge"], metadata: { ...(req.context.metadata ?? {}), ...meta } },
        });
        usage.costUsd += r.costUsd ?? 0;
        usage.inputTokens += r.usage.inputTokens;
        usage.outputTokens += r.usage.outputTokens;
        return r;
      },
    },
  };
}

async function judgeOne(deps: HandlerDeps, limiter: Limiter, job: { id: string; org_id: string }, live: LivePrompt, model: string, t: Task, usage: Usage, signal: AbortSignal) {
  const scale = scaleOf(t.rubric);
  const values = judgeRubricValues({ query: t.item.query, answer: t.item.response, rubricName: t.rubric.name, rubricDescription: t.rubric.description, scale });
  // live.parts is the organization's production version, or the built-in default: one renderer for both.
  const { system, user } = renderPrompt(live.parts!, values);
  const d = metered(deps, usage, { jobId: job.id, itemId: t.item.id, rubricId: t.rubric.id });
  // An answer that is not the JSON asked for, or not a value the rubric allows, is asked once more.
  for (let attempt = 1; ; attempt++) {
    const r = await limiter.run(
      () => d.llm.complete({ model, system: system || undefined, messages: [{ role: "user", content: user }], maxTokens: Number(live.params.max_tokens ?? 300), context: { functionName: "worker:review-judge", promptVersionId: live.versionId }, logOrgId: job.org_id, signal }),
      signal,
    );
    try {
      const v = parseJsonOutput(JudgeRubricVerdict, r.text);
      const value = rubricValue(scale, v.value);
      if (value === null) throw new LlmError("llm_bad_output", `"${t.rubric.name}" needs a valid ${scale.kind} value; the judge answered ${JSON.stringify(v.value)}`);
      return { value, reason: v.reason };
    } catch (err) {
      if (attempt >= 2 || !isLlmError(err)) throw err;
    }
  }
}

async function judgePreference(deps: HandlerDeps, limiter: Limiter, job: { id: string; org_id: string }, live: LivePrompt, model: string, t: Task, usage: Usage, signal: AbortSignal) {
  const d = metered(deps, usage, { jobId: job.id, itemId: t.item.id, rubricId: t.rubric.id });
  const item = { index: t.item.position, exampleId: null, query: t.item.query, reference: null, badAnswer: null };
  // Both orders, as the A/B gate judges: a position bias cancels out.
  const [ab, ba] = await Promise.all([
    judgePairwise(d, limiter, job.org_id, model, live, item, t.item.output_a ?? "", t.item.output_b ?? "", "AB", signal),
    judgePairwise(d, limiter, job.org_id, model, live, item, t.item.output_b ?? "", t.item.output_a ?? "", "BA", signal),
  ]);
  const s = debiasedJudgeScore(ab.winner, ba.winner);
  return { value: s > 0 ? "B" : s < 0 ? "A" : "tie", reason: `${ab.reason} / swapped: ${ba.reason}` };
}
