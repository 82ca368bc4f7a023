/**
 * Feedback themes, the pure part: a deterministic local text embedding (hashed TF-IDF of stemmed words
 * and word pairs), k-means++ with the number of clusters chosen by the silhouette, the adjusted Rand index
 * to measure agreement with known topics, and each cluster's characteristic terms. Seeded throughout:
 * the same feedback and seed give the same themes on every machine.
 */
import { tokenize } from "../llm/retrieval.ts";
import { seededRng, type Rng } from "../stats/rng.ts";

export type Vector = Float32Array;

export const EMBEDDING_DIM = 256;

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Terms of a text: stemmed words without stopwords, and adjacent pairs (which carry phrases). */
export function terms(text: string): string[] {
  const words = tokenize(text);
  const out = words.slice();
  for (let i = 1; i < words.length; i++) out.push(`${words[i - 1]}_${words[i]}`);
  return out;
}

/**
 * Hashed TF-IDF, L2-normalized (so Euclidean k-means on them is spherical k-means on cosine). IDF comes
 * from the corpus being embedded. The sign hash halves the bias collisions would add.
 */
export function embedLocal(texts: readonly string[], dim = EMBEDDING_DIM): Vector[] {
  const docs = texts.map(terms);
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const n = docs.length;
  return docs.map((d) => {
    const v = new Float32Array(dim);
    const tf = new Map<string, number>();
    for (const t of d) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, c] of tf) {
      const h = hash(t);
      const idf = Math.log((1 + n) / (1 + (df.get(t) ?? 0))) + 1;
      v[h % dim]! += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(c)) * idf;
    }
    return normalize(v);
  });
}

export function normalize(v: Vector): Vector {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

function sqDist(a: Vector, b: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}

export function dot(a: Vector, b: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export type KMeansResult = { k: number; labels: Int32Array; centroids: Vector[]; inertia: number };

/** k-means with k-means++ seeding (Arthur & Vassilvitskii 2007), Lloyd iterations until stable. */
export function kmeans(points: readonly Vector[], k: number, rng: Rng, maxIter = 50): KMeansResult {
  const n = points.length;
  const dim = points[0]?.length ?? 0;
  if (n === 0) return { k, labels: new Int32Array(0), centroids: [], inertia: 0 };
  k = Math.max(1, Math.min(k, n));
  const centroids: Vector[] = [Float32Array.from(points[Math.floor(rng() * n)]!)];
  const d2 = new Float64Array(n).fill(Infinity);
  while (centroids.length < k) {
    const last = centroids[centroids.length - 1]!;
    let total = 0;
    for (let i = 0; i < n; i++) {
      d2[i] = Math.min(d2[i]!, sqDist(points[i]!, last));
      total += d2[i]!;
    }
    let r = rng() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= d2[i]!;
      if (r <= 0) {
        pick = i;
        break;
      }
    }
    centroids.push(Float32Array.from(points[pick]!));
  }
  const labels = new Int32Array(n).fill(-1);
  let inertia = 0;
  for (let iter = 0; iter < maxIter; iter++) {
    let changed = 0;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = sqDist(points[i]!, centroids[c]!);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      if (labels[i] !== best) changed++;
      labels[i] = best;
      inertia += bestD;
    }
    const sums = Array.from({ length: k }, () => new Float64Array(dim));
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      counts[c]!++;
      const p = points[i]!;
      const s = sums[c]!;
      for (let j = 0; j < dim; j++) s[j]! += p[j]!;
    }
    for (let c = 0; c < k; c++) {
      // An emptied cluster restarts at the point farthest from its centroid.
      if (counts[c] === 0) {
        let far = 0;
        let farD = -1;
        for (let i = 0; i < n; i++) {
          const d = sqDist(points[i]!, centroids[labels[i]!]!);
          if (d > farD) {
            farD = d;
            far = i;
          }
        }
        centroids[c] = Float32Array.from(points[far]!);
        continue;
      }
      const m = new Float32Array(dim);
      for (let j = 0; j < dim; j++) m[j] = sums[c]![j]! / counts[c]!;
      centroids[c] = m;
    }
    if (changed === 0) break;
  }
  return { k, labels, centroids, inertia };
}

/** Mean silhouette (Rousseeuw 1987) over the given points, with Euclidean distance. */
export function silhouette(points: readonly Vector[], labels: ArrayLike<number>, k: number): number {
  const n = points.length;
  if (n < 2 || k < 2) return 0;
  let total = 0;
  const sum = new Float64Array(k);
  const cnt = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    sum.fill(0);
    cnt.fill(0);
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const c = labels[j]!;
      sum[c]! += Math.sqrt(sqDist(points[i]!, points[j]!));
      cnt[c]!++;
    }
    const own = labels[i]!;
    if (cnt[own] === 0) continue; // a singleton scores 0
    const a = sum[own]! / cnt[own]!;
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && cnt[c]! > 0) b = Math.min(b, sum[c]! / cnt[c]!);
    if (!Number.isFinite(b)) continue;
    total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

export type ClusterChoice = KMeansResult & { silhouette: number; scores: Array<{ k: number; silhouette: number }> };

