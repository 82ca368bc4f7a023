import { mean, quantile } from "./describe.ts";
import { seededRng } from "./rng.ts";

export type ConfidenceInterval = { estimate: number; lower: number; upper: number; level: number; resamples: number };

/**
 * Percentile bootstrap CI of the mean of `xs` (for paired data pass the per-item differences). Seeded,
 * so the same data always give the same interval.
 */
export function bootstrapMeanCi(xs: readonly number[], opts: { level?: number; resamples?: number; seed?: number } = {}): ConfidenceInterval {
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 10_000;
  const estimate = mean(xs);
  if (xs.length === 0) return { estimate, lower: Number.NaN, upper: Number.NaN, level, resamples };
  const rng = seededRng(opts.seed ?? 1);
  const n = xs.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[Math.floor(rng() * n)]!;
    means[r] = s / n;
  }
  const alpha = (1 - level) / 2;
  const arr = Array.from(means);
  return { estimate, lower: quantile(arr, alpha), upper: quantile(arr, 1 - alpha), level, resamples };
}

export type TestResult = { statistic: number; pValue: number; method: string; n: number };

/**
 * Two-sided paired permutation (sign-flip) test of "the mean difference is 0". Exact enumeration up to
 * 2^exactUpTo sign patterns, Monte Carlo (seeded, with the +1 correction so p is never 0) beyond.
 * Zero differences carry no sign information and are kept (they do not change under a flip).
 */
export function pairedPermutationTest(diffs: readonly number[], opts: { resamples?: number; seed?: number; exactUpTo?: number } = {}): TestResult {
  const n = diffs.length;
  if (n === 0) return { statistic: Number.NaN, pValue: 1, method: "paired-permutation", n };
  const observed = Math.abs(diffs.reduce((s, d) => s + d, 0));
  // Tolerance so floating sums equal to the observed one count as "at least as extreme".
  const eps = 1e-9 * Math.max(1, observed);
  const exactUpTo = opts.exactUpTo ?? 16;
  if (n <= exactUpTo) {
    const total = 2 ** n;
    let extreme = 0;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += mask & (1 << i) ? -diffs[i]! : diffs[i]!;
      if (Math.abs(s) >= observed - eps) extreme++;
    }
    return { statistic: mean(diffs), pValue: extreme / total, method: "paired-permutation-exact", n };
  }
  const resamples = opts.resamples ?? 20_000;
  const rng = seededRng(opts.seed ?? 1);
  let extreme = 0;
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rng() < 0.5 ? -diffs[i]! : diffs[i]!;
    if (Math.abs(s) >= observed - eps) extreme++;
  }
  return { statistic: mean(diffs), pValue: (extreme + 1) / (resamples + 1), method: "paired-permutation-monte-carlo", n };
}

/** log(n choose k) via log-gamma-free summation; exact enough for n up to millions. */
function logChoose(n: number, k: number): number {
  k = Math.min(k, n - k);
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/**
 * Exact two-sided sign test: wins vs losses, ties dropped (the usual convention). The p-value is the
 * probability under Binomial(n, 1/2) of a split at least as lopsided as the observed one.
 */
export function signTest(wins: number, losses: number): TestResult {
  const n = wins + losses;
  if (n === 0) return { statistic: 0, pValue: 1, method: "sign-test", n };
  const k = Math.min(wins, losses);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return { statistic: wins - losses, pValue: Math.min(1, 2 * tail), method: "sign-test", n };
}
