/**
 * The one way the app calls an LLM (Edge Functions under Deno, the worker under Node). Built on
 * @anthropic-ai/sdk so the request path is identical against Anthropic and against the gateway's dev
 * LLM; the SDK owns retries (429/5xx/timeouts, honouring Retry-After). This layer adds what every call
 * needs and callers must not forget: input limits, cost, an ai_requests row for success and failure,
 * and a Langfuse trace when keys are configured.
 */
import Anthropic from "@anthropic-ai/sdk";
import { Langfuse } from "langfuse";
import { costBreakdown, type CostBreakdown } from "./cost.ts";
import { LlmError } from "./errors.ts";
import { orgMetadataUserId } from "./offline-protocol.ts";
import { priceFor } from "./prices.ts";
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
  /** The model asked for (stable for grouping and pricing). */
  model: string;
  /** The model the provider says served the call (e.g. a dated snapshot, or "… (offline model)"). */
  servedModel: string;
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
};

export type LangfuseConfig = { publicKey: string; secretKey: string; baseUrl: string; release?: string; environment?: string };

export type LlmClientOptions = {
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

export function createLlmClient(options: LlmClientOptions): LlmClient {
  const opts = { ...DEFAULTS, ...stripUndefined(options) };
  const anthropic = new Anthropic({
    // The SDK refuses to send without credentials; the dev LLM accepts any key.
    apiKey: options.apiKey ?? "offline-local-key",
    baseURL: options.baseURL ?? null,
    maxRetries: opts.maxRetries,
    timeout: opts.timeoutMs,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
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

  function checkInput(req: LlmRequest) {
    const chars = (req.system?.length ?? 0) + req.messages.reduce((s, m) => s + m.content.length, 0);
    if (chars > opts.maxInputChars) {
      throw new LlmError("llm_input_too_long", `Input is ${chars} characters; the limit is ${opts.maxInputChars}`);
    }
    if (!req.messages.length) throw new LlmError("llm_input_too_long", "A request needs at least one message");
  }

  function params(req: LlmRequest): Anthropic.MessageCreateParamsNonStreaming {
    const p: Anthropic.MessageCreateParamsNonStreaming = {
      model: req.model,
      max_tokens: Math.min(req.maxTokens ?? opts.defaultMaxTokens, opts.maxOutputTokens),
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    };
    if (req.system) p.system = req.system;
    if (req.stopSequences?.length) p.stop_sequences = req.stopSequences;
    if (req.context.orgId) p.metadata = { user_id: orgMetadataUserId(req.context.orgId, req.context.userId) };
    return p;
  }

  function rowFor(req: LlmRequest, traceId: string, r: { usage?: LlmUsage; costUsd?: number | null; latencyMs: number; error?: LlmError; flags?: SafetyFlag[] }): AiRequestRow {
    const u = r.usage;
    return {
      org_id: req.context.orgId ?? null,
      user_id: req.context.userId ?? null,
      function_name: req.context.functionName,
      prompt_version_id: req.context.promptVersionId ?? null,
      model: req.model,
      // Cached prompt tokens are still prompt tokens: boards show prompt size, cost_usd prices them right.
      input_tokens: u ? u.inputTokens + u.cacheCreationInputTokens + u.cacheReadInputTokens : 0,
      output_tokens: u?.outputTokens ?? 0,
      cost_usd: r.costUsd ?? 0,
      latency_ms: Math.round(r.latencyMs),
      status: r.error ? "error" : "ok",
      error: r.error ? `${r.error.code}: ${r.error.message}`.slice(0, 2000) : null,
      trace_id: langfuse ? traceId : (req.context.traceId ?? null),
      flags: r.flags ?? [],
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
      modelParameters: { max_tokens: Math.min(req.maxTokens ?? opts.defaultMaxTokens, opts.maxOutputTokens) },
      input: req.system ? [{ role: "system", content: req.system }, ...req.messages] : req.messages,
      metadata: { orgId: c.orgId ?? null, promptVersionId: c.promptVersionId ?? null },
    });
  }

  function endTrace(gen: ReturnType<typeof startTrace>, outcome: { result?: LlmResult; cost?: CostBreakdown | null; error?: LlmError }) {
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
            ...(outcome.cost ? { costDetails: { input: outcome.cost.input, output: outcome.cost.output, total: outcome.cost.total } } : {}),
          }
        : {}),
      ...(outcome.error ? { level: "ERROR" as const, statusMessage: `${outcome.error.code}: ${outcome.error.message}` } : {}),
    });
    // Not awaited: tracing must never add latency to a user's request. flush() awaits the rest.
    void langfuse.flushAsync().catch(() => {});
  }

  function finish(req: LlmRequest, traceId: string, msg: Anthropic.Message, latencyMs: number, requestId: string | null) {
    const usage: LlmUsage = {
      inputTokens: msg.usage.input_tokens,
      outputTokens: msg.usage.output_tokens,
      cacheCreationInputTokens: msg.usage.cache_creation_input_tokens ?? 0,
      cacheReadInputTokens: msg.usage.cache_read_input_tokens ?? 0,
    };
    const price = priceFor(req.model) ?? priceFor(msg.model);
    const cost = price ? costBreakdown(price, usage) : null;
    const text = msg.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    const flags = checkOutput(text, { systemPrompt: req.system ?? null }).flags;
    const result: LlmResult = { text, model: req.model, servedModel: msg.model, stopReason: msg.stop_reason, usage, costUsd: cost?.total ?? null, latencyMs, traceId, requestId, flags };
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
        checkInput(req);
        const { data: msg, request_id } = await anthropic.messages.create(params(req), { signal: req.signal }).withResponse();
        const { result, cost } = finish(req, traceId, msg, performance.now() - started, request_id ?? null);
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
      try {
        checkInput(req);
      } catch (err) {
        return fail(req, traceId, gen, started, err);
      }
      const ms = anthropic.messages.stream(params(req), { signal: req.signal });
      const queue: string[] = [];
      let wake: (() => void) | null = null;
      let ended = false;
      let failure: LlmError | null = null;
      const notify = () => {
        const w = wake;
        wake = null;
        w?.();
      };
      ms.on("text", (delta) => {
        queue.push(delta);
        notify();
      });
      const final = ms.finalMessage().then(
        async (msg) => {
          const { result, cost } = finish(req, traceId, msg, performance.now() - started, ms.request_id ?? null);
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
            if (!ended) ms.abort();
          }
        },
        final: () => final,
        abort: () => ms.abort(),
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

/** Maps SDK errors (after its own retries) to the stable codes. */
export function toLlmError(err: unknown): LlmError {
  if (err instanceof LlmError) return err;
  if (err instanceof Anthropic.APIConnectionTimeoutError) return new LlmError("llm_timeout", "The model did not answer before the timeout", { cause: err });
  if (err instanceof Anthropic.APIUserAbortError) return new LlmError("llm_upstream_error", "The request was aborted", { cause: err });
  if (err instanceof Anthropic.RateLimitError) {
    const after = err.headers?.get("retry-after");
    const seconds = after ? Number(after) : NaN;
    return new LlmError("llm_rate_limited", `The provider rate-limited the request: ${upstreamMessage(err)}`, {
      cause: err,
      upstreamStatus: 429,
      retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : undefined,
    });
  }
  if (err instanceof Anthropic.APIError && err.status !== undefined) {
    const msg = upstreamMessage(err);
    if (err.status === 413 || (err.status === 400 && /too long|too many tokens|context length|prompt is too long/i.test(msg))) {
      return new LlmError("llm_input_too_long", `The provider refused the input as too long: ${msg}`, { cause: err, upstreamStatus: err.status });
    }
    if (err.status === 408 || err.status === 504) return new LlmError("llm_timeout", `The provider timed out (${err.status}): ${msg}`, { cause: err, upstreamStatus: err.status });
    return new LlmError("llm_upstream_error", `The provider answered ${err.status}: ${msg}`, { cause: err, upstreamStatus: err.status });
  }
  if (err instanceof Anthropic.APIConnectionError) return new LlmError("llm_upstream_error", `Could not reach the model provider: ${err.message}`, { cause: err });
  return new LlmError("llm_upstream_error", err instanceof Error ? err.message : String(err), { cause: err });
}

function upstreamMessage(err: InstanceType<typeof Anthropic.APIError>): string {
  const body = err.error as { error?: { message?: string } } | undefined;
  return body?.error?.message ?? err.message;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
