import { describe, expect, it } from "vitest";
import { buildRetrievalIndex, searchIndex, type RetrievalIndex } from "@review/shared/llm/retrieval";
import { seededRng, tokenF1 } from "@review/shared/stats/index";
import type { WorkerLlm } from "../../llm.ts";
import { buildDataset, type Example } from "./dataset.ts";
import { createLocalTrainer } from "./local-trainer.ts";
import { candidateGroups, trainReranker, RERANKER_DEFAULTS } from "./reranker.ts";

/**
 * A synthetic support desk with a known structure: every question names its topic's keyword (which
 * is also the topic's tag) among three filler words drawn from a shared pool. Fillers are rarer than
 * keywords, so BM25 (IDF) often prefers a candidate that shares a filler over one that shares the
 * topic; what decides the answer is the topic, and the reranker can learn that from the examples.
 */
const TOPICS: Record<string, string> = {
  refund: "Refunds reach the original card within five business days after the return arrives.",
  invoice: "Invoices are PDFs under Billing; each one can be regenerated with a company VAT number.",
  password: "Use Forgot password on the sign-in page; the emailed link expires after one hour.",
  shipping: "Standard delivery takes three to five days and express arrives the next morning.",
  warranty: "Appliances carry a two-year warranty covering defects but not accidental damage.",
  export: "Settings, Privacy, Export data emails a ZIP archive of CSV files within a day.",
  webhook: "Endpoints must answer 2xx within ten seconds or deliveries are retried, then disabled.",
  discount: "Registered non-profits get thirty percent off any plan after sending their registration.",
};
const ONE_OFFS: Record<string, string> = {
  gift: "Gift cards never expire and can be combined with any promotion at checkout.",
  recycling: "Old appliances are collected for recycling when the new one is delivered.",
  student: "Students verify their enrolment once a year to keep the education pricing.",
  accessibility: "The app supports screen readers, keyboard navigation and high-contrast themes.",
  careers: "Open positions are listed on the jobs board with the team and location.",
  press: "Journalists reach the communications team through the media contact form.",
};
const FILLERS = ("blue morning quickly yesterday kitchen laptop garden weekend office cousin window holiday river coffee " +
  "printer ticket mountain phone brother evening coupon tablet sister summer winter parcel neighbour bicycle camera").split(" ");

function synthetic(seed: number, perTopic = 5): Example[] {
  const rng = seededRng(seed);
  const pick = () => FILLERS[Math.floor(rng() * FILLERS.length)]!;
  const out: Example[] = [];
  Object.entries(TOPICS).forEach(([topic, answer], t) => {
    for (let k = 0; k < perTopic; k++) {
      const words = [pick(), pick(), pick()];
      words.splice(Math.floor(rng() * 4), 0, topic);
      out.push({
        id: `00000000-0000-4000-8000-${String(t * 100 + k).padStart(12, "0")}`,
        query: `${words.join(" ")}?`,
        answer,
        tags: [topic],
      });
    }
  });
  // Questions asked once: left out of its own search, each has only filler matches, which teaches the
  // model that a shared filler word is no reason to answer.
  Object.entries(ONE_OFFS).forEach(([keyword, answer], i) => {
    out.push({ id: `00000000-0000-4000-8000-${String(9000 + i).padStart(12, "0")}`, query: `${pick()} ${keyword} ${pick()} ${pick()}?`, answer, tags: [keyword] });
  });
  return out;
}

const split = (seed: number) => buildDataset(synthetic(seed), [], { seed, validationFraction: 0.3, minSamples: 4, maxTokensPerExample: 4096, systemPrompt: "" });

/** Share of items whose top hit (as the dev LLM searches) carries an answer matching the reference. */
function heldOutAccuracy(index: RetrievalIndex, items: readonly Example[]): number {
  const right = items.filter((e) => {
    const top = searchIndex(index, e.query, { limit: 3, minCoverage: 0.4 })[0];
    return top !== undefined && tokenF1(top.answer, e.answer) >= 0.5;
  });
  return right.length / items.length;
}

async function fit(seed: number) {
  const ds = split(seed);
  const index = buildRetrievalIndex(ds.train);
  const train = candidateGroups(index, ds.train, { leaveOneOut: true, candidates: 20 });
  const validation = candidateGroups(index, ds.validation, { leaveOneOut: false, candidates: 20 });
  const out = await trainReranker(train, validation, { ...RERANKER_DEFAULTS, epochs: 15, seed });
  return { ds, index, out, trained: { ...index, reranker: out.reranker } as RetrievalIndex };
}

