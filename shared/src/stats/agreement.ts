/**
 * Inter-rater agreement: Cohen's kappa (two raters), Fleiss' kappa (a fixed number of raters per item)
 * and Krippendorff's alpha (any number of raters per item, missing ratings, four levels of measurement),
 * each with a seeded percentile bootstrap over items, so a queue's report is the same on every machine.
 *
 * References the tests reproduce:
 * - Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School, U. Penn.
 *   (the 4 observers × 12 units example with missing data: nominal .743, ordinal .815, interval .849,
 *   ratio .797).
 * - Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological Bulletin
 *   76(5), 378–382 — the formula; the worked example is Wikipedia's "Fleiss' kappa" (10 subjects,
 *   14 raters, 5 categories: κ = 0.210).
 * - Cohen, J. (1960); the textbook 50-item yes/no example (Wikipedia "Cohen's kappa": κ = 0.4).
 */
import { quantile } from "./describe.ts";
import { seededRng, type Rng } from "./rng.ts";

export type AgreementLevel = "nominal" | "ordinal" | "interval" | "ratio";
export type RatingValue = string | number | boolean;

export type AgreementCi = { estimate: number; lower: number; upper: number; level: number; resamples: number };
export type BootstrapOptions = { level?: number; resamples?: number; seed?: number };

function percentileCi(estimate: number, draws: number[], level: number, resamples: number): AgreementCi {
  const finite = draws.filter((d) => Number.isFinite(d));
  if (!Number.isFinite(estimate) || finite.length === 0) return { estimate, lower: Number.NaN, upper: Number.NaN, level, resamples };
  const a = (1 - level) / 2;
  return { estimate, lower: quantile(finite, a), upper: quantile(finite, 1 - a), level, resamples };
}

function resampleIndexes(n: number, rng: Rng): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * n);
  return out;
}

function bootstrap<T>(units: readonly T[], stat: (units: T[]) => number, opts: BootstrapOptions): AgreementCi {
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 1000;
  const estimate = stat(units.slice());
  const rng = seededRng(opts.seed ?? 1);
  const draws: number[] = [];
  for (let r = 0; r < resamples; r++) draws.push(stat(resampleIndexes(units.length, rng).map((i) => units[i]!)));
  return percentileCi(estimate, draws, level, resamples);
}

// ---- Cohen's kappa ----------------------------------------------------------------------------------

/** Cohen's kappa of two raters over the same items: (p_o − p_e) / (1 − p_e). NaN with no items. */
export function cohenKappa(a: readonly RatingValue[], b: readonly RatingValue[]): number {
  if (a.length !== b.length) throw new Error("cohenKappa: both raters must rate the same items");
  const n = a.length;
  if (n === 0) return Number.NaN;
  const ca = new Map<string, number>();
  const cb = new Map<string, number>();
  let agree = 0;
  for (let i = 0; i < n; i++) {
    const x = String(a[i]);
    const y = String(b[i]);
    if (x === y) agree++;
    ca.set(x, (ca.get(x) ?? 0) + 1);
    cb.set(y, (cb.get(y) ?? 0) + 1);
  }
  const po = agree / n;
  let pe = 0;
  for (const [k, v] of ca) pe += (v / n) * ((cb.get(k) ?? 0) / n);
  // Both raters used one and the same category throughout: agreement is perfect but kappa undefined;
  // reported as 1 (observed agreement), the convention most tools follow.
  if (pe === 1) return po === 1 ? 1 : Number.NaN;
  return (po - pe) / (1 - pe);
}

export function cohenKappaCi(a: readonly RatingValue[], b: readonly RatingValue[], opts: BootstrapOptions = {}): AgreementCi {
  const pairs = a.map((x, i) => [x, b[i]!] as const);
  return bootstrap(pairs, (ps) => cohenKappa(ps.map((p) => p[0]), ps.map((p) => p[1])), opts);
}

// ---- Fleiss' kappa ----------------------------------------------------------------------------------

/**
 * Fleiss' kappa from a count matrix: counts[i][j] = how many raters put item i in category j. Every
 * item must have the same number of raters (use Krippendorff's alpha otherwise).
 */
