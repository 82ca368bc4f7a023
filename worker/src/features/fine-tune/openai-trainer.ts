import { z } from "zod";
import { costUsd } from "@review/shared/llm/cost";
import { JobAbortedError, PermanentError } from "../../queue/types.ts";
import { toChatJsonl } from "./dataset.ts";
import type { Generate } from "./evaluate.ts";
import type { Trainer, TrainInput, TrainOutput } from "./trainer.ts";

/**
 * A client for the OpenAI fine-tuning protocol (files → fine_tuning/jobs → events/status → model), which
 * OpenAI and several compatible trainers (Together, Fireworks, vLLM-based services…) speak. Plain fetch:
 * five endpoints do not justify an SDK, and a loopback server in the tests speaks the same protocol.
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
const ChatCompletion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).optional(),
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

export type OpenAiTrainerOptions = { baseUrl: string; apiKey: string; pollMs: number; fetch?: typeof fetch };

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
    chat: (body: Record<string, unknown>, signal?: AbortSignal) => call(ChatCompletion, "POST", "/chat/completions", body, signal),
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

export function createOpenAiTrainer(opts: OpenAiTrainerOptions): Trainer {
  const api = createOpenAiClient(opts);
  return {
    kind: "openai",
    async train(input: TrainInput): Promise<TrainOutput> {
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
              provider: "openai-compatible",
              details: { kind: "openai", remoteJobId: remoteId, fineTunedModel: job.fine_tuned_model, trainedTokens: job.trained_tokens ?? null, trainingFileId: st.trainingFileId, validationFileId: st.validationFileId },
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
    generator(_modelId: string, out: TrainOutput): Generate {
      const model = String(out.details.fineTunedModel);
      return async (query, signal) => {
        const started = performance.now();
        const r = await api.chat({ model, messages: [{ role: "user", content: query }], max_tokens: 1024 }, signal);
        const usage = { inputTokens: r.usage?.prompt_tokens ?? 0, outputTokens: r.usage?.completion_tokens ?? 0 };
        return {
          text: r.choices[0]!.message.content ?? "",
          latencyMs: performance.now() - started,
          ...usage,
          // Fine-tuned model prices are provider- and model-specific; unknown stays null, never 0.
          costUsd: costUsd(model, usage),
        };
      };
    },
  };
}
