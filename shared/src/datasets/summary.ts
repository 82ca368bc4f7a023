/**
 * An experiment's statistics from its per-item results (pure; the worker stores the answer on the
 * experiment and the job, the comparison view shows it):
 * - per variant: the mean of each metric with a percentile-bootstrap 95% CI, cost per item, latency
 *   percentiles, errors;
 * - against the baseline: for each metric the paired difference (items both scored) with its bootstrap
 *   CI and a paired permutation p-value, Holm-corrected across the variants compared on that metric.
 */
import { bootstrapMeanCi, pairedPermutationTest } from "../stats/inference.ts";
import { mean, quantile } from "../stats/describe.ts";

export type ResultRow = {
  itemId: string;
  variant: number;
  scores: Record<string, number | null | undefined>;
  costUsd: number | null;
  latencyMs: number | null;
  error: string | null;
};

export type MetricSummary = { n: number; mean: number | null; lower: number | null; upper: number | null };
export type VariantSummary = {
  variant: number;
  label: string;
  n: number;
  errors: number;
  metrics: Record<string, MetricSummary>;
  costUsd: number;
  costPerItemUsd: number | null;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; mean: number | null };
};
export type Comparison = {
  variant: number;
  metric: string;
  n: number;
  meanDiff: number | null;
  lower: number | null;
  upper: number | null;
  pValue: number;
  /** Holm-adjusted across the variants compared with the baseline on this metric. */
  pHolm: number;
  significant: boolean;
};
export type ExperimentSummary = {
  items: number;
  baseline: number;
  metrics: string[];
  alpha: number;
  variants: VariantSummary[];
  comparisons: Comparison[];
};

const r = (x: number, d = 6) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

/** Holm's step-down adjustment: adjusted p-values in the input order (monotone, capped at 1). */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}

export function summarizeExperiment(
  rows: readonly ResultRow[],
  opts: { variants: readonly string[]; metrics: readonly string[]; baseline: number; items: number; seed?: number; alpha?: number; resamples?: number },
): ExperimentSummary {
  const seed = opts.seed ?? 7;
  const alpha = opts.alpha ?? 0.05;
  const resamples = opts.resamples ?? 2000;
  const byVariant = opts.variants.map(() => new Map<string, ResultRow>());
  for (const row of rows) byVariant[row.variant]?.set(row.itemId, row);

  const score = (row: ResultRow | undefined, m: string) => {
    const v = row && !row.error ? row.scores[m] : null;
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  };

  const variants: VariantSummary[] = opts.variants.map((label, v) => {
    const list = [...byVariant[v]!.values()];
    const metrics: Record<string, MetricSummary> = {};
    for (const m of opts.metrics) {
      const xs = list.map((row) => score(row, m)).filter((x): x is number => x !== null);
      const ci = bootstrapMeanCi(xs, { seed, resamples });
      metrics[m] = { n: xs.length, mean: xs.length ? r(ci.estimate) : null, lower: xs.length ? r(ci.lower) : null, upper: xs.length ? r(ci.upper) : null };
    }
    const ok = list.filter((row) => !row.error);
    const cost = list.reduce((s, row) => s + (row.costUsd ?? 0), 0);
    const lat = ok.map((row) => row.latencyMs).filter((x): x is number => x !== null);
    const q = (p: number) => (lat.length ? Math.round(quantile(lat, p)) : null);
    return {
      variant: v,
      label,
      n: list.length,
      errors: list.length - ok.length,
      metrics,
      costUsd: r(cost, 8)!,
      costPerItemUsd: list.length ? r(cost / list.length, 8) : null,
      latencyMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), mean: lat.length ? Math.round(mean(lat)) : null },
    };
  });

  const comparisons: Comparison[] = [];
  for (const m of opts.metrics) {
    const perMetric: Array<Omit<Comparison, "pHolm" | "significant">> = [];
    opts.variants.forEach((_, v) => {
      if (v === opts.baseline) return;
      const diffs: number[] = [];
      for (const [itemId, row] of byVariant[v]!) {
        const a = score(byVariant[opts.baseline]!.get(itemId), m);
        const b = score(row, m);
        if (a !== null && b !== null) diffs.push(b - a);
      }
      const ci = bootstrapMeanCi(diffs, { seed, resamples });
      const test = pairedPermutationTest(diffs, { seed });
      perMetric.push({ variant: v, metric: m, n: diffs.length, meanDiff: diffs.length ? r(ci.estimate) : null, lower: diffs.length ? r(ci.lower) : null, upper: diffs.length ? r(ci.upper) : null, pValue: test.pValue });
    });
    const adjusted = holm(perMetric.map((c) => c.pValue));
    perMetric.forEach((c, k) => comparisons.push({ ...c, pHolm: adjusted[k]!, significant: adjusted[k]! < alpha }));
  }

  return { items: opts.items, baseline: opts.baseline, metrics: [...opts.metrics], alpha, variants, comparisons };
}

/**
 * Items where a variant did worse than the baseline on a metric (the comparison view's regressions
 * filter): the baseline scored, the variant scored lower, or the variant failed where the baseline did not.
 */
export function isRegression(baseline: ResultRow | undefined, variant: ResultRow | undefined, metric: string): boolean {
  if (!baseline || !variant || baseline.error) return false;
  if (variant.error) return true;
  const a = baseline.scores[metric];
  const b = variant.scores[metric];
  return typeof a === "number" && typeof b === "number" && b < a;
}
