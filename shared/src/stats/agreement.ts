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
import { multinomial } from "./binomial.ts";
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
  /** Pairable units. */
  N: number;
  /**
   * Each pairable unit's contribution to the coincidence matrix, flat: unit u's entries are
   * [start[u], start[u + 1]) of `cells` (c·V + k) and `weights`. Three allocations for any number of
   * units, so a large queue makes no garbage and the bootstrap's inner loop reads contiguous memory.
   */
  start: Int32Array;
  cells: Int32Array;
  weights: Float64Array;
};

/**
 * The reliability data as per-unit coincidence contributions (Krippendorff 2011, section C): within a
 * unit of m values, every ordered pair of values from different raters adds 1 / (m − 1). Units with
 * fewer than two values are not pairable and are dropped. Prepared once, so the bootstrap only sums.
 */
function prepareCoincidences(units: readonly (readonly (RatingValue | null | undefined)[])[], level: AgreementLevel): Coincidences {
  const { flat, bounds } = flatten(units);
  return prepareFlat(flat, bounds, level);
}

/** Units as one array of values and each unit's end (bounds[0] = 0, unit u is [bounds[u], bounds[u + 1])). */
function flatten(units: readonly (readonly (RatingValue | null | undefined)[])[]): { flat: Array<RatingValue | null | undefined>; bounds: number[] } {
  const flat: Array<RatingValue | null | undefined> = [];
  const bounds: number[] = [0];
  for (const u of units) {
    for (const v of u) flat.push(v);
    bounds.push(flat.length);
  }
  return { flat, bounds };
}

function prepareFlat(values: ReadonlyArray<RatingValue | null | undefined>, unitBounds: ArrayLike<number>, level: AgreementLevel): Coincidences {
  const numeric = level !== "nominal";
  // Value keys in order of first appearance over the pairable units (then sorted when numeric): the
  // order fixes the matrix's layout, and so the order of alpha's sums.
  // Numbers are their own keys (a Map keys them by SameValueZero, which is String(Number(v))'s equality).
  const idx = new Map<string | number, number>();
  const keys: Array<string | number> = [];
  const flat: number[] = [];
  const bounds: number[] = [0];
  // A unit of m values has at most m² cells: the typed arrays below are sized once from this.
  let maxCells = 0;
  for (let u = 0; u + 1 < unitBounds.length; u++) {
    const from = unitBounds[u]!;
    const to = unitBounds[u + 1]!;
    let m = 0;
    for (let j = from; j < to; j++) if (values[j] != null) m++;
    if (m < 2) continue;
    for (let j = from; j < to; j++) {
      const v = values[j];
      if (v == null) continue;
      const k = numeric ? Number(v) : String(v);
      let i = idx.get(k);
      if (i === undefined) {
        i = keys.length;
        keys.push(k);
        idx.set(k, i);
      }
      flat.push(i);
    }
    maxCells += m * m;
    bounds.push(flat.length);
  }
  const V = keys.length;
  // Numeric: a stable sort of the first-appearance positions with the comparator that sorts the keys.
  const order = keys.map((_, i) => i);
  if (numeric) order.sort((x, y) => Number(keys[x]) - Number(keys[y]));
  const rank = new Int32Array(V);
  order.forEach((orig, pos) => (rank[orig] = pos));
  const N = bounds.length - 1;
  const start = new Int32Array(N + 1);
  const cells = new Int32Array(maxCells);
  const weights = new Float64Array(maxCells);
  let used = 0;
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let u = 0; u < N; u++) {
    const from = bounds[u]!;
    const to = bounds[u + 1]!;
    const m = to - from;
    distinct.length = 0;
    counts.length = 0;
    for (let j = from; j < to; j++) {
      const c = rank[flat[j]!]!;
      const at = distinct.indexOf(c);
      if (at < 0) (distinct.push(c), counts.push(1));
      else counts[at]!++;
    }
    for (let x = 0; x < distinct.length; x++) {
      const c = distinct[x]!;
      const nc = counts[x]!;
      for (let y = 0; y < distinct.length; y++) {
        const k = distinct[y]!;
        const w = (nc * (counts[y]! - (c === k ? 1 : 0))) / (m - 1);
        if (w) (cells[used] = c * V + k, weights[used++] = w);
      }
    }
    start[u + 1] = used;
  }
  return {
    level, values: numeric ? order.map((i) => Number(keys[i])) : keys.map((_, i) => i), V, N, start,
    cells: cells.slice(0, used), weights: weights.slice(0, used),
  };
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
  const { start, cells, weights } = p;
  const count = pick ? pick.length : p.N;
  for (let i = 0; i < count; i++) {
    const u = pick ? pick[i]! : i;
    const end = start[u + 1]!;
    for (let j = start[u]!; j < end; j++) o[cells[j]!]! += weights[j]!;
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
  if (p.N === 0) return Number.NaN;
  return alphaFromCoincidences(sumUnits(p, new Float64Array(p.V * p.V), null), p.V, p.values, level);
}

