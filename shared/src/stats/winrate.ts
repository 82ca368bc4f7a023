/**
 * Win rate of variant B in a pairwise evaluation, with a Wilson score interval: the statistic the A/B
 * worker reports and the job page charts while items complete, computed here once so both agree.
 *
 * Input: B's per-item preference in [-1, 1] (the de-biased judge score): above 0 B won the item, below 0
 * A did, 0 is a tie. Ties count half a win, so the rate is (wins + ties / 2) / n.
 *
 * Why Wilson rather than the normal (Wald) interval: it stays inside [0, 1] and keeps its coverage for
 * the few items an evaluation has early on, when the chart shows it widest (Brown, Cai & DasGupta 2001).
 * Counting ties as half makes "successes" fractional; the interval is then the usual approximation.
 */

export type WinRate = {
  n: number;
  wins: number;
  losses: number;
  ties: number;
  /** (wins + ties / 2) / n; 0.5 when n = 0. */
  rate: number;
  lower: number;
  upper: number;
  level: number;
};

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9): the z
 * of a two-sided interval at any level, not only 95%.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : Number.NaN;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Wilson score interval for `successes` out of `n` at a two-sided `level`; [0, 1] when n = 0. */
export function wilsonInterval(successes: number, n: number, level = 0.95): { lower: number; upper: number } {
  if (n <= 0) return { lower: 0, upper: 1 };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = successes / n;
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return { lower: Math.max(0, center - half), upper: Math.min(1, center + half) };
}

function summarize(wins: number, losses: number, ties: number, level: number): WinRate {
  const n = wins + losses + ties;
  const successes = wins + ties / 2;
  return { n, wins, losses, ties, rate: n ? successes / n : 0.5, ...wilsonInterval(successes, n, level), level };
}

/** B's win rate over all the scores (NaN scores are left out: an item not judged). */
export function winRate(scores: readonly number[], level = 0.95): WinRate {
  let wins = 0;
  let losses = 0;
  let ties = 0;
  for (const s of scores) {
    if (Number.isNaN(s)) continue;
    if (s > 0) wins++;
    else if (s < 0) losses++;
    else ties++;
  }
  return summarize(wins, losses, ties, level);
}

/** The win rate after each item, in the order given (the order items completed): one pass. */
export function runningWinRate(scores: readonly number[], level = 0.95): WinRate[] {
  const out: WinRate[] = [];
  let wins = 0;
  let losses = 0;
  let ties = 0;
  for (const s of scores) {
    if (Number.isNaN(s)) continue;
    if (s > 0) wins++;
    else if (s < 0) losses++;
    else ties++;
    out.push(summarize(wins, losses, ties, level));
  }
  return out;
}
