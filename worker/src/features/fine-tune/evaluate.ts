import { mean, quantile, rougeL, tokenF1 } from "@review/shared/stats/index";
import { createLimiter, mapLimited } from "../../lib/limiter.ts";
import { round } from "../common.ts";
import type { Example } from "./dataset.ts";

export type Generation = { text: string; latencyMs: number; inputTokens: number; outputTokens: number; costUsd: number | null };
export type Generate = (query: string, signal: AbortSignal) => Promise<Generation>;

export type EvalSummary = {
  n: number;
  /** Share of items whose token F1 against the approved answer is ≥ 0.5 (the answer substantially matches). */
  accuracy: number;
  meanF1: number;
  meanRougeL: number;
  latencyMs: { mean: number; p50: number; p95: number };
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  /** Measured: total cost / total tokens × 1000; null when a price is unknown (never a guess). */
  costPer1kTokens: number | null;
};

export const ACCURACY_F1_THRESHOLD = 0.5;

/** After each scored item: how many are done, and the running numbers over those. */
export type EvalProgress = { done: number; total: number; correct: number; meanF1: number };

/** Scores a model on held-out examples: every number comes from real calls and the reference answers. */
export async function evaluateOnExamples(
  generate: Generate,
  items: readonly Example[],
  opts: { concurrency: number; perMinute?: number; signal: AbortSignal; onItem?: (progress: EvalProgress) => Promise<void> | void },
): Promise<EvalSummary> {
  const limiter = createLimiter({ concurrency: opts.concurrency, perMinute: opts.perMinute });
  let done = 0;
  let correct = 0;
  let f1Sum = 0;
  // Items finish concurrently; their reports go out one at a time, in the order they were counted, so
  // the log never reads "4/4" before "3/4".
  let reported: Promise<void> = Promise.resolve();
  const rows = await mapLimited(
    items,
    limiter,
    async (e) => {
      const g = await generate(e.query, opts.signal);
      const r = { f1: tokenF1(g.text, e.answer), rougeL: rougeL(g.text, e.answer), g };
      done++;
      f1Sum += r.f1;
      if (r.f1 >= ACCURACY_F1_THRESHOLD) correct++;
      const p: EvalProgress = { done, total: items.length, correct, meanF1: f1Sum / done };
      reported = reported.then(() => opts.onItem?.(p));
      await reported;
      return r;
    },
    opts.signal,
  );
  return summarize(rows);
}

export function summarize(rows: ReadonlyArray<{ f1: number; rougeL: number; g: Generation }>): EvalSummary {
  const lat = rows.map((r) => r.g.latencyMs);
  const inputTokens = rows.reduce((s, r) => s + r.g.inputTokens, 0);
  const outputTokens = rows.reduce((s, r) => s + r.g.outputTokens, 0);
  const unknownCost = rows.some((r) => r.g.costUsd === null);
  const costUsd = unknownCost ? null : rows.reduce((s, r) => s + (r.g.costUsd ?? 0), 0);
  const tokens = inputTokens + outputTokens;
  return {
    n: rows.length,
    accuracy: round(rows.filter((r) => r.f1 >= ACCURACY_F1_THRESHOLD).length / Math.max(1, rows.length))!,
    meanF1: round(mean(rows.map((r) => r.f1))) ?? 0,
    meanRougeL: round(mean(rows.map((r) => r.rougeL))) ?? 0,
    latencyMs: { mean: Math.round(mean(lat) || 0), p50: Math.round(quantile(lat, 0.5) || 0), p95: Math.round(quantile(lat, 0.95) || 0) },
    inputTokens,
    outputTokens,
    costUsd: costUsd === null ? null : round(costUsd, 6),
    costPer1kTokens: costUsd === null || tokens === 0 ? null : round((costUsd / tokens) * 1000, 6),
  };
}
