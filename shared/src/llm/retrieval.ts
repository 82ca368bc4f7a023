/**
 * BM25 retrieval over approved {query, answer} pairs, shared by the worker's local trainer (which builds
 * and stores an index for an `offline-ft:<models.id>` model) and the dev LLM (which scores with it).
 * The index is plain JSON so it can live in a jsonb column and be read by any runtime.
 *
 * Why BM25 and not embeddings: deterministic, dependency-free, explainable scores, and good enough to
 * find candidate answers in a demo without network access.
 *
 * A fine-tuned index also carries a `reranker`: a logistic model the local trainer fits to the
 * organization's approved examples, which rescores BM25's candidates from features of the question and
 * each candidate (BM25 score, coverage of the question, bigram and character overlap, tags, length…) and
 * decides whether a candidate's answer fits at all. `searchIndex` applies it whenever the index has one,
 * so whoever serves the index (the dev LLM) uses the trained weights without knowing about them.
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
  /** Learned rescoring of BM25 candidates (fine-tuned models); absent on a plain index. */
  reranker?: Reranker;
};

/**
 * Logistic regression over RERANK_FEATURES of (question, candidate): P(the candidate's approved answer
 * answers the question) = σ(bias + Σ weights[i] · (x[i] − mean[i]) / scale[i]).
 */
