/**
 * The one way the app calls an LLM (Edge Functions under Deno, the worker under Node). Each request
 * names a model reference (providers.ts) and goes through its provider's official SDK: Anthropic's
 * (`@anthropic-ai/sdk`) for Anthropic and for the gateway's dev LLM, which speaks the Messages API, and
 * OpenAI's (`openai`, with a base URL) for OpenAI, OpenRouter, Together, vLLM and Ollama. The SDKs own
 * retries (429/5xx/timeouts, honouring Retry-After). This layer adds what every call needs, the same
 * for every provider: input limits, one error type, cost, an ai_requests row for success and failure,
 * and a Langfuse trace when keys are configured.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { Langfuse } from "langfuse";
import { costBreakdown } from "./cost.ts";
import { LlmError } from "./errors.ts";
import { orgMetadataUserId } from "./offline-protocol.ts";
import { priceFor } from "./prices.ts";
import { formatModelRef, parseModelRef, PROVIDERS, setupHint, type ModelRef, type ProviderId, type ProviderTable } from "./providers.ts";
import { checkOutput, type SafetyFlag } from "./safety.ts";

export type LlmMessage = { role: "user" | "assistant"; content: string };

/** Who and what a call is for; becomes the ai_requests row and the Langfuse trace. */
export type LlmCallContext = {
  functionName: string;
  orgId?: string | null;
  userId?: string | null;
  promptVersionId?: string | null;
  /** Reuse to group several calls (e.g. one optimization session) under one trace. */
  traceId?: string;
  traceName?: string;
  sessionId?: string;
  tags?: string[];
  metadata?: Record<string, unknown>;
};

export type LlmRequest = {
  /** A model reference: `claude-sonnet-4-5`, `openai:gpt-4o-mini`, `offline-strong-1`… (providers.ts). */
  model: string;
  system?: string;
  messages: LlmMessage[];
  maxTokens?: number;
  stopSequences?: string[];
  context: LlmCallContext;
  signal?: AbortSignal;
};

export type LlmUsage = { inputTokens: number; outputTokens: number; cacheCreationInputTokens: number; cacheReadInputTokens: number };

export type LlmResult = {
  text: string;
  /** The model reference asked for (stable for grouping and pricing). */
  model: string;
  /** The model the provider says served the call (e.g. a dated snapshot, or "… (offline model)"). */
  servedModel: string;
  /** In Anthropic's vocabulary for every provider: end_turn, max_tokens, stop_sequence, refusal… */
  stopReason: string | null;
  usage: LlmUsage;
  costUsd: number | null;
  latencyMs: number;
  traceId: string;
  requestId: string | null;
  /** Output safety flags (prompt-injection echoes, system-prompt leaks, PII); the text is never altered. */
  flags: SafetyFlag[];
};

/** Shaped like public.ai_requests minus the columns the database fills (id, created_at). */
export type AiRequestRow = {
  org_id: string | null;
  user_id: string | null;
  function_name: string;
  prompt_version_id: string | null;
  /** The model reference, e.g. `openai:gpt-4o-mini` (a bare name for Claude and offline models). */
  model: string;
  input_tokens: number;
  output_tokens: number;
  /** 0 when the model's price is unknown (the column is not null); LlmResult.costUsd is null then. */
  cost_usd: number;
  latency_ms: number;
  status: "ok" | "error";
  error: string | null;
  trace_id: string | null;
  flags: SafetyFlag[];
  /**
   * The last user message and the output, for online evaluators: the database keeps them only on calls
   * a rule samples (private.online_eval_sample), and drops them otherwise.
   */
  input_text: string | null;
  output_text: string | null;
};

/** What the row carries of a call's text at most (the database's limit too: ONLINE_EVAL_LIMITS.maxTextChars). */
const LOGGED_TEXT_CHARS = 8000;

export type LangfuseConfig = { publicKey: string; secretKey: string; baseUrl: string; release?: string; environment?: string };

