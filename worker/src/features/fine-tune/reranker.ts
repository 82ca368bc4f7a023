import {
  candidateFeatures,
  DEFAULT_CANDIDATES,
  RERANK_FEATURES,
  rerankLogit,
  sameQuestion,
  sigmoid,
  type CandidateFeatures,
  type RetrievalIndex,
  type Reranker,
} from "@review/shared/llm/retrieval";
import { seededRng, shuffled, tokenF1 } from "@review/shared/stats/index";
import { ACCURACY_F1_THRESHOLD } from "./evaluate.ts";

/**
 * Training the offline model's reranker (see Reranker in shared/src/llm/retrieval.ts): logistic
 * regression over BM25's candidates, fitted with Adam on mini-batches, seeded.
 *
 * The supervision comes from the approved examples themselves. Each training question is searched
 * against the other training examples (leave-one-out: as if it had never been approved); a candidate is
 * a positive when its approved answer matches the question's own approved answer (token F1 ≥ 0.5, the
 * evaluation's definition of a correct answer). So the model learns which candidates answer a new
 * phrasing, and when none does, from the organization's own data.
 *
 * Why our own optimizer rather than a library: the model has a dozen weights; Adam on it is 20 lines,
 * deterministic on every machine, and runs in the worker without native code or a model runtime.
 */

/** Below this coverage the dev LLM ignores a plain (untrained) index's hits; the baseline uses it too. */
export const BASE_MIN_COVERAGE = 0.4;

/** A candidate labelled 1 when its answer matches the question's reference; sameQuestion: see retrieval.ts. */
export type Labeled = CandidateFeatures & { sameQuestion: boolean; y: 0 | 1 };
/** One question with its candidates, each labelled by whether its answer matches the reference. */
export type Group = { query: string; reference: string; candidates: Labeled[] };

export type SplitMetrics = {
  /** Mean binary cross-entropy over the candidates (null before training: BM25 has no probabilities). */
  loss: number | null;
  /** Share of questions whose answer would be right: the top candidate is accepted and matches. */
  accuracy: number;
  /** Mean reciprocal rank of the first matching candidate (0 when none is among the candidates). */
  mrr: number;
  /** Share of questions the model answers (top candidate accepted) rather than declining. */
  answered: number;
};

/** One epoch: the training loss after it and the held-out metrics. Epoch 0 is before any update. */
export type EpochReport = { epoch: number; epochs: number; loss: number; validation: SplitMetrics };

export type RerankerOptions = {
  epochs: number;
  learningRate: number;
  batchSize: number;
  /** L2 penalty on the weights (not the bias). */
  l2: number;
  seed: number;
  threshold: number;
  candidates: number;
  signal?: AbortSignal;
  onEpoch?: (report: EpochReport) => Promise<void> | void;
};

export const RERANKER_DEFAULTS = { epochs: 20, learningRate: 0.05, batchSize: 32, l2: 1e-3, threshold: 0.5, candidates: DEFAULT_CANDIDATES } as const;

export type TrainedReranker = {
  reranker: Reranker;
  history: EpochReport[];
  /** The same splits scored by plain BM25 (what the index answers without training). */
  before: { train: SplitMetrics; validation: SplitMetrics };
  rows: { train: number; trainPositives: number; validation: number; validationPositives: number };
};

/**
 * Candidate groups for `items` against `index`. `leaveOneOut`: each item is itself in the index (the
 * train split) and is left out of its own search.
 */
export function candidateGroups(
  index: RetrievalIndex,
  items: ReadonlyArray<{ id: string; query: string; answer: string }>,
  opts: { leaveOneOut: boolean; candidates: number },
): Group[] {
  return items.map((e) => ({
    query: e.query,
    reference: e.answer,
    candidates: candidateFeatures(index, e.query, { limit: opts.candidates, exclude: opts.leaveOneOut ? e.id : undefined }).map((c) => ({
      ...c,
      sameQuestion: sameQuestion(e.query, c.query),
      y: tokenF1(c.answer, e.answer) >= ACCURACY_F1_THRESHOLD ? 1 : 0,
    })),
  }));
}

/** Cross-entropy of one prediction, clamped so a confident mistake costs a lot but not infinity. */
function bce(p: number, y: 0 | 1): number {
  const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
  return y ? -Math.log(q) : -Math.log(1 - q);
}

/** Metrics of a scoring on groups: ranked by `score`, the top accepted when `accept` says so. */
export function splitMetrics(groups: readonly Group[], score: (c: Labeled) => number, accept: (c: Labeled, s: number) => boolean, probability?: (c: Labeled) => number): SplitMetrics {
  let correct = 0;
  let answered = 0;
  let rr = 0;
  let loss = 0;
  let rows = 0;
  for (const g of groups) {
    const ranked = g.candidates.map((c) => ({ c, s: score(c) })).sort((a, b) => b.s - a.s || b.c.score - a.c.score || (a.c.id < b.c.id ? -1 : 1));
    const top = ranked[0];
    if (top && accept(top.c, top.s)) {
      answered++;
      if (top.c.y) correct++;
    }
    const first = ranked.findIndex((r) => r.c.y === 1);
    if (first >= 0) rr += 1 / (first + 1);
    if (probability) {
      for (const c of g.candidates) loss += bce(probability(c), c.y);
      rows += g.candidates.length;
    }
  }
  const n = Math.max(1, groups.length);
  return { loss: probability ? (rows ? loss / rows : 0) : null, accuracy: correct / n, mrr: rr / n, answered: answered / n };
}