export type Reranker = {
  kind: "logistic";
  version: 1;
  /** Feature names, in the order of `weights` (see RERANK_FEATURES). */
  features: string[];
  /** Standardization fitted on the training candidates. */
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
  /** How many of BM25's best candidates are rescored. */
  candidates: number;
  /**
   * Smallest probability at which a candidate's answer is used. 0.5 is the Bayes decision when giving a
   * wrong answer costs as much as giving the right one gains.
   */
  threshold: number;
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
  /**
   * How well the hit fits the search text, in [0, 1] and comparable across searches and indexes: the
   * reranker's probability when the index has one, the coverage otherwise. Hits come sorted by it
   * when reranked, by BM25 score otherwise.
   */
  relevance: number;
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

/**
 * Corpus statistics a search scores with. Leaving one document out (`exclude`) gives exactly the
 * statistics of the index without it: the trainer asks an approved question against the others as if
 * it had never been approved, which is the situation of a new question at serving time.
 */
type Stats = { docCount: number; avgDocLength: number; df: (term: string) => number };

function statsOf(index: RetrievalIndex, exclude?: RetrievalDoc): Stats {
  if (!exclude) return { docCount: index.docCount, avgDocLength: index.avgDocLength, df: (t) => index.df[t] ?? 0 };
  const docCount = index.docCount - 1;
  const total = index.avgDocLength * index.docCount - exclude.length;
  return {
    docCount,
    avgDocLength: docCount > 0 ? total / docCount : 0,
    df: (t) => (index.df[t] ?? 0) - (exclude.tf[t] ? 1 : 0),
  };
}

/** Robertson–Spärck Jones IDF with +1 inside the log so it never goes negative for very common terms. */
function idf(stats: Stats, term: string): number {
  const n = stats.df(term);
  return Math.log(1 + (stats.docCount - n + 0.5) / (n + 0.5));
}

/**
 * Weights for coverage. With a handful of examples (a new org), plain IDF makes every word the corpus
 * has never seen outweigh all matches; pretending the corpus has at least 50 documents keeps coverage
 * close to "share of the question's words" for small corpora and IDF-weighted for large ones.
 */
function coverageWeight(stats: Stats, term: string): number {
  return Math.log(1 + Math.max(stats.docCount, 50) / (stats.df(term) + 1));
}

type Candidate = { doc: RetrievalDoc; score: number; coverage: number; matched: string[] };
type Query = { text: string; terms: string[]; cover: Map<string, number>; mass: number };

/**
 * Term → positions of the documents containing it, built once per index object (not stored: it is
 * derived from `tf`), so a search touches only the documents that share a term with the text.
 */
const postingsCache = new WeakMap<RetrievalIndex, Map<string, number[]>>();

function postingsOf(index: RetrievalIndex): Map<string, number[]> {
  let p = postingsCache.get(index);
  if (!p) {
    p = new Map();
    index.docs.forEach((doc, i) => {
      for (const t of Object.keys(doc.tf)) {
        const list = p!.get(t);
        if (list) list.push(i);
        else p!.set(t, [i]);
      }
    });
    postingsCache.set(index, p);
  }
  return p;
}

/** Every document with a positive BM25 score, best first (ties by id, so the order is deterministic). */
function bm25(index: RetrievalIndex, text: string, exclude?: string): { query: Query; candidates: Candidate[] } {
  const terms = [...new Set(tokenize(text))];
  const excluded = exclude === undefined ? undefined : index.docs.find((d) => d.id === exclude);
  const stats = statsOf(index, excluded);
  const cover = new Map(terms.map((t) => [t, coverageWeight(stats, t)]));
  const mass = [...cover.values()].reduce((s, w) => s + w, 0);
  const query = { text, terms, cover, mass };
  if (!terms.length || !index.docs.length) return { query, candidates: [] };
  const postings = postingsOf(index);
  const found = new Map<number, Candidate>();
  // Terms in the text's order, so each candidate's matchedTerms read in that order too.
  for (const t of terms) {
    const w = idf(stats, t);
    for (const i of postings.get(t) ?? []) {
      const doc = index.docs[i]!;
      if (doc === excluded) continue;
      const f = doc.tf[t]!;
      const norm = index.k1 * (1 - index.b + (index.b * doc.length) / (stats.avgDocLength || 1));
      let c = found.get(i);
      if (!c) found.set(i, (c = { doc, score: 0, coverage: 0, matched: [] }));
      c.score += (w * (f * (index.k1 + 1))) / (f + norm);
      c.coverage += cover.get(t)!;
      c.matched.push(t);
    }
  }
  const out: Candidate[] = [];
  for (const c of found.values()) {
    if (c.score <= 0) continue;
    c.coverage = mass > 0 ? c.coverage / mass : 0;
    out.push(c);
  }
  out.sort((a, b) => b.score - a.score || (a.doc.id < b.doc.id ? -1 : a.doc.id > b.doc.id ? 1 : 0));
  return { query, candidates: out };
}

export type SearchOptions = {
  limit?: number;
  /**
   * Leave out hits that cover less than this share of the search text. An index with a reranker
   * decides with its learned threshold instead: it was trained to tell an answer that fits from one
   * that does not, with coverage among its features.
   */
  minCoverage?: number;
  /** false: plain BM25 even when the index has a reranker (the trainer's "before training" numbers). */
  rerank?: boolean;
};

export function searchIndex(index: RetrievalIndex, text: string, opts: SearchOptions = {}): RetrievalHit[] {
  const { query, candidates } = bm25(index, text);
  const reranker = opts.rerank === false ? null : usableReranker(index.reranker);
  const toHit = (c: Candidate, relevance: number): RetrievalHit => ({
    id: c.doc.id, query: c.doc.query, answer: c.doc.answer, tags: c.doc.tags, score: c.score, coverage: c.coverage, relevance, matchedTerms: c.matched,
  });
  if (!reranker) {
    return candidates.filter((c) => c.coverage >= (opts.minCoverage ?? 0)).slice(0, opts.limit ?? 5).map((c) => toHit(c, c.coverage));
  }
  return rerank(reranker, query, candidates)
    .filter((r) => r.probability >= reranker.threshold)
    .slice(0, opts.limit ?? 5)
    .map((r) => toHit(r.candidate, r.probability));
}

// ---- the reranker's features ------------------------------------------------------------------------

/**
 * What the reranker sees of a (question, candidate) pair. All are cheap, deterministic and computed
 * from the index alone, so serving needs nothing the index does not hold. Append new features at the
 * end: a stored reranker names its features, and one naming a feature this code does not know is
 * ignored (plain BM25), never misapplied.
 */
export const RERANK_FEATURES = [
  /** log(1 + BM25 score) */
  "bm25",
  /** BM25 score / the best candidate's score */
  "bm25Relative",
  /** 1 / BM25 rank */
  "inverseRank",
  /** IDF-weighted share of the question's terms the candidate contains (question, answer or tags) */
  "coverage",
  /** … that the candidate's question contains */
  "questionCoverage",
  /** … that the candidate's answer contains */
  "answerCoverage",
  /** Jaccard similarity of the two questions' terms */
  "questionJaccard",
  /** Share of the question's term bigrams found in the candidate (word order, phrases) */
  "bigramOverlap",
  /** Cosine of character trigram counts of the two questions (inflections, compounds, typos) */
  "charTrigram",
  /** −|log length ratio| of the two questions */
  "lengthRatio",
  /** Share of the candidate's tag terms the question mentions */
  "tagOverlap",
  /** Numbers in the question (order numbers, error codes, prices) the candidate has, minus those it lacks, per number */
  "numberMatch",
  /**
   * Share of all candidates' BM25 score held by candidates with the same approved answer (this one
   * included): several phrasings of one question that each match a little agree on their answer.
   */
  "answerSupport",
] as const;
export type RerankFeature = (typeof RERANK_FEATURES)[number];

export type CandidateFeatures = { id: string; query: string; answer: string; tags: string[]; score: number; coverage: number; x: number[] };

/**
 * BM25's best `limit` candidates for `text` with their RERANK_FEATURES vectors: what the trainer fits
 * on and what `searchIndex` rescores. `exclude` leaves one document out (see statsOf).
 */
export function candidateFeatures(index: RetrievalIndex, text: string, opts: { limit?: number; exclude?: string } = {}): CandidateFeatures[] {
  const { query, candidates } = bm25(index, text, opts.exclude);
  return featurize(query, candidates.slice(0, opts.limit ?? DEFAULT_CANDIDATES)).map((f) => ({
    id: f.candidate.doc.id, query: f.candidate.doc.query, answer: f.candidate.doc.answer, tags: f.candidate.doc.tags,
    score: f.candidate.score, coverage: f.candidate.coverage, x: f.x,
  }));
}

/** How many BM25 candidates a reranker looks at unless it says otherwise. */
export const DEFAULT_CANDIDATES = 20;

/** What features need of a document, computed once per document object (training meets each one often). */
type DocText = { queryTokens: string[]; querySet: Set<string>; answerSet: Set<string>; bigrams: Set<string>; trigrams: Map<string, number>; tagTerms: string[]; text: string };
const docTextCache = new WeakMap<RetrievalDoc, DocText>();

function docText(doc: RetrievalDoc): DocText {
  let d = docTextCache.get(doc);
  if (!d) {
    const queryTokens = tokenize(doc.query);
    const answerTokens = tokenize(doc.answer);
    d = {
      queryTokens,
      querySet: new Set(queryTokens),
      answerSet: new Set(answerTokens),
      bigrams: new Set([...bigrams(queryTokens), ...bigrams(answerTokens)]),
      trigrams: charTrigrams(doc.query),
      tagTerms: [...new Set(doc.tags.flatMap(tokenize))],
      text: `${doc.query} ${doc.answer}`,
    };
    docTextCache.set(doc, d);
  }
  return d;
}

function featurize(query: Query, candidates: Candidate[]): Array<{ candidate: Candidate; x: number[] }> {
  if (!candidates.length) return [];
  const top = candidates[0]!.score;
  const qTerms = new Set(query.terms);
  const qTokens = tokenize(query.text);
  const qBigrams = bigrams(qTokens);
  const qTrigrams = charTrigrams(query.text);
  const qNumbers = numbers(query.text);
  const total = candidates.reduce((s, c) => s + c.score, 0);
  const texts = candidates.map((c) => docText(c.doc));
  return candidates.map((c, rank) => {
    const d = texts[rank]!;
    const share = (has: Set<string>) => (query.mass > 0 ? query.terms.reduce((s, t) => s + (has.has(t) ? query.cover.get(t)! : 0), 0) / query.mass : 0);
    let common = 0;
    for (const t of qTerms) if (d.querySet.has(t)) common++;
    const union = qTerms.size + d.querySet.size - common;
    const features: Record<RerankFeature, number> = {
      bm25: Math.log1p(c.score),
      bm25Relative: top > 0 ? c.score / top : 0,
      inverseRank: 1 / (rank + 1),
      coverage: c.coverage,
      questionCoverage: share(d.querySet),
      answerCoverage: share(d.answerSet),
      questionJaccard: union ? common / union : 0,
      bigramOverlap: qBigrams.length ? qBigrams.filter((b) => d.bigrams.has(b)).length / qBigrams.length : 0,
      charTrigram: cosineCounts(qTrigrams, d.trigrams),
      lengthRatio: -Math.abs(Math.log((qTokens.length + 1) / (d.queryTokens.length + 1))),
      tagOverlap: d.tagTerms.length ? d.tagTerms.filter((t) => qTerms.has(t)).length / d.tagTerms.length : 0,
      numberMatch: qNumbers.length ? qNumbers.reduce((s, n) => s + (numberIn(d.text, n) ? 1 : -1), 0) / qNumbers.length : 0,
      answerSupport: total > 0 ? candidates.reduce((s, o, j) => s + (jaccard(d.answerSet, texts[j]!.answerSet) >= SAME_ANSWER ? o.score : 0), 0) / total : 0,
    };
    return { candidate: c, x: RERANK_FEATURES.map((f) => features[f]) };
  });
}

/** Answers this alike (term Jaccard) say the same thing: one approved answer with another order number, say. */
const SAME_ANSWER = 0.6;

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a === b) return 1;
  let common = 0;
  for (const t of a) if (b.has(t)) common++;
  const union = a.size + b.size - common;
  return union ? common / union : 0;
}

