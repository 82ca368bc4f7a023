import { setMaxListeners } from "node:events";
import { EXPERIMENT_STOPPED_AT_COST_CAP, ExperimentConfig, type ExperimentSpend } from "@review/shared/jobs/config";
import type { Evaluator, RubricJudgeConfig } from "@review/shared/datasets/evaluators";
import { judgeWithRubric } from "@review/shared/datasets/rubric-judge";
import { summarizeExperiment, type ExperimentSummary, type ResultRow } from "@review/shared/datasets/summary";
import { isLlmError } from "@review/shared/llm/errors";
import { tryParseModelRef } from "@review/shared/llm/providers";
import { renderPrompt, resolveLivePrompt, type LivePrompt } from "@review/shared/prompts/live";
import { createBatcher } from "../../lib/batch.ts";
import { createLimiter, type Limiter } from "../../lib/limiter.ts";
import { PermanentError, type ClaimedJob, type JobContext } from "../../queue/types.ts";
import { loadJob, type HandlerDeps } from "../common.ts";
import { debiasedJudgeScore } from "../ab-eval/analysis.ts";
import { itemValues, judge, resolveVariant, sqlPromptSource, type ResolvedVariant } from "../ab-eval/handler.ts";
import { loadEvaluators, scoreOutput, type JudgeEvaluator } from "./score.ts";

/** Thrown inside a limiter slot when the cap was reached while the call waited for it. */
class CostCapReached extends Error {}

/** Charges one judge call's cost (null: a model without a price) to the output being scored and to the cap. */
type Charge = (usd: number | null) => void;
type Item = { id: string; position: number; query: string; context: string | null; variables: Record<string, unknown>; expected: string | null };
/** judge_cost_usd: what the output's judges cost (null: no judge ran). */
type Stored = { item_id: string; variant: number; output: string; cost_usd: number | null; judge_cost_usd: number | null; latency_ms: number | null; error: string | null; scores: Record<string, number | null> };
/** score_details: per rubric judge, its raw value on the scale, label and reason (the score is it normalized). */
type NewRow = Stored & { input_tokens: number | null; output_tokens: number | null; score_details?: Record<string, unknown> | null };

export type ExperimentResult = ExperimentSpend & {
  experimentId: string;
  variants: Array<{ label: string; model: string; promptVersionId: string | null }>;
  evaluators: Array<{ id: string; name: string; version: number; kind: string }>;
  ranThisAttempt: number;
  skippedStored: number;
  retries429: number;
  summary: ExperimentSummary;
};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });

/** Exponential backoff with full jitter for a 429, at least what the provider asked for (Retry-After). */
export function backoffMs(attempt: number, retryAfterMs: number | undefined, rng: () => number = Math.random): number {
  const cap = Math.min(30_000, 250 * 2 ** attempt);
  return Math.max(retryAfterMs ?? 0, Math.round(cap / 2 + (rng() * cap) / 2));
}

/**
 * An experiment: every variant answers every item of one published dataset version, each output is
 * scored by the experiment's evaluators, and one row per (item, variant) lands in experiment_results as
 * it finishes. That row is the checkpoint: a resumed or re-claimed run skips the pairs stored, so no
 * item is ever generated (or paid for) twice. Rows finishing together are written by one statement
 * (lib/batch.ts); an output counts as finished only once its row is written, and a cancel waits for the
 * rows already finished, so nothing paid for is lost. Calls go through one limiter per provider (concurrency and
 * requests per minute); a 429 is retried with backoff through the same limiter; a cost cap stops new
 * calls. The statistics (shared/src/datasets/summary.ts) are computed from the stored rows.
 */
