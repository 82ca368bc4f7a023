import { buildRetrievalIndex } from "@review/shared/llm/retrieval";
import { seededRng, shuffled } from "@review/shared/stats/index";
import { fineTunedModelName } from "@review/shared/llm/offline-protocol";
import type { WorkerLlm } from "../../llm.ts";
import { round } from "../common.ts";
import type { Generate } from "./evaluate.ts";
import { candidateGroups, RERANKER_DEFAULTS, trainReranker, type EpochReport, type SplitMetrics } from "./reranker.ts";
import type { Trainer, TrainInput, TrainOutput } from "./trainer.ts";

/** The share of the job's progress bar training takes (the handler's dataset step ends at 20%). */
const TRAIN_FROM = 20;
const TRAIN_TO = 40;
/** Enough questions to fit a dozen weights many times over. */
const MAX_FIT_QUESTIONS = 1500;

/**
 * The embedded default's trainer. The offline model answers from a BM25 index of approved answers
 * (shared/src/llm/retrieval.ts); training builds that index over the train split and fits its reranker
 * over epochs (reranker.ts): which of BM25's candidates answer a question this organization has not
 * approved an answer for yet, and when none does. Both are stored on the models row, where the dev LLM
 * finds them for `offline-ft:<models.id>`: searchIndex applies the learned weights.
 */