/** Plain BM25 as the dev LLM uses an untrained index: best score first, used when coverage ≥ BASE_MIN_COVERAGE. */
export function bm25Metrics(groups: readonly Group[]): SplitMetrics {
  return splitMetrics(groups, (c) => c.score, (c) => c.coverage >= BASE_MIN_COVERAGE);
}

export async function trainReranker(train: readonly Group[], validation: readonly Group[], opts: RerankerOptions): Promise<TrainedReranker> {
  const d = RERANK_FEATURES.length;
  const rows = train.flatMap((g) => g.candidates);
  const valRows = validation.flatMap((g) => g.candidates);
  // Standardized features: one learning rate suits every weight, and weights are comparable.
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(1);
  if (rows.length) {
    for (let j = 0; j < d; j++) {
      const m = rows.reduce((s, r) => s + r.x[j]!, 0) / rows.length;
      const v = rows.reduce((s, r) => s + (r.x[j]! - m) ** 2, 0) / rows.length;
      mean[j] = m;
      scale[j] = v > 1e-12 ? Math.sqrt(v) : 1;
    }
  }
  const model = { mean, scale, weights: new Array<number>(d).fill(0), bias: 0 };
  const p = (c: Labeled) => sigmoid(rerankLogit(model, c.x));
  // Held-out questions are scored as searchIndex serves them (see sameQuestion), so these numbers are
  // the served model's.
  const served = (c: Labeled) => (c.sameQuestion ? 1 : p(c));
  const evaluate = (groups: readonly Group[]) => splitMetrics(groups, served, (_c, s) => s >= opts.threshold, served);

  // Adam (Kingma & Ba 2015) with the paper's β1, β2, ε; parameters = weights then bias.
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  const m = new Array<number>(d + 1).fill(0);
  const v = new Array<number>(d + 1).fill(0);
  let step = 0;
  const rng = seededRng(opts.seed);
  const history: EpochReport[] = [];
  const z = rows.map((r) => r.x.map((x, j) => (x - mean[j]!) / scale[j]!));
  const order = rows.map((_, i) => i);

  // Epoch 0 is the starting point: weights at zero (every probability ½, loss ln 2), and the validation
  // split answered as BM25 alone answers it, which is what training has to beat.
  const initial = rows.length ? Math.LN2 : 0;
  const start: EpochReport = { epoch: 0, epochs: opts.epochs, loss: initial, validation: { ...bm25Metrics(validation), loss: valRows.length ? Math.LN2 : 0 } };
  history.push(start);
  await opts.onEpoch?.(start);

  // The step size decays along a cosine from the given rate to a tenth of it: large steps early, then
  // small ones, so the loss settles instead of bouncing between mini-batches at the end.
  const totalSteps = opts.epochs * Math.ceil(rows.length / opts.batchSize);
  const rate = (t: number) => opts.learningRate * (0.1 + 0.45 * (1 + Math.cos((Math.PI * t) / Math.max(1, totalSteps))));

  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    opts.signal?.throwIfAborted();
    const batches = shuffled(order, rng);
    for (let start = 0; start < batches.length; start += opts.batchSize) {
      const batch = batches.slice(start, start + opts.batchSize);
      const grad = new Array<number>(d + 1).fill(0);
      for (const i of batch) {
        const zi = z[i]!;
        let logit = model.bias;
        for (let j = 0; j < d; j++) logit += model.weights[j]! * zi[j]!;
        const err = sigmoid(logit) - rows[i]!.y;
        for (let j = 0; j < d; j++) grad[j]! += (err * zi[j]!) / batch.length;
        grad[d]! += err / batch.length;
      }
      for (let j = 0; j < d; j++) grad[j]! += opts.l2 * model.weights[j]!;
      step++;
      const lr = rate(step - 1);
      for (let j = 0; j <= d; j++) {
        m[j] = b1 * m[j]! + (1 - b1) * grad[j]!;
        v[j] = b2 * v[j]! + (1 - b2) * grad[j]! ** 2;
        const update = (lr * (m[j]! / (1 - b1 ** step))) / (Math.sqrt(v[j]! / (1 - b2 ** step)) + eps);
        if (j < d) model.weights[j]! -= update;
        else model.bias -= update;
      }
    }
    const trainLoss = rows.length ? rows.reduce((s, r) => s + bce(p(r), r.y), 0) / rows.length : 0;
    const report: EpochReport = { epoch, epochs: opts.epochs, loss: trainLoss, validation: evaluate(validation) };
    history.push(report);
    await opts.onEpoch?.(report);
  }

  return {
    reranker: {
      kind: "logistic",
      version: 1,
      features: [...RERANK_FEATURES],
      mean: [...mean],
      scale: [...scale],
      weights: [...model.weights],
      bias: model.bias,
      candidates: opts.candidates,
      threshold: opts.threshold,
    },
    history,
    before: { train: bm25Metrics(train), validation: bm25Metrics(validation) },
    rows: { train: rows.length, trainPositives: rows.filter((r) => r.y).length, validation: valRows.length, validationPositives: valRows.filter((r) => r.y).length },
  };
}
