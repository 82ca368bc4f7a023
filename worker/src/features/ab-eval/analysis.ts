import { bootstrapMeanCi, mean, pairedPermutationTest, quantile, signTest, winRate } from "@review/shared/stats/index";
import type { AbEvalConfig } from "@review/shared/jobs/config";
import { round } from "../common.ts";

export type VariantMetrics = { f1: number | null; rougeL: number | null; latencyMs: number; inputTokens: number; outputTokens: number; costUsd: number | null };
export type JudgeVerdictRecord = { order: "AB" | "BA"; winner: "A" | "B" | "tie"; reason: string };
export type ItemResult = { itemIndex: number; a: VariantMetrics; b: VariantMetrics; judge: JudgeVerdictRecord[]; judgeScore: number };

// B's preference from two judge calls with the answers swapped (one definition: shared/src/datasets/judge.ts).
export { debiasedJudgeScore } from "@review/shared/datasets/judge";

export type VariantSummary = {
  meanF1: number | null;
  meanRougeL: number | null;
  latencyMs: { mean: number; p95: number };
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  costPerItemUsd: number | null;
};

export type GateDecision = {
  passed: boolean;
  reasons: string[];
  margin: number;
  alpha: number;
  minSamples: number;
};

export type AbAnalysis = {
  n: number;
  primaryMetric: AbEvalConfig["primaryMetric"];
  /** Share of items the judge prefers B on (ties count half). */
  winRateB: number;
  /** Wilson 95% interval of winRateB (shared/src/stats/winrate.ts, as the job page charts it). */
  winRateCi95: { lower: number; upper: number };
  wins: { b: number; a: number; ties: number };
  /** Mean per-item difference B − A on the primary metric, with a 95% bootstrap CI. */
  meanDelta: number;
  ci95: { lower: number; upper: number };
  pValue: number;
  test: string;
  signTestP: number;
  deltas: { judge: number; f1: number | null; rougeL: number | null };
  a: VariantSummary;
  b: VariantSummary;
  gate: GateDecision;
};

function summarizeVariant(xs: VariantMetrics[]): VariantSummary {
  const f1 = xs.map((x) => x.f1).filter((v): v is number => v !== null);
  const rl = xs.map((x) => x.rougeL).filter((v): v is number => v !== null);
  const lat = xs.map((x) => x.latencyMs);
  const unknownCost = xs.some((x) => x.costUsd === null);
  const cost = unknownCost ? null : xs.reduce((s, x) => s + (x.costUsd ?? 0), 0);
  return {
    meanF1: f1.length ? round(mean(f1)) : null,
    meanRougeL: rl.length ? round(mean(rl)) : null,
    latencyMs: { mean: Math.round(mean(lat) || 0), p95: Math.round(quantile(lat, 0.95) || 0) },
    inputTokens: xs.reduce((s, x) => s + x.inputTokens, 0),
    outputTokens: xs.reduce((s, x) => s + x.outputTokens, 0),
    costUsd: cost === null ? null : round(cost, 6),
    costPerItemUsd: cost === null || !xs.length ? null : round(cost / xs.length, 8),
  };
}

function primaryDiffs(items: readonly ItemResult[], metric: AbEvalConfig["primaryMetric"]): number[] {
  if (metric === "judge") return items.map((i) => i.judgeScore);
  return items.map((i) => (i.b[metric] ?? Number.NaN) - (i.a[metric] ?? Number.NaN)).filter((d) => Number.isFinite(d));
}

/** Aggregates per-item results and applies the promotion gate. Pure: the same items give the same numbers. */
export function analyze(items: readonly ItemResult[], config: Pick<AbEvalConfig, "primaryMetric" | "gate" | "seed">): AbAnalysis {
  const diffs = primaryDiffs(items, config.primaryMetric);
  const n = diffs.length;
  const meanDelta = n ? mean(diffs) : 0;
  const ci = bootstrapMeanCi(diffs, { seed: config.seed, resamples: 10_000 });
  const perm = pairedPermutationTest(diffs, { seed: config.seed });
  const winsB = diffs.filter((d) => d > 0).length;
  const winsA = diffs.filter((d) => d < 0).length;
  const judged = winRate(items.map((i) => i.judgeScore));
  const metricDelta = (k: "f1" | "rougeL") => {
    const d = items.map((i) => (i.b[k] ?? Number.NaN) - (i.a[k] ?? Number.NaN)).filter((x) => Number.isFinite(x));
    return d.length ? round(mean(d)) : null;
  };

  const { margin, alpha, minSamples } = config.gate;
  const reasons: string[] = [];
  if (n < minSamples) reasons.push(`only ${n} paired samples; the gate needs at least ${minSamples}`);
  if (!(meanDelta > margin)) reasons.push(`B's improvement ${fmt(meanDelta)} is not above the margin ${fmt(margin)}`);
  if (!(perm.pValue < alpha)) reasons.push(`p = ${perm.pValue.toPrecision(3)} is not below ${alpha}`);
  const passed = reasons.length === 0;
  if (passed) {
    reasons.push(`B beats A by ${fmt(meanDelta)} (95% CI ${fmt(ci.lower)} to ${fmt(ci.upper)}) on ${config.primaryMetric} over ${n} items, p = ${perm.pValue.toPrecision(3)}`);
  }

  return {
    n,
    primaryMetric: config.primaryMetric,
    winRateB: round(judged.n ? judged.rate : 0)!,
    winRateCi95: { lower: round(judged.lower)!, upper: round(judged.upper)! },
    wins: { b: judged.wins, a: judged.losses, ties: judged.ties },
    meanDelta: round(meanDelta)!,
    ci95: { lower: round(ci.lower) ?? 0, upper: round(ci.upper) ?? 0 },
    pValue: perm.pValue,
    test: perm.method,
    signTestP: signTest(winsB, winsA).pValue,
    deltas: { judge: round(mean(items.map((i) => i.judgeScore)) || 0)!, f1: metricDelta("f1"), rougeL: metricDelta("rougeL") },
    a: summarizeVariant(items.map((i) => i.a)),
    b: summarizeVariant(items.map((i) => i.b)),
    gate: { passed, reasons, margin, alpha, minSamples },
  };
}

const fmt = (x: number) => (Number.isFinite(x) ? (x >= 0 ? "+" : "") + x.toFixed(3) : String(x));