function bigrams(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < tokens.length; i++) out.push(`${tokens[i - 1]} ${tokens[i]}`);
  return out;
}

function charTrigrams(text: string): Map<string, number> {
  const norm = ` ${text.toLowerCase().normalize("NFKC").replace(/[^\p{L}\p{N}]+/gu, " ").trim()} `;
  const out = new Map<string, number>();
  for (let i = 0; i + 3 <= norm.length; i++) {
    const g = norm.slice(i, i + 3);
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

function cosineCounts(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [k, v] of a) {
    na += v * v;
    dot += v * (b.get(k) ?? 0);
  }
  for (const v of b.values()) nb += v * v;
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

function numbers(text: string): string[] {
  return [...new Set(text.match(/\d+(?:[.,]\d+)*/g) ?? [])];
}

function numberIn(text: string, n: string): boolean {
  return new RegExp(`(?<![\\d.,])${n.replace(/[.,]/g, "\\$&")}(?![\\d]|[.,]\\d)`).test(text);
}

// ---- applying a reranker ------------------------------------------------------------------------------

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** The reranker's logit for a raw feature vector. */
export function rerankLogit(r: Pick<Reranker, "mean" | "scale" | "weights" | "bias">, x: readonly number[]): number {
  let z = r.bias;
  for (let i = 0; i < r.weights.length; i++) z += r.weights[i]! * ((x[i]! - r.mean[i]!) / (r.scale[i] || 1));
  return z;
}

/**
 * Whether a search text asks the very question a document was approved for (the same terms in the
 * same order). A reranked search gives such a candidate probability 1: the trainer fits on questions
 * left out of their own search, so the weights never saw a question meet itself, and a model must
 * still know its training examples.
 */
export function sameQuestion(text: string, docQuery: string): boolean {
  const asked = tokenize(text).join(" ");
  return asked !== "" && asked === tokenize(docQuery).join(" ");
}

function rerank(r: Reranker, query: Query, candidates: Candidate[]): Array<{ candidate: Candidate; probability: number }> {
  const asked = tokenize(query.text).join(" ");
  return featurize(query, candidates.slice(0, r.candidates))
    .map(({ candidate, x }) => ({
      candidate,
      probability: asked && asked === docText(candidate.doc).queryTokens.join(" ") ? 1 : sigmoid(rerankLogit(r, x)),
    }))
    .sort((a, b) => b.probability - a.probability || b.candidate.score - a.candidate.score || (a.candidate.doc.id < b.candidate.doc.id ? -1 : 1));
}

/** A stored reranker this code can apply: this version, these features, consistent numbers. */
function usableReranker(v: unknown): Reranker | null {
  if (!v || typeof v !== "object") return null;
  const r = v as Partial<Reranker>;
  const n = RERANK_FEATURES.length;
  const nums = (xs: unknown) => Array.isArray(xs) && xs.length === n && xs.every((x) => typeof x === "number" && Number.isFinite(x));
  const ok =
    r.kind === "logistic" && r.version === 1 &&
    Array.isArray(r.features) && r.features.length === n && r.features.every((f, i) => f === RERANK_FEATURES[i]) &&
    nums(r.mean) && nums(r.scale) && nums(r.weights) &&
    typeof r.bias === "number" && Number.isFinite(r.bias) &&
    typeof r.candidates === "number" && r.candidates >= 1 &&
    typeof r.threshold === "number" && r.threshold >= 0 && r.threshold <= 1;
  return ok ? (r as Reranker) : null;
}

/** Shape check for an index read back from jsonb (written by another process, maybe another version). */
export function isRetrievalIndex(v: unknown): v is RetrievalIndex {
  if (!v || typeof v !== "object") return false;
  const o = v as Partial<RetrievalIndex>;
  return o.kind === "bm25" && o.version === 1 && Array.isArray(o.docs) && typeof o.df === "object" && typeof o.docCount === "number";
}
