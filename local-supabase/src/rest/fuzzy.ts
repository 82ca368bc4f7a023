/**
 * PostgREST's "Perhaps you meant …" hints come from the Haskell `fuzzyset` package (a port of
 * fuzzyset.js): cosine similarity of 3-grams (then 2-grams when those find nothing) over the lowercased
 * name with everything but letters, digits, spaces and commas dropped, the best 50 re-scored by
 * Levenshtein distance. A hint is given only above the same minimum score PostgREST asks for (0.75 for
 * table and function names, 0.33 for parameter lists), so a name far from every other gets no hint, as
 * there. Written here because no npm package reproduces that scoring exactly, and a hint PostgREST
 * would not give is what this module exists to avoid.
 */

const GRAM_SIZES = [3, 2];

function grams(value: string, size: number): Map<string, number> {
  let simplified = `-${value.toLowerCase().replace(/[^\p{L}\p{N}, ]+/gu, "")}-`;
  if (simplified.length < size) simplified = simplified.padEnd(size, "-");
  const counts = new Map<string, number>();
  for (let i = 0; i <= simplified.length - size; i++) {
    const g = simplified.slice(i, i + size);
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  return counts;
}

function norm(counts: Map<string, number>): number {
  let sum = 0;
  for (const c of counts.values()) sum += c * c;
  return Math.sqrt(sum);
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The entry closest to `value` scoring at least `minScore`, or null. */
export function closest(entries: Iterable<string>, value: string, minScore: number): string | null {
  const byNormal = new Map<string, string>();
  for (const e of entries) if (!byNormal.has(e.toLowerCase())) byNormal.set(e.toLowerCase(), e);
  const key = value.toLowerCase();
  const exact = byNormal.get(key);
  if (exact !== undefined) return exact;
  for (const size of GRAM_SIZES) {
    const query = grams(key, size);
    const queryNorm = norm(query);
    const cosine: Array<[number, string]> = [];
    for (const normal of byNormal.keys()) {
      const item = grams(normal, size);
      let dot = 0;
      for (const [g, c] of query) dot += c * (item.get(g) ?? 0);
      if (dot > 0) cosine.push([dot / (queryNorm * norm(item)), normal]);
    }
    if (cosine.length === 0) continue;
    cosine.sort((a, b) => b[0] - a[0]);
    const rescored = cosine
      .slice(0, 50)
      .map(([, normal]): [number, string] => [1 - levenshtein(normal, key) / Math.max(normal.length, key.length), normal])
      .sort((a, b) => b[0] - a[0])
      .filter(([score]) => score >= minScore);
    if (rescored.length > 0) return byNormal.get(rescored[0]![1])!;
  }
  return null;
}
