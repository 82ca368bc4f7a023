import { AbEvalConfig, type Variant } from "@review/shared/jobs/config";
import { JudgeVerdict, parseFineTunedModelId, parseJsonOutput, type OfflineTask } from "@review/shared/llm/offline-protocol";
import { modelForVersion, normalizeVariables, renderPrompt, resolveLivePrompt, taskOfSlug, type LivePrompt, type LivePromptSource, type PromptTemplateParts, type PromptVersionRow } from "@review/shared/prompts/live";
import { isLlmError } from "@review/shared/llm/errors";
import { judgeRequestParts } from "@review/shared/datasets/judge";
import { seededRng, shuffled, rougeL, tokenF1, winRate } from "@review/shared/stats/index";
import { createLimiter, type Limiter } from "../../lib/limiter.ts";
import { PermanentError, type ClaimedJob, type JobContext } from "../../queue/types.ts";
import { loadJob, type HandlerDeps } from "../common.ts";
import { analyze, debiasedJudgeScore, type AbAnalysis, type ItemResult, type JudgeVerdictRecord, type VariantMetrics } from "./analysis.ts";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export type ResolvedVariant = {
  label: string;
  model: string;
  /** The templates this variant renders (a version's, or the bare question for a model alone). */
  parts: PromptTemplateParts;
  /** The task its prompt is named after (decides which values it is rendered with), if any. */
  task: OfflineTask | null;
  promptVersionId: string | null;
  promptId: string | null;
  promptStatus: string | null;
  modelRowId: string | null;
};

export type EvalItem = { index: number; exampleId: string | null; query: string; reference: string | null; badAnswer: string | null };

export type AbEvalResult = {
  variants: { a: Omit<ResolvedVariant, "parts">; b: Omit<ResolvedVariant, "parts"> };
  judgeModel: string;
  judgePromptVersionId: string | null;
  analysis: AbAnalysis;
  decision: { promoted: boolean; action: string | null; reasons: string[] };
};

type VersionRow = PromptVersionRow & { status: string; slug: string };

/** Production versions for the resolver, read as the worker (the job's organization only). */
export function sqlPromptSource(sql: HandlerDeps["sql"]): LivePromptSource {
  return {
    async production(orgId, slug) {
      const [v] = await sql<PromptVersionRow[]>`
        select v.id, v.prompt_id, v.version, v.system_template, v.template, v.variables, v.model, v.params
        from public.prompt_versions v join public.prompts p on p.id = v.prompt_id
        where p.org_id = ${orgId} and p.slug = ${slug} and v.status = 'production'`;
      return v ?? null;
    },
  };
}

const BARE_QUESTION: PromptTemplateParts = { system_template: "", template: "{{query}}", variables: [{ name: "query", type: "string", required: true }] };

export async function resolveVariant(deps: HandlerDeps, orgId: string, v: Variant, fallbackLabel: string): Promise<ResolvedVariant> {
  let out: ResolvedVariant = { label: v.label ?? fallbackLabel, model: v.model ?? "", parts: BARE_QUESTION, task: null, promptVersionId: null, promptId: null, promptStatus: null, modelRowId: null };
  let versionId = v.promptVersionId ?? null;
  if (v.live) {
    // Whatever production serves for this prompt now, resolved as every call site resolves it.
    const task = taskOfSlug(v.live);
    const live = await sqlPromptSource(deps.sql).production(orgId, v.live);
    if (live) versionId = live.id;
    else if (task) {
      const resolved = await resolveLivePrompt(sqlPromptSource(deps.sql), orgId, task, deps.llm.route);
      return { ...out, label: v.label ?? `${fallbackLabel} (built-in ${task})`, model: v.model ?? resolved.model, parts: resolved.parts ?? BARE_QUESTION, task };
    } else throw new PermanentError(`There is no production version of prompt "${v.live}" in this organization`);
  }
  if (versionId) {
    const [pv] = await deps.sql<VersionRow[]>`
      select v.id, v.prompt_id, v.version, v.system_template, v.template, v.variables, v.model, v.params, v.status::text, p.slug
      from public.prompt_versions v join public.prompts p on p.id = v.prompt_id
      where v.id = ${versionId} and v.org_id = ${orgId}`;
    if (!pv) throw new PermanentError(`Prompt version ${versionId} does not exist in this organization`);
    const task = taskOfSlug(pv.slug);
    out = {
      ...out,
      label: v.label ?? `${fallbackLabel} (v${pv.version})`,
      // The same model choice as production makes for this version (routing.ts and live.ts).
      model: v.model ?? (task ? modelForVersion(deps.llm.route, task, pv.model) : pv.model),
      parts: { system_template: pv.system_template, template: pv.template, variables: normalizeVariables(pv.variables) },
      task,
      promptVersionId: pv.id,
      promptId: pv.prompt_id,
      promptStatus: pv.status,
    };
  }
  const ftId = parseFineTunedModelId(out.model);
  const [m] = await deps.sql<{ id: string }[]>`
    select id from public.models where org_id = ${orgId} and (served_model = ${out.model} or id = ${ftId ?? "00000000-0000-0000-0000-000000000000"})`;
  if (ftId && !m) throw new PermanentError(`Model ${out.model} does not exist in this organization`);
  out.modelRowId = m?.id ?? null;
  return out;
}

