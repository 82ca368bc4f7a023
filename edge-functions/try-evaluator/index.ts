import { TryEvaluatorRequest, type TryEvaluatorItem, type TryEvaluatorResponse } from "../../shared/src/api/datasets.ts";
import { runDeterministic, type RubricJudgeConfig } from "../../shared/src/datasets/evaluators.ts";
import { judgeWithRubric } from "../../shared/src/datasets/rubric-judge.ts";
import { debiasedJudgeScore, judgeRequestParts } from "../../shared/src/datasets/judge.ts";
import { JudgeVerdict, parseJsonOutput } from "../../shared/src/llm/offline-protocol.ts";
import { LlmError } from "../../shared/src/llm/index.ts";
import { resolveLivePrompt } from "../../shared/src/prompts/live.ts";
import { getCaller, requireCapability, serviceClient } from "../_shared/auth.ts";
import { AppError, badRequest, fromDb, handler, json, notFound, parseBody } from "../_shared/http.ts";
import { enforceLlmRateLimit, llm } from "../_shared/llm.ts";
import { promptSource } from "../_shared/suggest.ts";

type Result = { item_id: string; variant: number; output: string; error: string | null; latency_ms: number | null; cost_usd: number | null };

// An evaluator configuration that is not saved yet, run over the first few items of a dataset version
// with the code the experiment worker scores with: deterministic checks directly, a judge through the
// organization's live judge prompt, both orders, every call logged to ai_requests. Nothing is stored.
// Everything is read as the caller (RLS): a version of another organization is "not found".
Deno.serve(handler(async (req) => {
  const body = await parseBody(req, TryEvaluatorRequest);
  const caller = await getCaller(req);
  const { data: version, error: versionError } = await caller.client.from("dataset_versions").select("id, org_id").eq("id", body.datasetVersionId).maybeSingle();
  if (versionError) throw new AppError(500, "version_lookup_failed", versionError.message);
  if (!version) throw notFound("The dataset version");
  await requireCapability(caller, version.org_id, "dataset:edit", "The dataset version");

  const items = fromDb(
    await caller.client.from("dataset_items").select("id, position, query, expected, metadata").eq("version_id", version.id).order("position").limit(body.limit),
    "items_lookup_failed",
  ) as Array<{ id: string; position: number; query: string; expected: string | null; metadata: unknown }>;
  if (!items.length) throw badRequest("This dataset version has no items to try the evaluator on");

  let outputsFrom: TryEvaluatorResponse["outputsFrom"] = { kind: "logged" };
  const outputOf = new Map<string, Result>();
  const baselineOf = new Map<string, Result>();
  if (body.experimentId) {
    const { data: exp, error: expError } = await caller.client.from("experiments").select("id, org_id, dataset_version_id, variants, baseline").eq("id", body.experimentId).maybeSingle();
    if (expError) throw new AppError(500, "experiment_lookup_failed", expError.message);
    if (!exp || exp.org_id !== version.org_id) throw notFound("The experiment");
    if (exp.dataset_version_id !== version.id) throw badRequest("That experiment ran on another dataset version", { experimentId: ["Ran on another dataset version"] });
    const variants = exp.variants as Array<{ label?: string }>;
    const variant = body.variant ?? (variants.length > 1 ? (exp.baseline === 0 ? 1 : 0) : 0);
    if (variant >= variants.length) throw badRequest(`This experiment has variants 0 to ${variants.length - 1}`, { variant: ["Out of range"] });
    const rows = fromDb(
      await caller.client.from("experiment_results").select("item_id, variant, output, error, latency_ms, cost_usd")
        .eq("experiment_id", exp.id).in("item_id", items.map((i) => i.id)).in("variant", [variant, exp.baseline]),
      "results_lookup_failed",
    ) as Result[];
    for (const r of rows) {
      if (r.variant === variant) outputOf.set(r.item_id, r);
      if (r.variant === exp.baseline) baselineOf.set(r.item_id, r);
    }
    outputsFrom = { kind: "experiment", experimentId: exp.id, variant, label: variants[variant]?.label ?? `V${variant + 1}`, baseline: exp.baseline };
  }

  const outputs = items.map((i) => {
    if (outputsFrom.kind === "experiment") {
      const r = outputOf.get(i.id);
      return r && !r.error ? { output: r.output, latencyMs: r.latency_ms, costUsd: r.cost_usd === null ? null : Number(r.cost_usd) } : null;
    }
    const logged = (i.metadata as Record<string, unknown> | null)?.response;
    return typeof logged === "string" && logged ? { output: logged, latencyMs: null, costUsd: null } : null;
  });
  const missing = outputsFrom.kind === "experiment" ? "The experiment has no output for this item (not run yet, or it failed)" : "This item keeps no logged answer; pick an experiment's outputs to score";

  const ev = body.evaluator;
  let results: TryEvaluatorItem[];
  if (ev.kind === "deterministic") {
    results = items.map((i, k) => {
      const o = outputs[k];
      const base = { itemId: i.id, position: i.position, query: i.query, expected: i.expected, against: null };
      if (!o) return { ...base, output: null, score: null, note: missing };
      return { ...base, output: o.output, score: runDeterministic(ev.config, { output: o.output, expected: i.expected, latencyMs: o.latencyMs, costUsd: o.costUsd }) };
    });
  } else {
    // A judge, through the organization's live judge prompt and the functions' LLM client.
    await enforceLlmRateLimit(caller.client, version.org_id, "llm");
    const ai = llm(serviceClient());
    try {
      const rubric = ev.config.mode === "rubric";
      const live = await resolveLivePrompt(promptSource(caller.client), version.org_id, rubric ? "judge-rubric" : "judge-pairwise", ai.route);
      const model = ev.config.model ?? live.model;
      // ":judge" keeps a try-out's judge calls out of online evaluation samples (isExcludedFromOnlineEval).
      const context = { functionName: "try-evaluator:judge", orgId: version.org_id, userId: caller.userId, promptVersionId: live.versionId, traceName: "try-evaluator" };
      results = [];
      if (rubric) {
        // Pointwise: each output alone on the scale, with the review judge's prompt (the worker's code path).
        const config = ev.config as RubricJudgeConfig;
        for (const [k, i] of items.entries()) {
          const o = outputs[k];
          const base = { itemId: i.id, position: i.position, query: i.query, expected: i.expected, against: null };
          if (!o) {
            results.push({ ...base, output: null, score: null, note: missing });
            continue;
          }
          try {
            const j = await judgeWithRubric(
              (r) => ai.client.complete({ model, system: r.system, messages: [{ role: "user", content: r.user }], maxTokens: r.maxTokens, context }),
              live, "try-out", config, { query: i.query, output: o.output, expected: i.expected },
            );
            results.push({ ...base, output: o.output, score: j.score, judgement: { raw: j.raw, label: j.label, reason: j.reason, usedReference: j.usedReference } });
          } catch (err) {
            if (!(err instanceof LlmError) || err.code !== "llm_bad_output") throw err;
            results.push({ ...base, output: o.output, score: null, note: `The judge gave no valid answer: ${err.message}` });
          }
        }
      } else {
        const call = async (item: { query: string; reference: string | null }, first: string, second: string, order: "AB" | "BA") => {
          const p = judgeRequestParts(live, item, first, second, ev.config.rubric);
          // A judge answer that is not the JSON asked for is asked once more, as the worker does.
          for (let attempt = 1; ; attempt++) {
            const r = await ai.client.complete({ model, system: p.system, messages: p.messages, maxTokens: p.maxTokens, context });
            try {
              const v = parseJsonOutput(JudgeVerdict, r.text);
              return { order, winner: v.winner, reason: v.reason };
            } catch (err) {
              if (attempt >= 2 || !(err instanceof LlmError)) throw err;
            }
          }
        };
        for (const [k, i] of items.entries()) {
          const o = outputs[k];
          const base = { itemId: i.id, position: i.position, query: i.query, expected: i.expected };
          if (!o) {
            results.push({ ...base, output: null, against: null, score: null, note: missing });
            continue;
          }
          let against: string | null = null;
          let note: string | undefined;
          if (ev.config.mode === "reference") {
            against = i.expected;
            if (against === null) note = "No expected answer to judge against";
          } else if (outputsFrom.kind !== "experiment") {
            note = "A pairwise judge compares with the baseline's output: pick an experiment";
          } else if (outputsFrom.variant === outputsFrom.baseline) {
            results.push({ ...base, output: o.output, against: o.output, score: 0, note: "The baseline against itself scores 0" });
            continue;
          } else {
            const b = baselineOf.get(i.id);
            against = b && !b.error ? b.output : null;
            if (against === null) note = "The baseline has no output for this item";
          }
          if (against === null) {
            results.push({ ...base, output: o.output, against: null, score: null, note });
            continue;
          }
          const item = { query: i.query, reference: i.expected };
          // Both orders, as the worker judges: a judge that favours a position cancels out.
          const [ab, ba] = await Promise.all([call(item, against, o.output, "AB"), call(item, o.output, against, "BA")]);
          results.push({ ...base, output: o.output, against, score: debiasedJudgeScore(ab.winner, ba.winner), verdicts: [ab, ba] });
        }
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      const e = err instanceof LlmError ? err : null;
      throw new AppError(e?.code === "llm_rate_limited" || e?.code === "llm_not_configured" ? e.status : 502, e?.code ?? "llm_failed", `The judge could not score: ${e?.message ?? String(err)}`);
    } finally {
      await ai.client.flush();
    }
  }
  return json({ outputsFrom, items: results } satisfies TryEvaluatorResponse);
}));