/**
 * Chooses k in [2, maxK] by the silhouette of k-means on a seeded sample (silhouette is quadratic), then
 * clusters every point with that k. A few restarts per k keep an unlucky seeding from deciding.
 */
export function clusterAuto(points: readonly Vector[], opts: { maxK: number; seed: number; sampleSize?: number; restarts?: number }): ClusterChoice {
  const rng = seededRng(opts.seed);
  const n = points.length;
  if (n < 3) {
    return { k: n ? 1 : 0, labels: new Int32Array(n), centroids: n ? [points[0]!] : [], inertia: 0, silhouette: 0, scores: [] };
  }
  const sampleSize = Math.min(n, opts.sampleSize ?? 800);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const sample = idx.slice(0, sampleSize).map((i) => points[i]!);
  const maxK = Math.max(2, Math.min(opts.maxK, sampleSize - 1));
  const restarts = opts.restarts ?? 3;
  const scores: Array<{ k: number; silhouette: number }> = [];
  let bestK = 2;
  let bestS = -Infinity;
  for (let k = 2; k <= maxK; k++) {
    let best: KMeansResult | null = null;
    for (let r = 0; r < restarts; r++) {
      const res = kmeans(sample, k, rng);
      if (!best || res.inertia < best.inertia) best = res;
    }
    const s = silhouette(sample, best!.labels, k);
    scores.push({ k, silhouette: s });
    if (s > bestS + 1e-9) {
      bestS = s;
      bestK = k;
    }
  }
  let final: KMeansResult | null = null;
  for (let r = 0; r < restarts; r++) {
    const res = kmeans(points, bestK, rng);
    if (!final || res.inertia < final.inertia) final = res;
  }
  return { ...final!, silhouette: bestS, scores };
}

/** Adjusted Rand index (Hubert & Arabie 1985): 1 = the same partition, ~0 = chance agreement. */
export function adjustedRandIndex(a: ArrayLike<number | string>, b: ArrayLike<number | string>): number {
  const n = a.length;
  if (n !== b.length) throw new Error("adjustedRandIndex: partitions of different sizes");
  if (n < 2) return 1;
  const pair = new Map<string, number>();
  const ra = new Map<string, number>();
  const rb = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const x = String(a[i]);
    const y = String(b[i]);
    pair.set(`${x}\u0000${y}`, (pair.get(`${x}\u0000${y}`) ?? 0) + 1);
    ra.set(x, (ra.get(x) ?? 0) + 1);
    rb.set(y, (rb.get(y) ?? 0) + 1);
  }
  const c2 = (m: number) => (m * (m - 1)) / 2;
  let index = 0;
  for (const v of pair.values()) index += c2(v);
  let sa = 0;
  for (const v of ra.values()) sa += c2(v);
  let sb = 0;
  for (const v of rb.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

/**
 * Words that characterize a cluster: frequent in it, rare elsewhere (a lift score), most typical first,
 * each shown as the word people wrote most often for that stem ("invoice", not "invoic").
 */
export function clusterKeywords(texts: readonly string[], labels: ArrayLike<number>, k: number, limit = 5): string[][] {
  const inCluster = Array.from({ length: k }, () => new Map<string, number>());
  const overall = new Map<string, number>();
  const sizes = new Array<number>(k).fill(0);
  texts.forEach((t, i) => {
    const c = labels[i]!;
    sizes[c]!++;
    for (const w of new Set(tokenize(t))) {
      if (w.length < 3 || /^\d+$/.test(w)) continue;
      inCluster[c]!.set(w, (inCluster[c]!.get(w) ?? 0) + 1);
      overall.set(w, (overall.get(w) ?? 0) + 1);
    }
  });
  const n = texts.length;
  const stems = inCluster.map((m, c) =>
    [...m.entries()]
      .filter(([, cnt]) => cnt >= Math.max(2, sizes[c]! * 0.1))
      .map(([w, cnt]) => ({ w, score: (cnt / sizes[c]!) * Math.log(n / overall.get(w)!) + (cnt / sizes[c]!) * 0.01 }))
      .sort((x, y) => y.score - x.score || (x.w < y.w ? -1 : 1))
      .slice(0, limit)
      .map((x) => x.w),
  );
  // Surface forms from up to 200 of each cluster's texts: only the chosen stems are looked up.
  const surfaces = stems.map((list) => new Map(list.map((st) => [st, new Map<string, number>()])));
  const seen = new Array<number>(k).fill(0);
  texts.forEach((t, i) => {
    const c = labels[i]!;
    if (seen[c]! >= 200 || !stems[c]!.length) return;
    seen[c]!++;
    for (const m of t.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu)) {
      const st = tokenize(m[0])[0];
      const counts = st ? surfaces[c]!.get(st) : undefined;
      if (counts) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
    }
  });
  return stems.map((list, c) =>
    list.map((st) => {
      const best = [...(surfaces[c]!.get(st)?.entries() ?? [])].sort((a, b) => b[1] - a[1] || a[0].length - b[0].length || (a[0] < b[0] ? -1 : 1))[0];
      return best?.[0] ?? st;
    }),
  );
}