export function createLocalTrainer(llm: WorkerLlm): Trainer {
  return {
    kind: "local",
    async train(input: TrainInput): Promise<TrainOutput> {
      input.signal.throwIfAborted();
      const started = performance.now();
      const index = buildRetrievalIndex(input.train.map((e) => ({ id: e.id, query: e.query, answer: e.answer, tags: e.tags })));
      const terms = Object.keys(index.df).length;
      const hp = input.hyperparameters;
      const opts = {
        ...RERANKER_DEFAULTS,
        epochs: hp.n_epochs ?? RERANKER_DEFAULTS.epochs,
        learningRate: RERANKER_DEFAULTS.learningRate * (hp.learning_rate_multiplier ?? 1),
        batchSize: hp.batch_size ?? RERANKER_DEFAULTS.batchSize,
        seed: input.seed,
        signal: input.signal,
      };
      // Every approved answer is in the index; the reranker learns from at most MAX_FIT_QUESTIONS of
      // them (a seeded sample), which bounds the time a large organization's job spends on features.
      const fitOn = input.train.length > MAX_FIT_QUESTIONS ? shuffled(input.train, seededRng(input.seed)).slice(0, MAX_FIT_QUESTIONS) : input.train;
      const trainGroups = candidateGroups(index, fitOn, { leaveOneOut: true, candidates: opts.candidates });
      const valGroups = candidateGroups(index, input.validation, { leaveOneOut: false, candidates: opts.candidates });
      const pairs = trainGroups.reduce((s, g) => s + g.candidates.length, 0);
      const positives = trainGroups.reduce((s, g) => s + g.candidates.filter((c) => c.y).length, 0);
      const base = { kind: "local", docs: index.docCount, terms, avgDocLength: round(index.avgDocLength, 2) };

      if (positives === 0) {
        // Nothing says which candidates answer a new question: a reranker fitted on negatives alone would
        // decline everything, even a question asked again word for word. The index answers as BM25 does.
        await input.progress(TRAIN_TO, "train", `Indexed ${index.docCount} approved answers (${terms} terms); no reranker: no training question's approved answer matches another's among ${pairs} candidate pairs, so there is nothing to learn which candidates answer a new phrasing. Approve answers to more phrasings of the same questions.`, { docs: index.docCount, terms, pairs, positives });
        return { provider: "offline", retrievalIndex: index, details: { ...base, reranker: null, pairs, positives } };
      }

      await input.progress(
        TRAIN_FROM,
        "train",
        `Indexed ${index.docCount} approved answers (${terms} terms); fitting the reranker on ${pairs} question–candidate pairs (${positives} matching)` +
          `${fitOn.length < input.train.length ? ` from ${fitOn.length} of the ${input.train.length} questions` : ""} ` +
          `for ${opts.epochs} epochs (Adam, learning rate ${opts.learningRate}, batch ${opts.batchSize}, seed ${opts.seed})`,
        { docs: index.docCount, terms, pairs, positives },
      );
      const onEpoch = (r: EpochReport) =>
        input.progress(TRAIN_FROM + ((TRAIN_TO - TRAIN_FROM) * r.epoch) / Math.max(1, r.epochs), "train", epochLine(r), {
          epoch: r.epoch,
          epochs: r.epochs,
          loss: round(r.loss, 5),
          valLoss: r.validation.loss === null ? null : round(r.validation.loss, 5),
          valAccuracy: round(r.validation.accuracy),
          valMrr: round(r.validation.mrr),
          valAnswered: round(r.validation.answered),
        });
      const fit = await trainReranker(trainGroups, valGroups, { ...opts, onEpoch });
      const last = fit.history.at(-1)!;
      const ms = Math.round(performance.now() - started);
      await input.progress(
        TRAIN_TO,
        "train",
        `Trained in ${ms} ms: held-out accuracy ${pct(fit.before.validation.accuracy)} with BM25 alone → ${pct(last.validation.accuracy)} reranked ` +
          `(MRR ${fit.before.validation.mrr.toFixed(3)} → ${last.validation.mrr.toFixed(3)}); training loss ${fit.history[0]!.loss.toFixed(3)} → ${last.loss.toFixed(3)}`,
        { untunedValAccuracy: round(fit.before.validation.accuracy), valAccuracy: round(last.validation.accuracy), trainMs: ms },
      );
      return {
        provider: "offline",
        retrievalIndex: { ...index, reranker: fit.reranker },
        details: {
          ...base,
          reranker: { features: fit.reranker.features, weights: fit.reranker.weights.map((w) => round(w)), bias: round(fit.reranker.bias), threshold: fit.reranker.threshold, candidates: fit.reranker.candidates },
          hyperparameters: { epochs: opts.epochs, learningRate: opts.learningRate, batchSize: opts.batchSize, l2: opts.l2, seed: opts.seed },
          rows: fit.rows,
          before: { train: rounded(fit.before.train), validation: rounded(fit.before.validation) },
          history: fit.history.map((h) => ({ epoch: h.epoch, loss: round(h.loss, 5), validation: rounded(h.validation) })),
          trainMs: ms,
        },
      };
    },
    generator(modelId: string, _out: TrainOutput, orgId: string, opts: { system?: string } = {}): Generate {
      return generatorFor(llm, fineTunedModelName(modelId), orgId, "worker:fine-tune-eval", { system: opts.system });
    },
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function rounded(m: SplitMetrics) {
  return { loss: m.loss === null ? null : round(m.loss, 5), accuracy: round(m.accuracy), mrr: round(m.mrr), answered: round(m.answered) };
}

function epochLine(r: EpochReport): string {
  const v = r.validation;
  if (r.epoch === 0) return `Epoch 0/${r.epochs} (before training): loss ${r.loss.toFixed(3)}; held-out accuracy ${pct(v.accuracy)} and MRR ${v.mrr.toFixed(3)} with BM25 alone`;
  return `Epoch ${r.epoch}/${r.epochs}: training loss ${r.loss.toFixed(3)}, validation loss ${v.loss!.toFixed(3)}; validation accuracy ${pct(v.accuracy)}, MRR ${v.mrr.toFixed(3)}, answers ${pct(v.answered)}`;
}

/** Calls a model through the shared LLM client (ai_requests logged) as an evaluation does. */
export function generatorFor(llm: WorkerLlm, model: string, orgId: string, functionName: string, opts: { system?: string; maxTokens?: number; promptVersionId?: string | null; render?: (q: string) => string } = {}): Generate {
  return async (query, signal) => {
    const r = await llm.complete({
      model,
      system: opts.system || undefined,
      messages: [{ role: "user", content: opts.render ? opts.render(query) : query }],
      maxTokens: opts.maxTokens ?? 1024,
      context: { functionName, promptVersionId: opts.promptVersionId ?? null },
      logOrgId: orgId,
      signal,
    });
    return { text: r.text, latencyMs: r.latencyMs, inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, costUsd: r.costUsd };
  };
}
