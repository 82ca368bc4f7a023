import { z } from "zod";
import { formatModelRef, PROVIDERS, providerForBaseUrl, setupHint, type ProviderId } from "@review/shared/llm/providers";
import type { WorkerLlm } from "../../llm.ts";
import { JobAbortedError, PermanentError } from "../../queue/types.ts";
import { toChatJsonl } from "./dataset.ts";
import type { Generate } from "./evaluate.ts";
import type { Trainer, TrainInput, TrainOutput } from "./trainer.ts";

/**
 * A client for the OpenAI fine-tuning protocol (files → fine_tuning/jobs → events/status → model), which
 * OpenAI and several compatible trainers (Together, Fireworks, vLLM-based services…) speak. Plain fetch:
 * five endpoints do not justify an SDK, and a loopback server in the tests speaks the same protocol.
 *
 * The trained model is served, evaluated and promoted like any other model: by its model reference
 * (`openai:ft:…`, or the provider its base URL belongs to, e.g. `together:…`, `vllm:…`), through the
 * shared LLM client with that provider's key. The trainer refuses to start when the worker cannot
 * serve the result, before anything is uploaded or paid for.
 */
const FileObject = z.object({ id: z.string() });
const FtJob = z.object({
  id: z.string(),
  status: z.enum(["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]),
  fine_tuned_model: z.string().nullable().optional(),
  trained_tokens: z.number().nullable().optional(),
  error: z.object({ message: z.string().optional(), code: z.string().nullable().optional() }).nullable().optional(),
});
const FtEvents = z.object({
  data: z.array(z.object({ id: z.string(), created_at: z.number(), level: z.string().optional(), message: z.string(), data: z.unknown().optional() })),
  has_more: z.boolean().optional(),
});

const State = z.object({
  contentHash: z.string(),
  trainingFileId: z.string().optional(),
  validationFileId: z.string().optional(),
  remoteJobId: z.string().optional(),
  lastEventId: z.string().optional(),
});
type State = z.infer<typeof State>;

export class FineTuneApiError extends Error {
  override readonly name = "FineTuneApiError";
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export type OpenAiTrainerOptions = {
  baseUrl: string;
  apiKey: string;
  pollMs: number;
  /** Serves the trained model for evaluation, as production will (its providers decide which key). */
  llm: WorkerLlm;
  fetch?: typeof fetch;
};

export function createOpenAiClient(opts: OpenAiTrainerOptions) {
  const f = opts.fetch ?? fetch;
  const base = opts.baseUrl.replace(/\/+$/, "");
  async function call<T>(schema: z.ZodType<T>, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${opts.apiKey}` }, signal };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    const res = await f(`${base}${path}`, init);
    const text = await res.text();
    if (!res.ok) {
      let msg = text.slice(0, 500);
      try {
        msg = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? msg;
      } catch {
        /* not JSON */
      }
      // 4xx other than rate limits will not get better by retrying.
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        throw new PermanentError(`The fine-tuning API refused ${method} ${path} (${res.status}): ${msg}`);
      }
      throw new FineTuneApiError(res.status, `The fine-tuning API answered ${res.status} to ${method} ${path}: ${msg}`);
    }
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new FineTuneApiError(502, `Unexpected answer from ${method} ${path}: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }
  return {
    uploadFile: (name: string, content: string, signal?: AbortSignal) => {
      const form = new FormData();
      form.append("purpose", "fine-tune");
      form.append("file", new Blob([content], { type: "application/jsonl" }), name);
      return call(FileObject, "POST", "/files", form, signal);
    },
    createJob: (body: Record<string, unknown>, signal?: AbortSignal) => call(FtJob, "POST", "/fine_tuning/jobs", body, signal),
    getJob: (id: string, signal?: AbortSignal) => call(FtJob, "GET", `/fine_tuning/jobs/${encodeURIComponent(id)}`, undefined, signal),
    events: (id: string, after?: string, signal?: AbortSignal) =>
      call(FtEvents, "GET", `/fine_tuning/jobs/${encodeURIComponent(id)}/events?limit=100${after ? `&after=${encodeURIComponent(after)}` : ""}`, undefined, signal),
    cancel: (id: string) => call(FtJob, "POST", `/fine_tuning/jobs/${encodeURIComponent(id)}/cancel`, {}),
  };
}

function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}

/**
 * The provider that serves what this fine-tuning API trains: a configured provider with the same base
 * URL, or the well-known host's (api.openai.com → openai). A fine-tuned model lives on the platform that
 * trained it, so no other provider can serve it.
 */
export function servingProvider(baseUrl: string, llm: WorkerLlm): ProviderId | null {
  return providerForBaseUrl(baseUrl, llm.route.providers);
}

export function createOpenAiTrainer(opts: OpenAiTrainerOptions): Trainer {
  const api = createOpenAiClient(opts);
  const provider = servingProvider(opts.baseUrl, opts.llm);
  return {
    kind: "openai",
    async train(input: TrainInput): Promise<TrainOutput> {
      if (!provider || !opts.llm.route.providers[provider]) {
        throw new PermanentError(
          provider
            ? `The fine-tuning API at ${opts.baseUrl} trains ${PROVIDERS[provider].label} models, but this worker cannot serve them: set ${setupHint(provider)}`
            : `No LLM provider is configured with the fine-tuning API's base URL ${opts.baseUrl}, so its models could not be served: set OPENAI_BASE_URL (or VLLM_BASE_URL) to it, with its key`,
        );
      }
      const prev = State.safeParse(input.checkpoint);
      // Remote state from an attempt on another dataset is not ours to resume.
      let st: State = prev.success && prev.data.contentHash === input.snapshot.contentHash ? prev.data : { contentHash: input.snapshot.contentHash };
      const save = async (next: State) => {
        st = next;
        await input.saveCheckpoint(st);
      };
      if (!st.trainingFileId) {
        const file = await api.uploadFile(`${input.jobId}-train.jsonl`, toChatJsonl(input.train, input.systemPrompt), input.signal);
        await save({ ...st, trainingFileId: file.id });
      }
      if (!st.validationFileId) {
        const file = await api.uploadFile(`${input.jobId}-validation.jsonl`, toChatJsonl(input.validation, input.systemPrompt), input.signal);
        await save({ ...st, validationFileId: file.id });
      }
      await input.progress(25, "upload", `Uploaded ${input.train.length} training and ${input.validation.length} validation examples`);
      if (!st.remoteJobId) {
        const hp = Object.fromEntries(Object.entries(input.hyperparameters).filter(([, v]) => v !== undefined));
        const job = await api.createJob(
          {
            model: input.baseModel,
            training_file: st.trainingFileId,
            validation_file: st.validationFileId,
            seed: input.seed,
            suffix: input.jobName.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 40),
            ...(Object.keys(hp).length ? { hyperparameters: hp } : {}),
          },
          input.signal,
        );
        await save({ ...st, remoteJobId: job.id });
        await input.progress(28, "train", `Fine-tuning job ${job.id} created (${job.status})`);
      }
      const remoteId = st.remoteJobId!;
      try {
        for (;;) {
          // Status first, then events: a finished job's last events are reported before returning.
          const job = await api.getJob(remoteId, input.signal);
          const ev = await api.events(remoteId, st.lastEventId, input.signal);
          // The API lists newest first; report them in the order they happened.
          const fresh = ev.data.slice().sort((a, b) => a.created_at - b.created_at);
          for (const e of fresh) await input.progress(30, "train", e.message, { remoteEventId: e.id, level: e.level ?? "info" });
          if (fresh.length) await save({ ...st, lastEventId: fresh.at(-1)!.id });
          if (job.status === "succeeded") {
            if (!job.fine_tuned_model) throw new FineTuneApiError(502, `Fine-tuning job ${remoteId} succeeded without a model name`);
            return {
              provider,
              details: {
                kind: "openai",
                remoteJobId: remoteId,
                fineTunedModel: job.fine_tuned_model,
                // What a prompt version pins and ai_requests records: the model reference.
                servedModel: formatModelRef(provider, job.fine_tuned_model),
                provider,
                ...(input.systemPrompt ? { systemPrompt: input.systemPrompt } : {}),
                trainedTokens: job.trained_tokens ?? null,
                trainingFileId: st.trainingFileId,
                validationFileId: st.validationFileId,
              },
            };
          }
          if (job.status === "failed") throw new PermanentError(`The fine-tuning job ${remoteId} failed: ${job.error?.message ?? "no reason given"}`);
          if (job.status === "cancelled") throw new PermanentError(`The fine-tuning job ${remoteId} was cancelled on the provider`);
          await sleep(opts.pollMs, input.signal);
        }
      } catch (err) {
        // Cancelling our job cancels the provider's (it costs money); a shutdown leaves it running to resume.
        const reason = input.signal.reason;
        if (input.signal.aborted && reason instanceof JobAbortedError && reason.reason === "cancelled") {
          await api.cancel(remoteId).catch(() => {});
        }
        throw err;
      }
    },
    generator(_modelId: string, out: TrainOutput, orgId: string): Generate {
      const model = servedModelOf(out);
      // The examples were trained with this system message; the evaluation asks the way training taught.
      const system = typeof out.details.systemPrompt === "string" ? out.details.systemPrompt : undefined;
      return async (query, signal) => {
        const r = await opts.llm.complete({
          model,
          system,
          messages: [{ role: "user", content: query }],
          maxTokens: 1024,
          context: { functionName: "worker:fine-tune-eval" },
          logOrgId: orgId,
          signal,
        });
        // Cost from the price table (fine-tuned prices where published); unknown stays null, never 0.
        return { text: r.text, latencyMs: r.latencyMs, inputTokens: r.usage.inputTokens + r.usage.cacheReadInputTokens, outputTokens: r.usage.outputTokens, costUsd: r.costUsd };
      };
    },
  };
}

/** The model reference of a finished remote fine-tune (older checkpoints recorded only the bare id). */
export function servedModelOf(out: TrainOutput): string {
  const served = out.details.servedModel;
  if (typeof served === "string" && served) return served;
  const provider = (typeof out.details.provider === "string" ? out.details.provider : "openai") as ProviderId;
  return formatModelRef(PROVIDERS[provider] ? provider : "openai", String(out.details.fineTunedModel ?? ""));
}