export function fleissKappa(counts: readonly (readonly number[])[]): number {
  const N = counts.length;
  if (N === 0) return Number.NaN;
  const n = counts[0]!.reduce((s, x) => s + x, 0);
  if (n < 2) return Number.NaN;
  const k = counts[0]!.length;
  const pj = new Array<number>(k).fill(0);
  let pBar = 0;
  for (const row of counts) {
    const rowN = row.reduce((s, x) => s + x, 0);
    if (rowN !== n) throw new Error("fleissKappa: every item needs the same number of ratings");
    let sq = 0;
    for (let j = 0; j < k; j++) {
      pj[j]! += row[j]!;
      sq += row[j]! * row[j]!;
    }
    pBar += (sq - n) / (n * (n - 1));
  }
  pBar /= N;
  let pe = 0;
  for (let j = 0; j < k; j++) pe += (pj[j]! / (N * n)) ** 2;
  if (pe === 1) return pBar === 1 ? 1 : Number.NaN;
  return (pBar - pe) / (1 - pe);
}

export function fleissKappaCi(counts: readonly (readonly number[])[], opts: BootstrapOptions = {}): AgreementCi {
  return bootstrap(counts, (rows) => fleissKappa(rows), opts);
}

/** Items × raters (undefined/null = missing) to Fleiss' count matrix over the categories seen. */
export function toCategoryCounts(units: readonly (readonly (RatingValue | null | undefined)[])[]): number[][] {
  const cats = [...new Set(units.flat().filter((v) => v != null).map(String))].sort();
  return units.map((u) => cats.map((c) => u.filter((v) => v != null && String(v) === c).length));
}

// ---- Krippendorff's alpha ----------------------------------------------------------------------------

type Coincidences = {
  level: AgreementLevel;
  /** The distinct values (sorted numerically unless nominal). */
  values: number[];
  V: number;
  /** Each pairable unit's contribution to the coincidence matrix, as (c·V + k, weight) entries. */
  cells: Int32Array[];
  weights: Float64Array[];
};

/**
 * The reliability data as per-unit coincidence contributions (Krippendorff 2011, section C): within a
 * unit of m values, every ordered pair of values from different raters adds 1 / (m − 1). Units with
 * fewer than two values are not pairable and are dropped. Prepared once, so the bootstrap only sums.
 */
