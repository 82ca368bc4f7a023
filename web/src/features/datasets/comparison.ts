import type { ExperimentSummary } from "@review/shared/datasets/summary";
import type { VariantStats } from "./queries.ts";

/**
 * The per-variant table of a run in progress, from the figures the database computed over the rows
 * stored so far (public.experiment_variant_stats), in the shape of the summary the worker stores when
 * the run ends. Means and paired differences only: the intervals and tests (bootstrap, permutation, Holm)
 * are the worker's, over the finished run, and stay empty (null, NaN) until then.
 */
export function liveSummary(stats: readonly VariantStats[], opts: { labels: readonly string[]; metrics: readonly string[]; baseline: number; items: number }): ExperimentSummary {
  const byVariant = new Map(stats.map((s) => [s.variant, s]));
  return {
    items: opts.items,
    baseline: opts.baseline,
    metrics: [...opts.metrics],
    alpha: 0.05,
    variants: opts.labels.map((label, v) => {
      const s = byVariant.get(v);
      const n = s?.n ?? 0;
      const cost = Number(s?.cost_usd ?? 0);
      return {
        variant: v,
        label,
        n,
        errors: s?.errors ?? 0,
        metrics: Object.fromEntries(opts.metrics.map((m) => {
          const x = s?.metrics[m];
          return [m, { n: x?.n ?? 0, mean: x?.mean ?? null, lower: null, upper: null }];
        })),
        costUsd: cost,
        costPerItemUsd: n ? cost / n : null,
        latencyMs: { p50: s?.latency_p50 ?? null, p90: s?.latency_p90 ?? null, p99: s?.latency_p99 ?? null, mean: null },
      };
    }),
    comparisons: opts.metrics.flatMap((m) =>
      opts.labels.flatMap((_, v) => {
        if (v === opts.baseline) return [];
        const d = byVariant.get(v)?.vs_baseline[m];
        return [{ variant: v, metric: m, n: d?.n ?? 0, meanDiff: d?.meanDiff ?? null, lower: null, upper: null, pValue: Number.NaN, pHolm: Number.NaN, significant: false }];
      }),
    ),
  };
}

/** How many outputs are stored, from the same figures. */
export const storedOutputs = (stats: readonly VariantStats[] | undefined) => (stats ?? []).reduce((s, v) => s + v.n, 0);

/**
 * A rubric judge's value as the comparison shows it next to the normalized score: "4/5 · helpful", with
 * the judge's reason for a tooltip. `detail` is one evaluator's entry of experiment_results.score_details;
 * `max` the top of its scale (from the evaluator's config). Null when the judge gave no value.
 */
export function judgeDetailText(detail: unknown, max?: number): { text: string; reason: string } | null {
  if (!detail || typeof detail !== "object") return null;
  const d = detail as { raw?: unknown; label?: unknown; reason?: unknown };
  if (typeof d.raw !== "number") return null;
  const label = typeof d.label === "string" && d.label ? ` · ${d.label}` : "";
  return { text: `${d.raw}${max === undefined ? "" : `/${max}`}${label}`, reason: typeof d.reason === "string" ? d.reason : "" };
}