/**
 * Units whose contributions are identical are interchangeable in a resample: with a handful of raters
 * and values, tens of thousands of units fall into a few dozen patterns. A resample is then fully
 * described by how often it drew each pattern, and those counts are Multinomial(N, pattern shares)
 * (drawing N units with replacement and counting them by pattern is exactly such a draw), so a resample
 * draws the counts directly (shared/src/stats/binomial.ts) and adds count × contribution: O(patterns)
 * per resample instead of O(N). The same bootstrap distribution; only the random stream differs from
 * drawing unit by unit. Null when the patterns are not few (continuous values, many raters): then
 * the caller draws unit by unit, which is as cheap there.
 */
function patternsOf(p: Coincidences): { sizes: Float64Array; order: Int32Array; start: Int32Array; cells: Int32Array; weights: Float64Array } | null {
  const ids = new Map<string, number>();
  const sizes: number[] = [];
  const start: number[] = [0];
  const cells: number[] = [];
  const weights: number[] = [];
  // Beyond N / 8 patterns a resample's binomials cost about what N unit draws do.
  const few = Math.max(1, p.N >> 3);
  for (let u = 0; u < p.N; u++) {
    let key = "";
    for (let j = p.start[u]!; j < p.start[u + 1]!; j++) key += `${p.cells[j]}:${p.weights[j]},`;
    let id = ids.get(key);
    if (id === undefined) {
      if (ids.size >= few) return null;
      ids.set(key, (id = ids.size));
      sizes.push(0);
      for (let j = p.start[u]!; j < p.start[u + 1]!; j++) (cells.push(p.cells[j]!), weights.push(p.weights[j]!));
      start.push(cells.length);
    }
    sizes[id]!++;
  }
  // Largest first: the conditional binomials of the many small patterns then mostly meet few trials.
  const order = Int32Array.from(sizes.keys()).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  return { sizes: Float64Array.from(sizes), order, start: Int32Array.from(start), cells: Int32Array.from(cells), weights: Float64Array.from(weights) };
}

/**
 * Alpha with a percentile bootstrap over the pairable units (seeded). Each resample draws N units and
 * sums their prepared coincidences (as per-pattern counts when the units fall into few patterns, see
 * patternsOf), so 1,000 resamples
 * over tens of thousands of units take milliseconds, not minutes (what a live report over a large queue
 * needs).
 */
export function krippendorffAlphaCi(units: readonly (readonly (RatingValue | null | undefined)[])[], level: AgreementLevel = "nominal", opts: BootstrapOptions = {}): AgreementCi {
  const { flat, bounds } = flatten(units);
  return krippendorffAlphaCiFlat(flat, bounds, level, opts);
}

/** krippendorffAlphaCi over units given flat: unit u is values[bounds[u] .. bounds[u + 1]). */
export function krippendorffAlphaCiFlat(values: ReadonlyArray<RatingValue | null | undefined>, bounds: ArrayLike<number>, level: AgreementLevel = "nominal", opts: BootstrapOptions = {}): AgreementCi {
  const conf = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 1000;
  const p = prepareFlat(values, bounds, level);
  const N = p.N;
  if (N === 0) return { estimate: Number.NaN, lower: Number.NaN, upper: Number.NaN, level: conf, resamples };
  const o = new Float64Array(p.V * p.V);
  const estimate = alphaFromCoincidences(sumUnits(p, o, null), p.V, p.values, level);
  const rng = seededRng(opts.seed ?? 1);
  const draws: number[] = [];
  const patterns = resamples > 0 ? patternsOf(p) : null;
  if (patterns) {
    const P = patterns.start.length - 1;
    const drawn = new Int32Array(P);
    const { sizes, order, start, cells, weights } = patterns;
    for (let r = 0; r < resamples; r++) {
      multinomial(N, sizes, rng, drawn, order);
      o.fill(0);
      for (let q = 0; q < P; q++) {
        const c = drawn[q]!;
        if (c) for (let j = start[q]!; j < start[q + 1]!; j++) o[cells[j]!]! += c * weights[j]!;
      }
      draws.push(alphaFromCoincidences(o, p.V, p.values, level));
    }
    return percentileCi(estimate, draws, conf, resamples);
  }
  const pick = new Int32Array(N);
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
