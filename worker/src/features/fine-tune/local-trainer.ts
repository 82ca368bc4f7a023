import { buildRetrievalIndex } from "@review/shared/llm/retrieval";
import { fineTunedModelName } from "@review/shared/llm/offline-protocol";
import type { WorkerLlm } from "../../llm.ts";
import type { Generate } from "./evaluate.ts";
import type { Trainer, TrainInput, TrainOutput } from "./trainer.ts";

/**
 * The embedded default's trainer: "training" the offline model means building the BM25 retrieval index
 * it answers from (shared/src/llm/retrieval.ts) over the train split only. The index is stored on the
 * models row, where the dev LLM finds it for `offline-ft:<models.id>`; so the more answers curators
 * approve, the more questions the next fine-tuned model answers with an approved answer.
 */
export function createLocalTrainer(llm: WorkerLlm): Trainer {
  return {
    kind: "local",
    async train(input: TrainInput): Promise<TrainOutput> {
      input.signal.throwIfAborted();
      const index = buildRetrievalIndex(
        input.train.map((e) => ({ id: e.id, query: e.query, answer: e.answer, tags: e.tags })),
      );
      const terms = Object.keys(index.df).length;
      await input.progress(35, "train", `Indexed ${index.docCount} approved answers (${terms} distinct terms)`, { docs: index.docCount, terms });
      return { provider: "offline", retrievalIndex: index, details: { kind: "local", docs: index.docCount, terms, avgDocLength: index.avgDocLength } };
    },
    generator(modelId: string, _out: TrainOutput, orgId: string): Generate {
      return generatorFor(llm, fineTunedModelName(modelId), orgId, "worker:fine-tune-eval");
    },
  };
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
