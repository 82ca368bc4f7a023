/**
 * Exact binomial and multinomial variates from a seeded uniform generator (shared/src/stats/rng.ts), in
 * O(1) expected time per binomial whatever n is. What makes a bootstrap over tens of thousands of units
 * cheap when the units fall into a few patterns: a resample's per-pattern counts are
 * Multinomial(N, shares), drawn directly instead of drawing N units.
 *
 * - n·min(p, 1 − p) < 10: inversion by geometric waiting times (the number of successes is how many
 *   Geometric(p) gaps fit into n trials), n·p + 1 uniforms on average.
 * - otherwise: BTRS, the transformed rejection with squeeze of Hörmann, W. (1993). The generation of
 *   binomial random variables. J. Statist. Comput. Simul. 46, 101–110 (the variant PyTorch and
 *   TensorFlow ship), about 1.2 pairs of uniforms per variate; its acceptance test uses Stirling's series
 *   for the log-factorials, so the variates follow the binomial pmf exactly (up to floating point).
 *
 * Deterministic for a given seed: Math.log in V8 is fdlibm's, the same on every platform.
 */
import type { Rng } from "./rng.ts";

/** Stirling's series tail: log k! − [(k + ½) log(k + 1) − (k + 1) + ½ log 2π], tabulated below 10. */
const TAIL = [
  0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509, 0.0166446911898211,
  0.0138761288230707, 0.0118967099458917, 0.010411265261972, 0.00925546218271273, 0.00833056343336287,
];
function stirlingTail(k: number): number {
  if (k <= 9) return TAIL[k]!;
  const k1 = k + 1;
  const sq = k1 * k1;
  return (1 / 12 - (1 / 360 - 1 / 1260 / sq) / sq) / k1;
}

function inversion(n: number, p: number, rng: Rng): number {
  const logq = Math.log1p(-p);
  let sum = 0;
  let k = 0;
  for (;;) {
    // rng() may return 0: log(0) = −∞ makes an infinite gap, which ends the count as it should.
    sum += Math.ceil(Math.log(rng()) / logq);
    if (sum > n) return k;
    k++;
  }
}

function btrs(n: number, p: number, rng: Rng): number {
  const spq = Math.sqrt(n * p * (1 - p));
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const r = p / (1 - p);
  const alpha = (2.83 + 5.1 / b) * spq;
  const m = Math.floor((n + 1) * p);
  const lpq = Math.log(r);
  // The mode's part of the log-ratio, the same for every candidate.
  const hm = (m + 0.5) * Math.log((m + 1) / (r * (n - m + 1))) + stirlingTail(m) + stirlingTail(n - m);
  for (;;) {
    const u = rng() - 0.5;
    const v = rng();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor((2 * a / us + b) * u + c);
    if (!(k >= 0 && k <= n)) continue;
    if (us >= 0.07 && v <= vr) return k;
    const lv = Math.log((v * alpha) / (a / (us * us) + b));
    const bound = hm + (n + 1) * Math.log((n - m + 1) / (n - k + 1)) + (k + 0.5) * (Math.log((n - k + 1) / (k + 1)) + lpq) - stirlingTail(k) - stirlingTail(n - k);
    if (lv <= bound) return k;
  }
}

/** One Binomial(n, p) variate: the number of successes in n independent trials of probability p. */
export function binomial(n: number, p: number, rng: Rng): number {
  if (!(n >= 0) || !Number.isInteger(n)) throw new RangeError(`binomial: n must be a non-negative integer, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial: p must be in [0, 1], got ${p}`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  // Both samplers want p ≤ ½ (BTRS's box is fitted there; inversion's gaps are then short).
  if (p > 0.5) return n - binomial(n, 1 - p, rng);
  return n * p < 10 ? inversion(n, p, rng) : btrs(n, p, rng);
}

/**
 * One Multinomial(n, probs) variate into `out` (probs need not sum to exactly 1: they are shares of
 * their sum), by conditional binomials: count_i ~ Binomial(n − earlier counts, p_i / remaining mass).
 * `order`, when given, is the order to draw in (largest shares first leaves the fewest trials for the
 * rest, so the long tail of small shares mostly meets n = 0 and costs nothing).
 */
export function multinomial(n: number, probs: ArrayLike<number>, rng: Rng, out: Int32Array | number[] = new Int32Array(probs.length), order?: ArrayLike<number>): Int32Array | number[] {
  const K = probs.length;
  let mass = 0;
  for (let i = 0; i < K; i++) mass += probs[i]!;
  let left = n;
  for (let j = 0; j < K; j++) {
    const i = order ? order[j]! : j;
    const pi = probs[i]!;
    if (left === 0 || pi <= 0) {
      out[i] = 0;
      continue;
    }
    // The last category with any mass takes what is left (its conditional probability is 1 up to rounding).
    const q = mass <= pi ? 1 : pi / mass;
    const c = q >= 1 ? left : binomial(left, q, rng);
    out[i] = c;
    left -= c;
    mass -= pi;
  }
  return out;
}