/** The values an evaluation item supplies to a variant's templates (and to a judge prompt). */
export function itemValues(item: EvalItem): Record<string, unknown> {
  return {
    query: item.query,
    question: item.query,
    input: item.query,
    bad_answer: item.badAnswer ?? "",
    notes: "(none)",
    comment: "",
    instructions: "",
    rating: "",
  };
}

async function loadItems(deps: HandlerDeps, orgId: string, cfg: AbEvalConfig): Promise<EvalItem[]> {
  const set = cfg.evalSet;
  if (set.source === "curated") {
    return set.items.map((it, index) => ({ index, exampleId: null, query: it.query, reference: it.reference ?? null, badAnswer: it.badAnswer ?? null }));
  }
  // An approved example that came from a case carries the answer it improved on (suggest-answer's input).
  type Row = { id: string; query: string; answer: string; bad_answer: string | null };
  let rows: Row[];
  if (set.holdoutOfJobId) {
    // The fine-tune's own held-out split: its model never saw these answers.
    const [m] = await deps.sql<{ ids: string[] | null }[]>`
      select array(select jsonb_array_elements_text(dataset_snapshot -> 'validationIds')) as ids
      from public.models where job_id = ${set.holdoutOfJobId} and org_id = ${orgId}`;
    if (!m?.ids?.length) throw new PermanentError(`Fine-tune job ${set.holdoutOfJobId} has no model with a held-out split in this organization`);
    rows = await deps.sql<Row[]>`
      select t.id::text, t.query, t.answer, c.bad_response as bad_answer
      from public.training_examples t left join public.improvement_cases c on c.id = t.source_case_id and c.org_id = t.org_id
      where t.org_id = ${orgId} and t.id = any(array(select jsonb_array_elements_text(${deps.sql.json(m.ids)}))::uuid[]) order by t.id`;
  } else {
    rows = await deps.sql<Row[]>`
      select t.id::text, t.query, t.answer, c.bad_response as bad_answer
      from public.training_examples t left join public.improvement_cases c on c.id = t.source_case_id and c.org_id = t.org_id
      where t.org_id = ${orgId} and (${set.tags.length === 0} or t.tags && array(select jsonb_array_elements_text(${deps.sql.json(set.tags)}))) order by t.id`;
  }
  // A seeded sample, so re-running the same evaluation scores the same items in the same order.
  const picked = shuffled(rows, seededRng(cfg.seed)).slice(0, set.source === "training_examples" ? set.limit : rows.length);
  return picked.map((r, index) => ({ index, exampleId: r.id, query: r.query, reference: r.answer, badAnswer: r.bad_answer }));
}

/**
 * A/B evaluation: both variants answer every item, reference metrics (token F1, ROUGE-L) and a pairwise
 * judge in both orders score them, per-item rows land in eval_results as they finish (the drill-down,
 * and the checkpoint: a re-claimed run skips stored items), then the gate decides on the aggregate.
 */