export async function runExperiment(deps: HandlerDeps, entry: ClaimedJob, ctx: JobContext): Promise<ExperimentResult> {
  const { sql } = deps;
  const { job, config } = await loadJob(sql, entry, ExperimentConfig);
  // Every call in flight (and every backoff) listens for the cancel.
  setMaxListeners(0, ctx.signal);
  const [exp] = await sql<{ id: string; dataset_version_id: string }[]>`select id, dataset_version_id from public.experiments where job_id = ${job.id}`;
  if (!exp) throw new PermanentError("This experiment job has no experiment row");
  const items = await sql<Item[]>`
    select id, position, query, context, variables, expected from public.dataset_items where version_id = ${exp.dataset_version_id} order by position`;
  if (!items.length) throw new PermanentError("The dataset version has no items");

  const evaluators: Evaluator[] = await loadEvaluators(sql, job.org_id, config.evaluatorIds);
  const variants = await Promise.all(config.variants.map((v, i) => resolveVariant(deps, job.org_id, v, `V${i + 1}`)));
  if (variants.some((v) => !v.model)) throw new PermanentError("Each variant needs a model (directly or from its prompt version)");
  const needsJudge = evaluators.some((e) => e.kind === "llm_judge" && e.config.mode !== "rubric");
  const judgeLive: LivePrompt | null = needsJudge ? await resolveLivePrompt(sqlPromptSource(sql), job.org_id, "judge-pairwise", deps.llm.route) : null;
  const needsRubric = evaluators.some((e) => e.kind === "llm_judge" && e.config.mode === "rubric");
  const rubricLive: LivePrompt | null = needsRubric ? await resolveLivePrompt(sqlPromptSource(sql), job.org_id, "judge-rubric", deps.llm.route) : null;

  // One limiter per provider: a slow or strict provider does not hold back the others.
  const limiters = new Map<string, Limiter>();
  const limiterFor = (model: string) => {
    const provider = tryParseModelRef(model)?.provider ?? "unknown";
    let l = limiters.get(provider);
    if (!l) {
      const lim = config.providerLimits[provider] ?? config.defaultLimit;
      l = createLimiter({ concurrency: lim.concurrency, perMinute: lim.requestsPerMinute });
      limiters.set(provider, l);
    }
    return l;
  };

  let retries429 = 0;
  /** `call` runs once per attempt, each time through the limiter (so a retry waits its turn and its token). */
  async function with429Retry<T>(limiter: Limiter, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (!isLlmError(err) || err.code !== "llm_rate_limited" || attempt >= config.maxRetries) throw err;
        ctx.signal.throwIfAborted();
        retries429++;
        if (err.retryAfterMs !== undefined) limiter.backOff(err.retryAfterMs);
        await sleep(backoffMs(attempt, err.retryAfterMs), ctx.signal);
      }
    }
  }

  const readStored = () => sql<Stored[]>`
    select item_id, variant, output, cost_usd::float8 as cost_usd, judge_cost_usd::float8 as judge_cost_usd, latency_ms, error, scores
      from public.experiment_results where experiment_id = ${exp.id}`;
  const stored = await readStored();
  const done = new Map(stored.map((r) => [`${r.item_id}:${r.variant}`, r]));
  const results = createBatcher<NewRow>(async (batch) => {
    await sql`
      insert into public.experiment_results (org_id, experiment_id, item_id, variant, output, scores, cost_usd, latency_ms, input_tokens, output_tokens, error, score_details, judge_cost_usd)
      select ${job.org_id}, ${exp.id}, item_id, variant, output, scores, cost_usd, latency_ms, input_tokens, output_tokens, error, coalesce(score_details, '{}'::jsonb), judge_cost_usd
        from jsonb_to_recordset(${sql.json(batch as never)}) as x(
          item_id uuid, variant integer, output text, scores jsonb, cost_usd numeric, latency_ms integer, input_tokens integer, output_tokens integer, error text, score_details jsonb, judge_cost_usd numeric)
      on conflict (experiment_id, item_id, variant) do nothing`;
  });
  const total = items.length * variants.length;
  // The cap counts everything paid for: the outputs and their judges, including an earlier attempt's.
  let judgeSpent = stored.reduce((s, r) => s + (r.judge_cost_usd ?? 0), 0);
  let spent = stored.reduce((s, r) => s + (r.cost_usd ?? 0), 0) + judgeSpent;
  const spentText = () => `$${spent.toFixed(4)} spent${judgeSpent > 0 ? ` (judges $${judgeSpent.toFixed(4)})` : ""}`;
  let stopped = null as ExperimentResult["stopped"];
  let finished = done.size;
  let ran = 0;
  const every = Math.max(1, Math.ceil(total / 40));
  await ctx.progress({
    percent: (95 * finished) / total,
    step: "run",
    message: `${items.length} items × ${variants.length} variants (${variants.map((v) => `${v.label}: ${v.model}`).join("; ")}), ${evaluators.length} evaluator${evaluators.length === 1 ? "" : "s"}${finished ? `; resuming after ${finished} stored` : ""}`,
    metrics: { done: finished, total },
  });

  let reported: Promise<void> = Promise.resolve();
  const report = () => {
    finished++;
    const line = finished % every === 0 || finished === total;
    const update = {
      percent: (95 * finished) / total,
      step: "run",
      ...(line ? { message: `${finished}/${total} outputs scored, ${spentText()}`, metrics: { done: finished, total, costUsd: spent, judgeCostUsd: judgeSpent, retries429 } } : {}),
    };
    reported = reported.then(() => ctx.progress(update));
    return reported;
  };

  const values = (item: Item) => ({ ...itemValues({ index: item.position, exampleId: null, query: item.query, reference: item.expected, badAnswer: null }), context: item.context ?? "", expected: item.expected ?? "", ...item.variables });
  const evalItem = (item: Item) => ({ index: item.position, exampleId: null, query: item.query, reference: item.expected, badAnswer: null });

  /** The deps a judge calls through: every answered call, retries included, is charged to `charge`. */
  const charging = (charge: Charge): HandlerDeps => ({ ...deps, llm: { ...deps.llm, complete: (req) => deps.llm.complete(req).then((r) => (charge(r.costUsd), r)) } });

  async function judgeScore(e: JudgeEvaluator, item: Item, output: string, against: string, charge: Charge): Promise<number> {
    const model = e.config.model ?? config.judgeModel ?? judgeLive!.model;
    const l = limiterFor(model);
    const d = charging(charge);
    // Both orders, as the A/B worker does: a judge that favours a position cancels out.
    const [ab, ba] = await Promise.all([
      with429Retry(l, () => judge(d, l, job.org_id, model, judgeLive!, evalItem(item), against, output, "AB", ctx.signal, e.config.rubric)),
      with429Retry(l, () => judge(d, l, job.org_id, model, judgeLive!, evalItem(item), output, against, "BA", ctx.signal, e.config.rubric)),
    ]);
    return debiasedJudgeScore(ab.winner, ba.winner);
  }

  /** A rubric judge on one output (rubric-judge.ts, the review judge's prompt); null when its answer stays off the scale. */
  async function rubricScore(e: JudgeEvaluator, item: Item, output: string, details: Record<string, unknown>, charge: Charge): Promise<number | null> {
    const model = e.config.model ?? config.judgeModel ?? rubricLive!.model;
    const l = limiterFor(model);
    const d = charging(charge);
    try {
      const j = await judgeWithRubric(
        (r) => with429Retry(l, () => l.run(() => d.llm.complete({
          model, system: r.system || undefined, messages: [{ role: "user", content: r.user }], maxTokens: r.maxTokens,
          context: { functionName: "worker:experiment-judge", promptVersionId: rubricLive!.versionId, traceName: "experiment-judge", metadata: { experimentJobId: job.id, itemId: item.id, evaluator: e.name } },
          logOrgId: job.org_id, deferLog: true, signal: ctx.signal,
        }), ctx.signal)),
        rubricLive!, e.name, e.config as RubricJudgeConfig, { query: item.query, output, expected: item.expected },
      );
      details[e.name] = { raw: j.raw, label: j.label, reason: j.reason, usedReference: j.usedReference, model };
      return j.score;
    } catch (err) {
      if (isLlmError(err) && err.code === "llm_bad_output") {
        details[e.name] = { reason: `the judge gave no valid answer: ${err.message}`.slice(0, 500), model };
        return null;
      }
      throw err;
    }
  }

  const capReached = () => config.costCapUsd !== undefined && spent >= config.costCapUsd;

  /** Generates and scores one (item, variant) and stores it; returns the stored row (null: not run, the cost cap). */
  async function produce(item: Item, vals: Record<string, unknown>, vi: number, baselineOutput: string | null): Promise<Stored | null> {
    if (capReached()) {
      stopped = EXPERIMENT_STOPPED_AT_COST_CAP;
      return null;
    }
    const v: ResolvedVariant = variants[vi]!;
    const { system, user } = renderPrompt(v.parts, vals);
    let row: Stored;
    // Known as soon as paid, so a row stored for a failure still carries what was spent on it.
    let outputCost: number | null = null;
    let judgeCost: number | null = null;
    const charge: Charge = (usd) => {
      judgeCost = (judgeCost ?? 0) + (usd ?? 0);
      judgeSpent += usd ?? 0;
      spent += usd ?? 0;
    };
    try {
      const limiter = limiterFor(v.model);
      const r = await with429Retry(limiter, () =>
        limiter.run(
          () => {
            // Asked again once the call has its slot: every output of the run is queued at the start, so
            // a check made only then would let all of them through before the first had been paid for.
            if (capReached()) throw new CostCapReached();
            return deps.llm.complete({
              model: v.model,
              system: system || undefined,
              messages: [{ role: "user", content: user }],
              maxTokens: config.maxTokens,
              context: { functionName: "worker:experiment", promptVersionId: v.promptVersionId },
              logOrgId: job.org_id,
              // The ai_requests row is written after the slot is free; the handler drains before it ends.
              deferLog: true,
              signal: ctx.signal,
            });
          },
          ctx.signal,
        ),
      );
      outputCost = r.costUsd;
      spent += r.costUsd ?? 0;
      const scores: Record<string, number | null> = {};
      const details: Record<string, unknown> = {};
      for (const e of evaluators) {
        scores[e.name] = await scoreOutput(e, {
          output: r.text, expected: item.expected, latencyMs: Math.round(r.latencyMs), costUsd: r.costUsd,
          baseline: { isBaseline: vi === config.baseline, output: baselineOutput },
          judge: (j, against) => judgeScore(j, item, r.text, against, charge),
          rubricJudge: (j) => rubricScore(j, item, r.text, details, charge),
        });
      }
      row = { item_id: item.id, variant: vi, output: r.text, cost_usd: r.costUsd, judge_cost_usd: judgeCost, latency_ms: Math.round(r.latencyMs), error: null, scores };
      await results.add({ ...row, input_tokens: r.usage.inputTokens, output_tokens: r.usage.outputTokens, score_details: Object.keys(details).length ? details : null });
    } catch (err) {
      if (err instanceof CostCapReached) {
        stopped = EXPERIMENT_STOPPED_AT_COST_CAP;
        return null;
      }
      // A cancel, a lost lease or 429s beyond the retries: nothing stored, so a resume runs it.
      if (ctx.signal.aborted || !isLlmError(err) || err.code === "llm_rate_limited") throw err;
      // Any other LLM failure is this output's result (the comparison shows it as a regression).
      row = { item_id: item.id, variant: vi, output: "", cost_usd: outputCost, judge_cost_usd: judgeCost, latency_ms: null, error: `${err.code}: ${err.message}`.slice(0, 500), scores: {} };
      await results.add({ ...row, input_tokens: null, output_tokens: null });
    }
    ran++;
    await report();
    return row;
  }

  const runItem = async (item: Item) => {
    const key = (vi: number) => `${item.id}:${vi}`;
    const vals = values(item);
    let base = done.get(key(config.baseline)) ?? null;
    if (!base) base = await produce(item, vals, config.baseline, null);
    const baselineOutput = base && !base.error ? base.output : null;
    await Promise.all(variants.map((_, vi) => (vi === config.baseline || done.has(key(vi)) ? null : produce(item, vals, vi, baselineOutput))));
  };
  let settled: PromiseSettledResult<void>[];
  try {
    settled = await Promise.allSettled(items.map(runItem));
  } finally {
    // Each output awaited its own row, so this only covers a write still settling; then the calls' log rows.
    await results.drain();
    await deps.llm.flushLog?.();
  }
  const failed = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed.length) {
    ctx.signal.throwIfAborted();
    const first = failed[0]!.reason;
    if (first instanceof PermanentError) throw first;
    const msg = first instanceof Error ? first.message : String(first);
    throw new Error(`${failed.length} items could not finish (the outputs stored are kept for the retry): ${msg}`, { cause: first });
  }

  const rows = await readStored();
  const summary = summarizeExperiment(
    rows.map((r): ResultRow => ({ itemId: r.item_id, variant: r.variant, scores: r.scores, costUsd: r.cost_usd, latencyMs: r.latency_ms, error: r.error })),
    { variants: variants.map((v) => v.label), metrics: evaluators.map((e) => e.name), baseline: config.baseline, items: items.length, seed: config.seed },
  );
  await sql`update public.experiments set summary = ${sql.json(summary as never)} where id = ${exp.id}`;
  await ctx.progress({
    percent: 99,
    step: "summary",
    message: stopped === EXPERIMENT_STOPPED_AT_COST_CAP
      ? `Stopped at the cost cap ($${config.costCapUsd}): ${rows.length}/${total} outputs scored, ${spentText()}`
      : `All ${total} outputs scored; ${summary.comparisons.filter((c) => c.significant).length} significant difference(s) against ${variants[config.baseline]!.label} after Holm's correction`,
    metrics: { done: rows.length, total, costUsd: spent, judgeCostUsd: judgeSpent, retries429 },
  });
  return {
    experimentId: exp.id,
    variants: variants.map((v) => ({ label: v.label, model: v.model, promptVersionId: v.promptVersionId })),
    evaluators: evaluators.map((e) => ({ id: e.id, name: e.name, version: e.version, kind: e.kind })),
    ranThisAttempt: ran,
    skippedStored: done.size,
    retries429,
    stopped,
    // From the rows stored: what every attempt paid for and kept.
    costUsd: rows.reduce((sum, r) => sum + (r.cost_usd ?? 0) + (r.judge_cost_usd ?? 0), 0),
    judgeCostUsd: rows.reduce((sum, r) => sum + (r.judge_cost_usd ?? 0), 0),
    summary,
  };
}
