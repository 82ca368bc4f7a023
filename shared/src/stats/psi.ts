/**
 * Population Stability Index between a baseline and a current distribution over the same bins:
 * PSI = Σ (c_i − b_i) · ln(c_i / b_i). Common reading: < 0.1 stable, 0.1–0.25 moderate, > 0.25 major shift.
 * Empty bins would make the log infinite; each proportion is floored at `epsilon` (a standard fix) so one
 * unseen rating yields a large but finite PSI.
 */
export function psi(baseline: readonly number[], current: readonly number[], opts: { epsilon?: number } = {}): number {
  if (baseline.length !== current.length) throw new Error("PSI needs the same bins for both distributions");
  const eps = opts.epsilon ?? 1e-4;
  const b = proportions(baseline);
  const c = proportions(current);
  let total = 0;
  for (let i = 0; i < b.length; i++) {
    const bi = Math.max(b[i]!, eps);
    const ci = Math.max(c[i]!, eps);
    total += (ci - bi) * Math.log(ci / bi);
  }
  return total;
}

/** Counts (or weights) → proportions summing to 1; all-zero input stays all zero. */
export function proportions(counts: readonly number[]): number[] {
  const sum = counts.reduce((s, x) => s + x, 0);
  return counts.map((x) => (sum > 0 ? x / sum : 0));
}

/** Histogram of integer ratings min..max (e.g. 1..5); values outside are ignored. */
export function ratingHistogram(ratings: Iterable<number>, min = 1, max = 5): number[] {
  const h = new Array<number>(max - min + 1).fill(0);
  for (const r of ratings) if (Number.isInteger(r) && r >= min && r <= max) h[r - min]!++;
  return h;
}