export async function runAbEval(deps: HandlerDeps, entry: ClaimedJob, ctx: JobContext): Promise<AbEvalResult> {
  const { sql } = deps;
  const { job, config } = await loadJob(sql, entry, AbEvalConfig);
  const [a, b] = await Promise.all([resolveVariant(deps, job.org_id, config.variantA, "A"), resolveVariant(deps, job.org_id, config.variantB, "B")]);
  if (!a.model || !b.model) throw new PermanentError("Each variant needs a model (directly or from its prompt version)");
  const items = await loadItems(deps, job.org_id, config);
  if (!items.length) throw new PermanentError("The evaluation set is empty");
  if (config.primaryMetric !== "judge" && items.some((i) => !i.reference)) {
    throw new PermanentError(`primaryMetric ${config.primaryMetric} needs a reference answer for every item`);
  }
  // The judge is a task like any other: the organization's production judge prompt, else the built-in one.
  const judgeLive = await resolveLivePrompt(sqlPromptSource(sql), job.org_id, "judge-pairwise", deps.llm.route);
  const judgeModel = config.judgeModel ?? judgeLive.model;

  const stored = await sql<{ item_index: number; judge_score: number | null }[]>`select item_index, judge_score from public.eval_results where job_id = ${job.id} order by id`;
  const done = new Set(stored.map((r) => r.item_index));
  const todo = items.filter((i) => !done.has(i.index));
  await ctx.progress({
    percent: (100 * done.size) / items.length * 0.95,
    step: "evaluate",
    message: `${items.length} items, ${a.label} (${a.model}) vs ${b.label} (${b.model}), judged by ${judgeModel}${done.size ? `; resuming after ${done.size} stored` : ""}`,
  });

  const limiter = createLimiter({ concurrency: config.concurrency, perMinute: config.requestsPerMinute ?? deps.env.LLM_REQUESTS_PER_MINUTE });
  let finished = done.size;
  // B's running win rate over the items scored so far (stored ones included), in completion order.
  const scores = stored.map((r) => r.judge_score ?? Number.NaN);
  // A line every item for a small set, about 40 lines for a large one; the bar moves on every item.
  const every = Math.max(1, Math.ceil(items.length / 40));
  // Items finish concurrently; their reports go out one at a time, in the order they were counted.
  let reported: Promise<void> = Promise.resolve();
  const scoreItem = async (item: EvalItem) => {
    const [outA, outB] = await Promise.all([generate(deps, limiter, job.org_id, a, item, config.maxTokens, ctx.signal), generate(deps, limiter, job.org_id, b, item, config.maxTokens, ctx.signal)]);
    const [ab, ba] = await Promise.all([
      judge(deps, limiter, job.org_id, judgeModel, judgeLive, item, outA.text, outB.text, "AB", ctx.signal),
      judge(deps, limiter, job.org_id, judgeModel, judgeLive, item, outB.text, outA.text, "BA", ctx.signal),
    ]);
    const judgeScore = debiasedJudgeScore(ab.winner, ba.winner);
    await sql`
      insert into public.eval_results (job_id, org_id, item_index, example_id, query, reference, output_a, output_b, metrics, judge, judge_score)
      values (${job.id}, ${job.org_id}, ${item.index}, ${item.exampleId}, ${item.query}, ${item.reference}, ${outA.text}, ${outB.text},
              ${sql.json({ a: outA.metrics, b: outB.metrics } as never)}, ${sql.json([ab, ba] as never)}, ${judgeScore})
      on conflict (job_id, item_index) do nothing`;
    finished++;
    scores.push(judgeScore);
    const line = finished % every === 0 || finished === items.length;
    const w = line ? winRate(scores) : null;
    const update = {
      percent: (95 * finished) / items.length,
      step: "evaluate",
      ...(w
        ? {
            message: `${finished}/${items.length} items scored; B preferred on ${w.wins}, A on ${w.losses}, ${w.ties} tied: B's win rate ${pct(w.rate)} (95% CI ${pct(w.lower)}–${pct(w.upper)})`,
            metrics: { done: finished, total: items.length, winRateB: w.rate, lower: w.lower, upper: w.upper },
          }
        : {}),
    };
    reported = reported.then(() => ctx.progress(update));
    await reported;
  };
  // Items start in order; the limiter bounds calls in flight (and per minute) across all of them.
  const settled = await Promise.allSettled(todo.map(scoreItem));
  const failed = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed.length) {
    const first = failed[0]!.reason;
    ctx.signal.throwIfAborted();
    if (first instanceof PermanentError) throw first;
    const msg = first instanceof Error ? first.message : String(first);
    throw new Error(`${failed.length} of ${todo.length} items failed (the ${todo.length - failed.length} scored are kept for the retry): ${msg}`, { cause: first });
  }

  // Aggregate from the stored rows: they include items scored by earlier attempts.
  const rows = await sql<{ item_index: number; metrics: { a: VariantMetrics; b: VariantMetrics }; judge: JudgeVerdictRecord[]; judge_score: number }[]>`
    select item_index, metrics, judge, judge_score from public.eval_results where job_id = ${job.id} order by item_index`;
  const results: ItemResult[] = rows.map((r) => ({ itemIndex: r.item_index, a: r.metrics.a, b: r.metrics.b, judge: r.judge, judgeScore: r.judge_score }));
  const analysis = analyze(results, config);

  const decision = await applyGate(deps, job, config, b, analysis);
  const strip = ({ parts: _p, ...rest }: ResolvedVariant) => rest;
  const result: AbEvalResult = { variants: { a: strip(a), b: strip(b) }, judgeModel, judgePromptVersionId: judgeLive.versionId, analysis, decision };
  await sql`select private.audit(${job.org_id}, 'eval.gate', 'job', ${job.id}, ${sql.json({
    passed: analysis.gate.passed,
    promoted: decision.promoted,
    action: decision.action,
    reasons: decision.reasons,
    n: analysis.n,
    primary_metric: analysis.primaryMetric,
    mean_delta: analysis.meanDelta,
    ci95: analysis.ci95,
    p_value: analysis.pValue,
    win_rate_b: analysis.winRateB,
    variant_a: strip(a),
    variant_b: strip(b),
  } as never)}, ${job.created_by})`;
  await ctx.progress({
    percent: 99,
    step: "gate",
    message: `${analysis.gate.passed ? "Gate passed" : "Gate not passed"}: ${decision.reasons.join("; ")}`,
    metrics: { meanDelta: analysis.meanDelta, pValue: analysis.pValue, winRateB: analysis.winRateB, n: analysis.n, promoted: decision.promoted },
  });
  return result;
}

