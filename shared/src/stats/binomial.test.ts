import { describe, expect, it } from "vitest";
import { binomial, multinomial } from "./binomial.ts";
import { seededRng } from "./rng.ts";

/** The Binomial(n, p) pmf, by the ratio recurrence from the mode outwards (in log space: no underflow at the mode). */
function pmf(n: number, p: number): number[] {
  const logs = new Array<number>(n + 1).fill(0);
  const m = Math.floor((n + 1) * p);
  // log C(n, m) p^m q^(n−m) by summing logs; then neighbours by ratios.
  let lc = 0;
  for (let i = 1; i <= m; i++) lc += Math.log((n - m + i) / i);
  logs[m] = lc + m * Math.log(p) + (n - m) * Math.log1p(-p);
  for (let k = m + 1; k <= n; k++) logs[k] = logs[k - 1]! + Math.log(((n - k + 1) / k) * (p / (1 - p)));
  for (let k = m - 1; k >= 0; k--) logs[k] = logs[k + 1]! + Math.log(((k + 1) / (n - k)) * ((1 - p) / p));
  return logs.map(Math.exp);
}

/** Pearson's chi-square of draws against the pmf, bins merged from the tails until each expects ≥ 5. */
function chiSquare(draws: number[], probs: number[]): { stat: number; df: number } {
  const counts = new Array<number>(probs.length).fill(0);
  for (const d of draws) counts[d]!++;
  const N = draws.length;
  const bins: Array<{ o: number; e: number }> = [];
  let acc = { o: 0, e: 0 };
  for (let k = 0; k < probs.length; k++) {
    acc.o += counts[k]!;
    acc.e += probs[k]! * N;
    if (acc.e >= 5) (bins.push(acc), (acc = { o: 0, e: 0 }));
  }
  if (bins.length) (bins[bins.length - 1]!.o += acc.o, (bins[bins.length - 1]!.e += acc.e));
  const stat = bins.reduce((s, b) => s + (b.o - b.e) ** 2 / b.e, 0);
  return { stat, df: bins.length - 1 };
}

// Both samplers (inversion below n·p = 10, BTRS above), p on both sides of ½, and the sizes a 100k-score
// queue's bootstrap meets (16,667 units, shares of a few percent).
const CASES: Array<[number, number]> = [[1, 0.5], [20, 0.3], [50, 0.9], [30, 0.5], [200, 0.04], [1000, 0.2], [16667, 0.037], [100000, 0.5], [5000, 0.999]];

describe("binomial", () => {
  for (const [n, p] of CASES) {
    it(`Binomial(${n}, ${p}) has the pmf's mean, variance and distribution (chi-square)`, () => {
      const rng = seededRng(n * 7 + Math.round(p * 1000));
      const draws = Array.from({ length: 40_000 }, () => binomial(n, p, rng));
      expect(draws.every((d) => Number.isInteger(d) && d >= 0 && d <= n)).toBe(true);
      const mean = draws.reduce((s, d) => s + d, 0) / draws.length;
      const variance = draws.reduce((s, d) => s + (d - mean) ** 2, 0) / (draws.length - 1);
      const sd = Math.sqrt(n * p * (1 - p));
      // Mean within 5 standard errors; variance within 5 of its standard errors (≈ σ²·√(2/N) near normal).
      expect(Math.abs(mean - n * p)).toBeLessThan(5 * (sd / Math.sqrt(draws.length)) + 1e-9);
      expect(Math.abs(variance - sd * sd)).toBeLessThan(5 * sd * sd * Math.sqrt(2 / draws.length) + 1e-9);
      const { stat, df } = chiSquare(draws, pmf(n, p));
      // A tail probability of about 1e-4 (df + 4.5·√(2·df) + 10 bounds χ² well beyond its 0.9999 quantile for df ≤ 300).
      if (df > 0) expect(stat).toBeLessThan(df + 4.5 * Math.sqrt(2 * df) + 10);
    });
  }

  it("rejects what is not a distribution and knows its edges", () => {
    const rng = seededRng(1);
    expect(binomial(0, 0.3, rng)).toBe(0);
    expect(binomial(10, 0, rng)).toBe(0);
    expect(binomial(10, 1, rng)).toBe(10);
    expect(() => binomial(-1, 0.5, rng)).toThrow(RangeError);
    expect(() => binomial(2.5, 0.5, rng)).toThrow(RangeError);
    expect(() => binomial(10, 1.5, rng)).toThrow(RangeError);
    expect(() => binomial(10, Number.NaN, rng)).toThrow(RangeError);
  });

  it("is the same sequence for the same seed", () => {
    const a = seededRng(42);
    const b = seededRng(42);
    const xs = Array.from({ length: 50 }, () => binomial(1000, 0.3, a));
    expect(Array.from({ length: 50 }, () => binomial(1000, 0.3, b))).toEqual(xs);
  });
});

describe("multinomial", () => {
  it("sums to n, and each count is Binomial(n, share) in mean and variance, in any drawing order", () => {
    const probs = [0.5, 0.2, 0.15, 0.1, 0.04, 0.01, 0];
    const n = 16667;
    for (const order of [undefined, [6, 5, 4, 3, 2, 1, 0]]) {
      const rng = seededRng(9);
      const R = 20_000;
      const sums = new Float64Array(probs.length);
      const squares = new Float64Array(probs.length);
      const out = new Int32Array(probs.length);
      for (let r = 0; r < R; r++) {
        multinomial(n, probs, rng, out, order);
        expect(out.reduce((s, c) => s + c, 0)).toBe(n);
        for (let i = 0; i < probs.length; i++) (sums[i]! += out[i]!, (squares[i]! += out[i]! ** 2));
      }
      probs.forEach((p, i) => {
        const mean = sums[i]! / R;
        const variance = squares[i]! / R - mean * mean;
        const sd = Math.sqrt(n * p * (1 - p));
        expect(Math.abs(mean - n * p)).toBeLessThanOrEqual(5 * (sd / Math.sqrt(R)));
        expect(Math.abs(variance - sd * sd)).toBeLessThanOrEqual(5 * sd * sd * Math.sqrt(2 / R) + 1e-9);
      });
    }
  });

  it("takes shares of any total (weights, not probabilities)", () => {
    const out = multinomial(10, [3, 0, 0], seededRng(1));
    expect(Array.from(out)).toEqual([10, 0, 0]);
    const rng = seededRng(2);
    const two = Array.from({ length: 4000 }, () => multinomial(100, [1, 3], rng)[1]!);
    expect(Math.abs(two.reduce((s, c) => s + c, 0) / two.length - 75)).toBeLessThan(5 * Math.sqrt(100 * 0.75 * 0.25 / 4000));
  });
});
