/**
 * BM25 retrieval over approved {query, answer} pairs, shared by the worker's local trainer (which builds
 * and stores an index for an `offline-ft:<models.id>` model) and the dev LLM (which scores with it).
 * The index is plain JSON so it can live in a jsonb column and be read by any runtime.
 *
 * Why BM25 and not embeddings: deterministic, dependency-free, explainable scores, and good enough to
 * pick "the approved answer to the question most like this one" in a demo without network access.
 */

export type RetrievalExample = { id?: string; query: string; answer: string; tags?: string[] };

export type RetrievalDoc = {
  id: string;
  query: string;
  answer: string;
  tags: string[];
  /** Term frequencies of the weighted document (query terms count QUERY_WEIGHT times, answer terms once). */
  tf: Record<string, number>;
  length: number;
};

export type RetrievalIndex = {
  kind: "bm25";
  version: 1;
  k1: number;
  b: number;
  queryWeight: number;
  docCount: number;
  avgDocLength: number;
  /** Document frequency of each term. */
  df: Record<string, number>;
  docs: RetrievalDoc[];
  builtAt: string;
};

export type RetrievalHit = {
  id: string;
  query: string;
  answer: string;
  tags: string[];
  /** Raw BM25 score: only comparable within one search. */
  score: number;
  /**
   * Share of the search text's informative content (IDF mass of its distinct terms) that this document
   * contains, in [0, 1]. Comparable across searches, so thresholds use it.
   */
  coverage: number;
  matchedTerms: string[];
};

// Matching the asked question against stored questions is the main signal; the answer text helps
// when a user words the question with terms the answer uses.
const QUERY_WEIGHT = 2;

const STOPWORDS = new Set(
  (
    "a an and are as at be been but by can could did do does doing for from had has have having he her his how i if in into is it its " +
    "just me my no nor not of on or our ours please so some such than that the their them then there these they this those to too " +
    "very was we were what when where which while who whom why will with would you your yours hi hello thanks thank am also about " +
    "any all get got gets getting use using should shall might must there's i'm can't don't it's"
  ).split(/\s+/),
);

/** Light suffix stripping so "refunds"/"refund", "charging"/"charge" meet; not a full stemmer by design. */
export function stem(word: string): string {
  const w = stripSuffix(word);
  // "charge"/"charging" → "charg": a silent e is dropped after the suffix so both forms meet.
  return w.length > 4 && w.endsWith("e") ? w.slice(0, -1) : w;
}

function stripSuffix(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith("ies") && word.length > 4) return word.slice(0, -3) + "y";
  if (word.endsWith("ing") && word.length > 5) return trimDouble(word.slice(0, -3));
  if (word.endsWith("ed") && word.length > 4) return trimDouble(word.slice(0, -2));
  if (word.endsWith("es") && /(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith("s") && !word.endsWith("ss") && !word.endsWith("us") && !word.endsWith("is")) return word.slice(0, -1);
  return word;
}

function trimDouble(w: string): string {
  // "stopped" → "stopp" → "stop"; keep "ll"/"ss" which are usually part of the root (bill, access)
  return /([^aeiouls])\1$/.test(w) ? w.slice(0, -1) : w;
}

export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().normalize("NFKC").matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu)) {
    const w = m[0].replace(/['’]/g, "'");
    if (STOPWORDS.has(w) || w.length < 2) continue;
    out.push(stem(w.replace(/'s$/, "")));
  }
  return out;
}

function termFrequencies(example: RetrievalExample, queryWeight: number): { tf: Record<string, number>; length: number } {
  const tf: Record<string, number> = {};
  let length = 0;
  const add = (terms: string[], w: number) => {
    for (const t of terms) {
      tf[t] = (tf[t] ?? 0) + w;
      length += w;
    }
  };
  add(tokenize(example.query), queryWeight);
  add(tokenize(example.answer), 1);
  add((example.tags ?? []).flatMap(tokenize), 1);
  return { tf, length };
}

export function buildRetrievalIndex(examples: readonly RetrievalExample[], opts: { k1?: number; b?: number; now?: Date } = {}): RetrievalIndex {
  const df: Record<string, number> = {};
  const docs: RetrievalDoc[] = examples.map((e, i) => {
    const { tf, length } = termFrequencies(e, QUERY_WEIGHT);
    for (const t of Object.keys(tf)) df[t] = (df[t] ?? 0) + 1;
    return { id: e.id ?? String(i), query: e.query, answer: e.answer, tags: e.tags ?? [], tf, length };
  });
  const total = docs.reduce((s, d) => s + d.length, 0);
  return {
    kind: "bm25",
    version: 1,
    k1: opts.k1 ?? 1.2,
    b: opts.b ?? 0.75,
    queryWeight: QUERY_WEIGHT,
    docCount: docs.length,
    avgDocLength: docs.length ? total / docs.length : 0,
    df,
    docs,
    builtAt: (opts.now ?? new Date()).toISOString(),
  };
}

/** Robertson–Spärck Jones IDF with +1 inside the log so it never goes negative for very common terms. */
function idf(index: RetrievalIndex, term: string): number {
  const n = index.df[term] ?? 0;
  return Math.log(1 + (index.docCount - n + 0.5) / (n + 0.5));
}

/**
 * Weights for coverage. With a handful of examples (a new org), plain IDF makes every word the corpus
 * has never seen outweigh all matches; pretending the corpus has at least 50 documents keeps coverage
 * close to "share of the question's words" for small corpora and IDF-weighted for large ones.
 */
function coverageWeight(index: RetrievalIndex, term: string): number {
  const n = index.df[term] ?? 0;
  return Math.log(1 + Math.max(index.docCount, 50) / (n + 1));
}

export function searchIndex(index: RetrievalIndex, text: string, opts: { limit?: number; minCoverage?: number } = {}): RetrievalHit[] {
  const terms = [...new Set(tokenize(text))];
  if (!terms.length || !index.docs.length) return [];
  const weights = new Map(terms.map((t) => [t, idf(index, t)]));
  const cover = new Map(terms.map((t) => [t, coverageWeight(index, t)]));
  const mass = [...cover.values()].reduce((s, w) => s + w, 0);
  const hits: RetrievalHit[] = [];
  for (const doc of index.docs) {
    let score = 0;
    let covered = 0;
    const matched: string[] = [];
    for (const t of terms) {
      const f = doc.tf[t];
      if (!f) continue;
      const w = weights.get(t)!;
      const norm = index.k1 * (1 - index.b + (index.b * doc.length) / (index.avgDocLength || 1));
      score += (w * (f * (index.k1 + 1))) / (f + norm);
      covered += cover.get(t)!;
      matched.push(t);
    }
    if (score <= 0) continue;
    const coverage = mass > 0 ? covered / mass : 0;
    if (coverage < (opts.minCoverage ?? 0)) continue;
    hits.push({ id: doc.id, query: doc.query, answer: doc.answer, tags: doc.tags, score, coverage, matchedTerms: matched });
  }
  // Ties are broken by id so the same index and text always give the same order.
  hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return hits.slice(0, opts.limit ?? 5);
}

/** Shape check for an index read back from jsonb (written by another process, maybe another version). */
export function isRetrievalIndex(v: unknown): v is RetrievalIndex {
  if (!v || typeof v !== "object") return false;
  const o = v as Partial<RetrievalIndex>;
  return o.kind === "bm25" && o.version === 1 && Array.isArray(o.docs) && typeof o.df === "object" && typeof o.docCount === "number";
}