async function applyGate(deps: HandlerDeps, job: { id: string; org_id: string; created_by: string | null }, config: AbEvalConfig, b: ResolvedVariant, analysis: AbAnalysis): Promise<AbEvalResult["decision"]> {
  const reasons = [...analysis.gate.reasons];
  if (!analysis.gate.passed) return { promoted: false, action: null, reasons };
  if (!config.promote) return { promoted: false, action: null, reasons: [...reasons, "automatic promotion was not requested"] };
  if (b.promptVersionId) {
    if (b.promptStatus === "production") return { promoted: false, action: null, reasons: [...reasons, "B is already the production version"] };
    // The gate's promotion, with this evaluation as the evidence the promotion history keeps.
    await deps.sql`select public.promote_prompt_version_from_gate(${b.promptVersionId}, ${job.id}, ${job.created_by})`;
    return { promoted: true, action: `prompt_version ${b.promptVersionId} promoted to production`, reasons };
  }
  // What is live is a prompt version (which pins its model): a model alone is promoted as a candidate
  // version that serves it (public.propose_model_version), then through this gate.
  return { promoted: false, action: null, reasons: [...reasons, "B is not a prompt version, so there is nothing to promote (propose the model as a candidate version of the prompt)"] };
}

async function generate(deps: HandlerDeps, limiter: Limiter, orgId: string, v: ResolvedVariant, item: EvalItem, maxTokens: number, signal: AbortSignal): Promise<{ text: string; metrics: VariantMetrics }> {
  const r = await limiter.run(
    () =>
      deps.llm.complete({
        model: v.model,
        // Rendered exactly as production renders it (shared/src/prompts/live.ts).
        ...(() => {
          const { system, user } = renderPrompt(v.parts, itemValues(item));
          return { system: system || undefined, messages: [{ role: "user" as const, content: user }] };
        })(),
        maxTokens,
        context: { functionName: "worker:ab-eval", promptVersionId: v.promptVersionId },
        logOrgId: orgId,
        signal,
      }),
    signal,
  );
  return {
    text: r.text,
    metrics: {
      f1: item.reference ? tokenF1(r.text, item.reference) : null,
      rougeL: item.reference ? rougeL(r.text, item.reference) : null,
      latencyMs: Math.round(r.latencyMs),
      inputTokens: r.usage.inputTokens,
      outputTokens: r.usage.outputTokens,
      costUsd: r.costUsd,
    },
  };
}

/** One pairwise judge call (the experiment worker's LLM judge uses it too, with its rubric). */
export async function judge(deps: HandlerDeps, limiter: Limiter, orgId: string, model: string, live: LivePrompt, item: EvalItem, first: string, second: string, order: "AB" | "BA", signal: AbortSignal, rubric?: string | null): Promise<JudgeVerdictRecord> {
  const p = judgeRequestParts(live, item, first, second, rubric);
  // A judge answer that is not the JSON asked for is asked once more before the item fails.
  for (let attempt = 1; ; attempt++) {
    const r = await limiter.run(() => deps.llm.complete({ model, system: p.system, messages: p.messages, maxTokens: p.maxTokens, context: { functionName: "worker:ab-eval-judge" }, logOrgId: orgId, signal }), signal);
    try {
      const v = parseJsonOutput(JudgeVerdict, r.text);
      return { order, winner: v.winner, reason: v.reason };
    } catch (err) {
      if (attempt >= 2 || !isLlmError(err)) throw err;
    }
  }
}