function prepareCoincidences(units: readonly (readonly (RatingValue | null | undefined)[])[], level: AgreementLevel): Coincidences {
  const numeric = level !== "nominal";
  const key = (v: RatingValue) => (numeric ? String(Number(v)) : String(v));
  const pairable = units.map((u) => u.filter((v): v is RatingValue => v != null)).filter((u) => u.length >= 2);
  const keys = [...new Set(pairable.flat().map(key))];
  if (numeric) keys.sort((x, y) => Number(x) - Number(y));
  const idx = new Map(keys.map((v, i) => [v, i]));
  const V = keys.length;
  const cells: Int32Array[] = [];
  const weights: Float64Array[] = [];
  for (const u of pairable) {
    const m = u.length;
    const counts = new Map<number, number>();
    for (const v of u) {
      const i = idx.get(key(v))!;
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const cs: number[] = [];
    const ws: number[] = [];
    for (const [c, nc] of counts) {
      for (const [k, nk] of counts) {
        const w = (nc * (nk - (c === k ? 1 : 0))) / (m - 1);
        if (w) (cs.push(c * V + k), ws.push(w));
      }
    }
    cells.push(Int32Array.from(cs));
    weights.push(Float64Array.from(ws));
  }
  return { level, values: numeric ? keys.map(Number) : keys.map((_, i) => i), V, cells, weights };
}

/** α = 1 − (n − 1) · Σ o_ck δ²_ck / Σ n_c n_k δ²_ck from a V×V coincidence matrix. */
function alphaFromCoincidences(o: Float64Array, V: number, values: readonly number[], level: AgreementLevel): number {
  const nc = new Float64Array(V);
  let n = 0;
  for (let c = 0; c < V; c++) {
    for (let k = 0; k < V; k++) nc[c]! += o[c * V + k]!;
    n += nc[c]!;
  }
  if (n === 0) return Number.NaN;
  const delta2 = (c: number, k: number): number => {
    switch (level) {
      case "nominal":
        return 1;
      case "interval":
        return (values[c]! - values[k]!) ** 2;
      case "ratio": {
        const s = values[c]! + values[k]!;
        return s === 0 ? 0 : ((values[c]! - values[k]!) / s) ** 2;
      }
      case "ordinal": {
        const lo = Math.min(c, k);
        const hi = Math.max(c, k);
        let sum = 0;
        for (let g = lo; g <= hi; g++) sum += nc[g]!;
        return (sum - (nc[c]! + nc[k]!) / 2) ** 2;
      }
    }
  };
  let num = 0;
  let den = 0;
  for (let c = 0; c < V; c++) {
    if (!nc[c]) continue;
    for (let k = 0; k < V; k++) {
      if (c === k || !nc[k]) continue;
      const d = delta2(c, k);
      num += o[c * V + k]! * d;
      den += nc[c]! * nc[k]! * d;
    }
  }
  // One value throughout: no disagreement is possible, and none was observed.
  if (den === 0) return 1;
  return 1 - ((n - 1) * num) / den;
}

/** Adds the coincidences of units `pick[0..count)` (or of every unit when pick is null) into `o`. */
function sumUnits(p: Coincidences, o: Float64Array, pick: Int32Array | null): Float64Array {
  o.fill(0);
  const count = pick ? pick.length : p.cells.length;
  for (let i = 0; i < count; i++) {
    const u = pick ? pick[i]! : i;
    const cs = p.cells[u]!;
    const ws = p.weights[u]!;
    for (let j = 0; j < cs.length; j++) o[cs[j]!]! += ws[j]!;
  }
  return o;
}

/**
 * Krippendorff's alpha. `units` is a reliability data matrix by unit: each unit lists the values its
 * raters gave (any number; null/undefined are missing and dropped). Units with fewer than two values are
 * not pairable and do not count.
 */
export function krippendorffAlpha(units: readonly (readonly (RatingValue | null | undefined)[])[], level: AgreementLevel = "nominal"): number {
  const p = prepareCoincidences(units, level);
  if (p.cells.length === 0) return Number.NaN;
  return alphaFromCoincidences(sumUnits(p, new Float64Array(p.V * p.V), null), p.V, p.values, level);
}

/**
 * Alpha with a percentile bootstrap over the pairable units (seeded). Each resample sums the units'
 * prepared coincidences, so 1,000 resamples over tens of thousands of units take milliseconds, not
 * minutes (what a live report over a large queue needs).
 */
export function krippendorffAlphaCi(units: readonly (readonly (RatingValue | null | undefined)[])[], level: AgreementLevel = "nominal", opts: BootstrapOptions = {}): AgreementCi {
  const conf = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 1000;
  const p = prepareCoincidences(units, level);
  const N = p.cells.length;
  if (N === 0) return { estimate: Number.NaN, lower: Number.NaN, upper: Number.NaN, level: conf, resamples };
  const o = new Float64Array(p.V * p.V);
  const estimate = alphaFromCoincidences(sumUnits(p, o, null), p.V, p.values, level);
  const rng = seededRng(opts.seed ?? 1);
  const pick = new Int32Array(N);
  const draws: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < N; i++) pick[i] = Math.floor(rng() * N);
    draws.push(alphaFromCoincidences(sumUnits(p, o, pick), p.V, p.values, level));
  }
  return percentileCi(estimate, draws, conf, resamples);
}

/**
 * How much the ratings of one item disagree, in [0, 1]: the mean over pairs of raters of their distance
 * (nominal: 0 when equal, else 1; other levels: |a − b| / range). What sends an item to adjudication.
 */
export function itemDisagreement(values: readonly RatingValue[], level: AgreementLevel, range = 1): number {
  if (values.length < 2) return 0;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) {
      pairs++;
      if (level === "nominal") sum += String(values[i]) === String(values[j]) ? 0 : 1;
      else sum += Math.min(1, Math.abs(Number(values[i]) - Number(values[j])) / (range || 1));
    }
  }
  return sum / pairs;
}