describe("the local trainer's reranker", () => {
  it("lowers the training loss over epochs and beats plain BM25 on held-out questions", async () => {
    const { ds, index, out, trained } = await fit(11);
    const losses = out.history.map((h) => h.loss);
    expect(out.history.map((h) => h.epoch)).toEqual([...Array(16).keys()]);
    expect(losses[0]).toBeCloseTo(Math.LN2, 10);
    // Mini-batch steps may wobble; over the run the loss falls, and by a lot.
    expect(losses[1]!).toBeLessThan(losses[0]!);
    expect(losses[15]!).toBeLessThan(losses[1]!);
    expect(losses[15]!).toBeLessThan(0.6 * losses[0]!);

    // The epoch-0 line is BM25 alone; training does better on the held-out split, by its own metrics…
    const before = out.history[0]!.validation;
    const after = out.history.at(-1)!.validation;
    expect(after.accuracy - before.accuracy).toBeGreaterThanOrEqual(0.25);
    expect(after.mrr).toBeGreaterThanOrEqual(before.mrr);
    // …and as the dev LLM serves it: searchIndex applies the stored weights, read back from JSON.
    const stored = JSON.parse(JSON.stringify(trained)) as RetrievalIndex;
    const base = heldOutAccuracy(index, ds.validation);
    const tuned = heldOutAccuracy(stored, ds.validation);
    expect(tuned).toBeCloseTo(after.accuracy, 10);
    expect(tuned - base).toBeGreaterThanOrEqual(0.25);
    // The reranker learned the structure: the topic (tag) matters, and fillers' BM25 weight less.
    const w = Object.fromEntries(out.reranker.features.map((f, i) => [f, out.reranker.weights[i]!]));
    expect(w.tagOverlap).toBeGreaterThan(0);
    expect(w.tagOverlap).toBeGreaterThan(w.bm25!);
  });

  it("is deterministic for a seed", async () => {
    const a = await fit(11);
    const b = await fit(11);
    expect(b.out.reranker).toEqual(a.out.reranker);
    expect(b.out.history).toEqual(a.out.history);
  });

  it("still answers a question it was trained on, asked again word for word", async () => {
    const { ds, trained } = await fit(11);
    for (const e of ds.train) expect(tokenF1(searchIndex(trained, e.query)[0]?.answer ?? "", e.answer)).toBeGreaterThanOrEqual(0.5);
  });

  it("declines text about none of the topics", async () => {
    const { trained } = await fit(11);
    expect(searchIndex(trained, "What is the weather like on Mars tomorrow morning?")).toEqual([]);
  });

  it("leaves an index whose reranker this code cannot apply to plain BM25", async () => {
    const { index, trained } = await fit(11);
    const future = { ...trained, reranker: { ...trained.reranker!, features: [...trained.reranker!.features.slice(1), "embeddingCosine"] } };
    const q = "kitchen refund laptop?";
    expect(searchIndex(future, q, { minCoverage: 0.4 })).toEqual(searchIndex(index, q, { minCoverage: 0.4 }));
    expect(searchIndex(trained, q, { rerank: false, minCoverage: 0.4 })).toEqual(searchIndex(index, q, { minCoverage: 0.4 }));
  });
});

describe("createLocalTrainer", () => {
  const noLlm = { route: {} as WorkerLlm["route"], complete: () => Promise.reject(new Error("training makes no LLM calls")) } satisfies WorkerLlm;

  it("reports every epoch with its loss and validation metrics, and stores the weights with the index", async () => {
    const ds = split(11);
    const lines: Array<{ percent: number; step: string; message: string; metrics?: Record<string, unknown> }> = [];
    const out = await createLocalTrainer(noLlm).train({
      orgId: "org", jobId: "job", jobName: "t", baseModel: "offline-strong-1", systemPrompt: "",
      train: ds.train, validation: ds.validation, snapshot: ds.snapshot,
      hyperparameters: { n_epochs: 6 }, seed: 11, signal: new AbortController().signal,
      checkpoint: undefined, saveCheckpoint: async () => {},
      progress: async (percent, step, message, metrics) => void lines.push({ percent, step, message, metrics }),
    });
    const epochs = lines.filter((l) => typeof l.metrics?.epoch === "number");
    expect(epochs.map((l) => l.metrics!.epoch)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(epochs[3]!.message).toMatch(/^Epoch 3\/6: training loss \d\.\d{3}, validation loss \d\.\d{3}; validation accuracy \d+\.\d%, MRR \d\.\d{3}/);
    for (const l of lines) expect(l.message.length).toBeGreaterThan(20);
    // Progress is the share of epochs done, within the trainer's part of the bar.
    expect(epochs.map((l) => l.percent)).toEqual([20, 20 + 20 / 6, 20 + 40 / 6, 30, 20 + 80 / 6, 20 + 100 / 6, 40]);
    const index = out.retrievalIndex as RetrievalIndex;
    expect(index.reranker?.weights).toHaveLength(index.reranker!.features.length);
    expect(out.details.history).toHaveLength(7);
  });
});