export type LlmClientOptions = {
  /** The usable providers (resolveProviders / resolveModelRoute(...).providers). */
  providers?: ProviderTable;
  /**
   * Without `providers`: one Messages API endpoint that serves both Claude and offline model names
   * (Anthropic with its key, or the dev LLM with the service key), as before providers existed.
   */
  apiKey?: string;
  baseURL?: string;
  timeoutMs?: number;
  maxRetries?: number;
  /** Inputs longer than this (system + messages, in characters) are refused before any network call. */
  maxInputChars?: number;
  /** Upper bound for max_tokens whatever a caller asks. */
  maxOutputTokens?: number;
  defaultMaxTokens?: number;
  langfuse?: LangfuseConfig | null;
  logRequest: (row: AiRequestRow) => Promise<void>;
  /** A failed log write must not fail the call; it is reported here (default: console.error). */
  onLogError?: (err: unknown, row: AiRequestRow) => void;
  fetch?: typeof fetch;
};

export type LlmStream = AsyncIterable<string> & {
  /** Resolves once the stream ended and the call was logged; rejects with an LlmError. */
  final(): Promise<LlmResult>;
  abort(): void;
};

export type ScoreInput = { traceId: string; name: string; value: number; comment?: string; observationId?: string };

export type LlmClient = {
  complete(req: LlmRequest): Promise<LlmResult>;
  stream(req: LlmRequest): Promise<LlmStream>;
  /** Records a human (or automatic) rating on a trace in Langfuse; a no-op without Langfuse. */
  score(input: ScoreInput): void;
  /** Sends pending Langfuse events; await before a short-lived process (an Edge Function) ends. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
  readonly tracing: boolean;
};

const DEFAULTS = { timeoutMs: 60_000, maxRetries: 2, maxInputChars: 100_000, maxOutputTokens: 8192, defaultMaxTokens: 1024 };

/** One call as a provider adapter sees it: the provider's own model id, limits already applied. */
type CallParams = { model: string; system?: string; messages: LlmMessage[]; maxTokens: number; stopSequences?: string[]; endUser: string | null };

/** What every provider's answer is reduced to before cost, logging and tracing. */
type Completion = {
  text: string;
  servedModel: string;
  stopReason: string | null;
  /** null when the provider reported none (some OpenAI-compatible servers when streaming). */
  usage: LlmUsage | null;
  /** The provider's own figure for this call (OpenRouter), preferred over the price table. */
  providerCostUsd: number | null;
  requestId: string | null;
};

type Adapter = {
  complete(p: CallParams, signal?: AbortSignal): Promise<Completion>;
  stream(p: CallParams, signal: AbortSignal | undefined, onText: (delta: string) => void): { done: Promise<Completion>; abort(): void };
};

type Cost = { input?: number; output?: number; total: number };

export function createLlmClient(options: LlmClientOptions): LlmClient {
  const opts = { ...DEFAULTS, ...stripUndefined(options) };
  const providers: ProviderTable = options.providers ?? legacyProviders(options);
  const adapters = new Map<ProviderId, Adapter>();
  const adapterFor = (ref: ModelRef): Adapter => {
    let a = adapters.get(ref.provider);
    if (a) return a;
    const cfg = providers[ref.provider];
    if (!cfg) throw new LlmError("llm_not_configured", `No provider is configured for the model ${ref.ref}: it needs ${setupHint(ref.provider)}`);
    const common = { apiKey: cfg.apiKey, baseURL: cfg.baseURL, maxRetries: opts.maxRetries, timeout: opts.timeoutMs, ...(options.fetch ? { fetch: options.fetch } : {}) };
    a =
      PROVIDERS[ref.provider].protocol === "anthropic"
        ? anthropicAdapter(new Anthropic(common))
        : // organization/project explicitly null: the SDK would otherwise read OPENAI_ORG_ID/OPENAI_PROJECT_ID
          // from the environment and send them to every OpenAI-compatible host, OpenRouter's included.
          openAiAdapter(new OpenAI({ ...common, organization: null, project: null }), ref.provider);
    adapters.set(ref.provider, a);
    return a;
  };
  const langfuse = options.langfuse
    ? new Langfuse({
        publicKey: options.langfuse.publicKey,
        secretKey: options.langfuse.secretKey,
        baseUrl: options.langfuse.baseUrl,
        release: options.langfuse.release,
        environment: options.langfuse.environment,
        // Events are flushed after each call (below) so short-lived isolates do not lose them.
        flushInterval: 1_000,
      })
    : null;

  const log = async (row: AiRequestRow) => {
    try {
      await options.logRequest(row);
    } catch (err) {
      (options.onLogError ?? ((e: unknown) => console.error("ai_requests log failed:", e)))(err, row);
    }
  };

  const maxTokensFor = (req: LlmRequest) => Math.min(req.maxTokens ?? opts.defaultMaxTokens, opts.maxOutputTokens);

  /** Everything that can be refused before any network call: the input, the model reference, the provider. */
  function prepare(req: LlmRequest): { ref: ModelRef; adapter: Adapter; params: CallParams } {
    const chars = (req.system?.length ?? 0) + req.messages.reduce((s, m) => s + m.content.length, 0);
    if (chars > opts.maxInputChars) {
      throw new LlmError("llm_input_too_long", `Input is ${chars} characters; the limit is ${opts.maxInputChars}`);
    }
    if (!req.messages.length) throw new LlmError("llm_input_too_long", "A request needs at least one message");
    const ref = parseModelRef(req.model);
    const adapter = adapterFor(ref);
    return {
      ref,
      adapter,
      params: {
        model: ref.model,
        system: req.system || undefined,
        messages: req.messages,
        maxTokens: maxTokensFor(req),
        stopSequences: req.stopSequences?.length ? req.stopSequences : undefined,
        endUser: req.context.orgId ? orgMetadataUserId(req.context.orgId, req.context.userId) : null,
      },
    };
  }

  function rowFor(req: LlmRequest, traceId: string, r: { usage?: LlmUsage; costUsd?: number | null; latencyMs: number; error?: LlmError; flags?: SafetyFlag[]; text?: string }): AiRequestRow {
    const u = r.usage;
    return {
      org_id: req.context.orgId ?? null,
      user_id: req.context.userId ?? null,
      function_name: req.context.functionName,
      prompt_version_id: req.context.promptVersionId ?? null,
      model: req.model.trim(),
      // Cached prompt tokens are still prompt tokens: boards show prompt size, cost_usd prices them right.
      input_tokens: u ? u.inputTokens + u.cacheCreationInputTokens + u.cacheReadInputTokens : 0,
      output_tokens: u?.outputTokens ?? 0,
      cost_usd: r.costUsd ?? 0,
      latency_ms: Math.round(r.latencyMs),
      status: r.error ? "error" : "ok",
      error: r.error ? `${r.error.code}: ${r.error.message}`.slice(0, 2000) : null,
      trace_id: langfuse ? traceId : (req.context.traceId ?? null),
      flags: r.flags ?? [],
      input_text: req.messages.findLast((m) => m.role === "user")?.content.slice(0, LOGGED_TEXT_CHARS) ?? null,
      output_text: r.text === undefined ? null : r.text.slice(0, LOGGED_TEXT_CHARS),
    };
  }

  function startTrace(req: LlmRequest, traceId: string, startTime: Date) {
    if (!langfuse) return null;
    const c = req.context;
    const trace = langfuse.trace({
      id: traceId,
      name: c.traceName ?? c.functionName,
      userId: c.userId ?? undefined,
      sessionId: c.sessionId,
      tags: c.tags,
      metadata: { orgId: c.orgId ?? null, promptVersionId: c.promptVersionId ?? null, ...(c.metadata ?? {}) },
    });
    return trace.generation({
      name: c.functionName,
      model: req.model,
      startTime,
      modelParameters: { max_tokens: maxTokensFor(req) },
      input: req.system ? [{ role: "system", content: req.system }, ...req.messages] : req.messages,
      metadata: { orgId: c.orgId ?? null, promptVersionId: c.promptVersionId ?? null },
    });
  }

  function endTrace(gen: ReturnType<typeof startTrace>, outcome: { result?: LlmResult; cost?: Cost | null; error?: LlmError }) {
    if (!gen || !langfuse) return;
    const r = outcome.result;
    gen.end({
      output: r ? r.text : undefined,
      ...(r
        ? {
            usage: { input: r.usage.inputTokens, output: r.usage.outputTokens, total: r.usage.inputTokens + r.usage.outputTokens, unit: "TOKENS" as const },
            usageDetails: {
              input: r.usage.inputTokens,
              output: r.usage.outputTokens,
              cache_read_input_tokens: r.usage.cacheReadInputTokens,
              cache_creation_input_tokens: r.usage.cacheCreationInputTokens,
            },
            ...(outcome.cost ? { costDetails: stripUndefined(outcome.cost) as Record<string, number> } : {}),
          }
        : {}),
      ...(outcome.error ? { level: "ERROR" as const, statusMessage: `${outcome.error.code}: ${outcome.error.message}` } : {}),
    });
    // Not awaited: tracing must never add latency to a user's request. flush() awaits the rest.
    void langfuse.flushAsync().catch(() => {});
  }

  function finish(req: LlmRequest, ref: ModelRef, traceId: string, c: Completion, latencyMs: number) {
    const usage = c.usage ?? { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    const price = priceFor(ref.ref) ?? (c.servedModel ? priceFor(formatModelRef(ref.provider, c.servedModel)) : undefined);
    const table = price && c.usage ? costBreakdown(price, usage) : null;
    // A provider's own figure is what it bills; without usage, a price times zero tokens would be a false 0.
    const cost: Cost | null = c.providerCostUsd !== null ? { ...(table ?? {}), total: round6(c.providerCostUsd) } : table;
    const flags = checkOutput(c.text, { systemPrompt: req.system ?? null }).flags;
    const result: LlmResult = {
      text: c.text,
      model: ref.ref,
      servedModel: c.servedModel || ref.model,
      stopReason: c.stopReason,
      usage,
      costUsd: cost?.total ?? null,
      latencyMs,
      traceId,
      requestId: c.requestId,
      flags,
    };
    return { result, cost };
  }

  async function fail(req: LlmRequest, traceId: string, gen: ReturnType<typeof startTrace>, started: number, err: unknown): Promise<never> {
    const e = toLlmError(err);
    await log(rowFor(req, traceId, { latencyMs: performance.now() - started, error: e }));
    endTrace(gen, { error: e });
    throw e;
  }

  return {
    tracing: Boolean(langfuse),

    async complete(req) {
      const traceId = req.context.traceId ?? crypto.randomUUID();
      const started = performance.now();
      const gen = startTrace(req, traceId, new Date());
      try {
        const { ref, adapter, params } = prepare(req);
        const scope = callSignal(req.signal);
        let completion: Completion;
        try {
          completion = await adapter.complete(params, scope?.signal);
        } finally {
          scope?.dispose();
        }
        const { result, cost } = finish(req, ref, traceId, completion, performance.now() - started);
        await log(rowFor(req, traceId, result));
        endTrace(gen, { result, cost });
        return result;
      } catch (err) {
        return fail(req, traceId, gen, started, err);
      }
    },

    async stream(req) {
      const traceId = req.context.traceId ?? crypto.randomUUID();
      const started = performance.now();
      const gen = startTrace(req, traceId, new Date());
      let prepared: ReturnType<typeof prepare>;
      try {
        prepared = prepare(req);
      } catch (err) {
        return fail(req, traceId, gen, started, err);
      }
      const queue: string[] = [];
      let wake: (() => void) | null = null;
      let ended = false;
      let failure: LlmError | null = null;
      const notify = () => {
        const w = wake;
        wake = null;
        w?.();
      };
      const upstream = prepared.adapter.stream(prepared.params, req.signal, (delta) => {
        queue.push(delta);
        notify();
      });
      const final = upstream.done.then(
        async (completion) => {
          const { result, cost } = finish(req, prepared.ref, traceId, completion, performance.now() - started);
          await log(rowFor(req, traceId, result));
          endTrace(gen, { result, cost });
          return result;
        },
        (err) => fail(req, traceId, gen, started, err),
      );
      final.then(
        () => {
          ended = true;
          notify();
        },
        (err: LlmError) => {
          failure = err;
          ended = true;
          notify();
        },
      );
      return {
        async *[Symbol.asyncIterator]() {
          try {
            for (;;) {
              if (queue.length) yield queue.shift()!;
              else if (ended) {
                if (failure) throw failure;
                return;
              } else await new Promise<void>((r) => (wake = r));
            }
          } finally {
            // A consumer that stops early (client went away) must not leave the upstream call running.
            if (!ended) upstream.abort();
          }
        },
        final: () => final,
        abort: () => upstream.abort(),
      };
    },

    score(input) {
      langfuse?.score({ traceId: input.traceId, name: input.name, value: input.value, comment: input.comment, observationId: input.observationId });
      void langfuse?.flushAsync().catch(() => {});
    },
    async flush() {
      await langfuse?.flushAsync();
    },
    async shutdown() {
      await langfuse?.shutdownAsync();
    },
  };
}

/**
 * A signal for one call that follows the caller's. Both SDKs add an abort listener to the signal they
 * are given and never remove it: a long-lived signal (a job's, over thousands of calls) would collect
 * one per call, and each new listener costs a scan of all the others.
 */
function callSignal(parent: AbortSignal | undefined): { signal: AbortSignal; dispose(): void } | null {
  if (!parent) return null;
  const own = new AbortController();
  if (parent.aborted) own.abort(parent.reason);
  const onAbort = () => own.abort(parent.reason);
  parent.addEventListener("abort", onAbort, { once: true });
  return { signal: own.signal, dispose: () => parent.removeEventListener("abort", onAbort) };
}

function legacyProviders(o: LlmClientOptions): ProviderTable {
  // The SDK refuses to send without credentials; the endpoint answers 401 if the key is wrong.
  const cfg = { apiKey: o.apiKey ?? "offline-local-key", baseURL: o.baseURL ?? PROVIDERS.anthropic.defaultBaseURL! };
  return { anthropic: cfg, offline: cfg };
}

function anthropicAdapter(sdk: Anthropic): Adapter {
  const params = (p: CallParams): Anthropic.MessageCreateParamsNonStreaming => {
    const out: Anthropic.MessageCreateParamsNonStreaming = {
      model: p.model,
      max_tokens: p.maxTokens,
      messages: p.messages.map((m) => ({ role: m.role, content: m.content })),
    };
    if (p.system) out.system = p.system;
    if (p.stopSequences) out.stop_sequences = p.stopSequences;
    // Anthropic's opaque end-user id; the dev LLM reads the organization from it (offline-protocol.ts).
    if (p.endUser) out.metadata = { user_id: p.endUser };
    return out;
  };
  const normalize = (msg: Anthropic.Message, requestId: string | null): Completion => ({
    text: msg.content.map((b) => (b.type === "text" ? b.text : "")).join(""),
    servedModel: msg.model,
    stopReason: msg.stop_reason,
    usage: {
      inputTokens: msg.usage.input_tokens,
      outputTokens: msg.usage.output_tokens,
      cacheCreationInputTokens: msg.usage.cache_creation_input_tokens ?? 0,
      cacheReadInputTokens: msg.usage.cache_read_input_tokens ?? 0,
    },
    providerCostUsd: null,
    requestId,
  });
  return {
    async complete(p, signal) {
      const { data, request_id } = await sdk.messages.create(params(p), { signal }).withResponse();
      return normalize(data, request_id ?? null);
    },
    stream(p, signal, onText) {
      const ms = sdk.messages.stream(params(p), { signal });
      ms.on("text", onText);
      return { done: ms.finalMessage().then((m) => normalize(m, ms.request_id ?? null)), abort: () => ms.abort() };
    },
  };
}

/** OpenAI's finish reasons in Anthropic's vocabulary, so callers read one set whatever served the call. */
const STOP_REASONS: Record<string, string> = { stop: "end_turn", length: "max_tokens", content_filter: "refusal", tool_calls: "tool_use", function_call: "tool_use" };

function openAiAdapter(sdk: OpenAI, provider: ProviderId): Adapter {
  const body = (p: CallParams) => {
    const b: Record<string, unknown> = {
      model: p.model,
      messages: [...(p.system ? [{ role: "system", content: p.system }] : []), ...p.messages.map((m) => ({ role: m.role, content: m.content }))],
      // OpenAI's reasoning models refuse max_tokens; compatible servers (vLLM, Ollama, Together) know only it.
      ...(provider === "openai" ? { max_completion_tokens: p.maxTokens } : { max_tokens: p.maxTokens }),
    };
    if (p.stopSequences) b.stop = p.stopSequences;
    // OpenRouter reports each call's cost (usage.cost, in USD credits) when asked.
    if (provider === "openrouter") b.usage = { include: true };
    return b;
  };
  const usageOf = (u: OpenAI.CompletionUsage | null | undefined): Pick<Completion, "usage" | "providerCostUsd"> => {
    if (!u) return { usage: null, providerCostUsd: null };
    // OpenAI counts cached prompt tokens inside prompt_tokens; they are billed at the cached rate.
    const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
    const cost = (u as { cost?: unknown }).cost;
    return {
      usage: { inputTokens: Math.max(0, u.prompt_tokens - cached), outputTokens: u.completion_tokens, cacheCreationInputTokens: 0, cacheReadInputTokens: cached },
      providerCostUsd: typeof cost === "number" && Number.isFinite(cost) ? cost : null,
    };
  };
  const stopReason = (r: string | null | undefined) => (r ? (STOP_REASONS[r] ?? r) : null);
  return {
    async complete(p, signal) {
      const { data, request_id } = await sdk.chat.completions
        .create({ ...body(p), stream: false } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming, { signal })
        .withResponse();
      const choice = data.choices[0];
      return { text: choice?.message?.content ?? "", servedModel: data.model, stopReason: stopReason(choice?.finish_reason), ...usageOf(data.usage), requestId: request_id ?? null };
    },
    stream(p, signal, onText) {
      const own = new AbortController();
      const combined = signal ? AbortSignal.any([signal, own.signal]) : own.signal;
      const done = (async (): Promise<Completion> => {
        const { data: chunks, request_id } = await sdk.chat.completions
          .create({ ...body(p), stream: true, stream_options: { include_usage: true } } as unknown as OpenAI.ChatCompletionCreateParamsStreaming, { signal: combined })
          .withResponse();
        let text = "";
        let servedModel = "";
        let finish: string | null = null;
        let usage: OpenAI.CompletionUsage | null = null;
        for await (const chunk of chunks) {
          if (chunk.model) servedModel = chunk.model;
          for (const c of chunk.choices ?? []) {
            const delta = c.delta?.content;
            if (delta) {
              text += delta;
              onText(delta);
            }
            if (c.finish_reason) finish = c.finish_reason;
          }
          // With include_usage the last chunk carries the whole call's usage (and no choices).
          if (chunk.usage) usage = chunk.usage;
        }
        return { text, servedModel, stopReason: stopReason(finish), ...usageOf(usage), requestId: request_id ?? null };
      })();
      return { done, abort: () => own.abort() };
    },
  };
}

type SdkApiError = InstanceType<typeof Anthropic.APIError> | InstanceType<typeof OpenAI.APIError>;

/** Maps either SDK's errors (after its own retries) to the stable codes. */
export function toLlmError(err: unknown): LlmError {
  if (err instanceof LlmError) return err;
  if (err instanceof Anthropic.APIConnectionTimeoutError || err instanceof OpenAI.APIConnectionTimeoutError) {
    return new LlmError("llm_timeout", "The model did not answer before the timeout", { cause: err });
  }
  if (err instanceof Anthropic.APIUserAbortError || err instanceof OpenAI.APIUserAbortError) {
    return new LlmError("llm_upstream_error", "The request was aborted", { cause: err });
  }
  if (err instanceof Anthropic.APIConnectionError || err instanceof OpenAI.APIConnectionError) {
    return new LlmError("llm_upstream_error", `Could not reach the model provider: ${err.message}`, { cause: err });
  }
  if ((err instanceof Anthropic.APIError || err instanceof OpenAI.APIError) && err.status !== undefined) {
    const status = err.status;
    const msg = upstreamMessage(err);
    const code = err instanceof OpenAI.APIError ? err.code : undefined;
    if (status === 429 && code !== "insufficient_quota") {
      const after = err.headers?.get("retry-after");
      const seconds = after ? Number(after) : NaN;
      return new LlmError("llm_rate_limited", `The provider rate-limited the request: ${msg}`, {
        cause: err,
        upstreamStatus: 429,
        retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : undefined,
      });
    }
    if (status === 413 || code === "context_length_exceeded" || (status === 400 && /too long|too many tokens|context length|prompt is too long/i.test(msg))) {
      return new LlmError("llm_input_too_long", `The provider refused the input as too long: ${msg}`, { cause: err, upstreamStatus: status });
    }
    if (status === 408 || status === 504) return new LlmError("llm_timeout", `The provider timed out (${status}): ${msg}`, { cause: err, upstreamStatus: status });
    return new LlmError("llm_upstream_error", `The provider answered ${status}: ${msg}`, { cause: err, upstreamStatus: status });
  }
  return new LlmError("llm_upstream_error", err instanceof Error ? err.message : String(err), { cause: err });
}

function upstreamMessage(err: SdkApiError): string {
  // Anthropic's SDK keeps the whole body ({ type, error: { message } }); OpenAI's keeps its `error` object.
  const body = err.error as { error?: { message?: string }; message?: string } | undefined;
  return body?.error?.message ?? body?.message ?? err.message;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
