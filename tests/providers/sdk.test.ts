import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createLlmClient, type AiRequestRow, type LlmClientOptions } from "@review/shared/llm/client";
import { LlmError } from "@review/shared/llm/errors";
import { resolveProviders, type ProviderId, type ProviderTable } from "@review/shared/llm/providers";
import { waitFor } from "../helpers/stack.ts";
import { anthropicError, anthropicJson, anthropicSse, gate, openAiError, openAiJson, openAiSse, providerServer, type Captured, type ProviderServer, type Reply, type Usage } from "./servers.ts";

/**
 * Every provider through its official SDK (Anthropic's, or OpenAI's with a base URL) against a loopback
 * server speaking its API: completions, streams, retries, errors, ai_requests rows, cost and tracing.
 */
const ctx = { functionName: "providers-test", orgId: randomUUID(), userId: randomUUID(), promptVersionId: null };
const servers: ProviderServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: (req: Captured, n: number) => Reply | Promise<Reply>) {
  const s = await providerServer(handler);
  servers.push(s);
  return s;
}

function clientWith(providers: ProviderTable, opts: Partial<LlmClientOptions> = {}) {
  const rows: AiRequestRow[] = [];
  const client = createLlmClient({ providers, timeoutMs: 10_000, maxRetries: 2, ...opts, logRequest: async (r) => void rows.push(r) });
  return { client, rows };
}

/** Anthropic's SDK sends its key as x-api-key or (newer versions) as a bearer token; the API takes both. */
const apiKeyOf = (req: Captured) => (req.headers["x-api-key"] as string | undefined) ?? req.headers.authorization?.replace(/^Bearer /, "");

const usage: Usage = { input: 1000, output: 500, cached: 200 };
const messages = [{ role: "user" as const, content: "How do I change my plan?" }];
const system = "You are a support assistant.";

/** Reads a stream, opening the provider's gate on the first delta: a client that buffered would never see one. */
async function readStream(s: AsyncIterable<string>, g: { open(): void }) {
  const deltas: string[] = [];
  for await (const d of s) {
    deltas.push(d);
    g.open();
  }
  return deltas;
}

type OpenAiCase = {
  provider: ProviderId;
  ref: string;
  sent: string;
  served: string;
  key: string;
  table: (url: string) => ProviderTable;
  usageExtra?: Record<string, unknown>;
  /** Price-table or provider-reported cost of `usage`; null when unknown. */
  cost: number | null;
  maxTokensField: "max_completion_tokens" | "max_tokens";
};

const at = (t: ProviderTable, id: ProviderId, baseURL: string): ProviderTable => ({ ...t, [id]: { ...t[id]!, baseURL } });

const openAiCases: OpenAiCase[] = [
  {
    provider: "openai",
    ref: "openai:gpt-4o-mini",
    sent: "gpt-4o-mini",
    served: "gpt-4o-mini-2024-07-18",
    key: "sk-openai",
    table: (url) => resolveProviders({ OPENAI_API_KEY: "sk-openai", OPENAI_BASE_URL: `${url}/v1` }),
    // gpt-4o-mini: 800 uncached × $0.15 + 200 cached × $0.075 + 500 × $0.60 per 1M
    cost: 0.000435,
    maxTokensField: "max_completion_tokens",
  },
  {
    provider: "openrouter",
    ref: "openrouter:meta-llama/llama-3.1-70b-instruct",
    sent: "meta-llama/llama-3.1-70b-instruct",
    served: "meta-llama/llama-3.1-70b-instruct",
    key: "sk-or-test",
    table: (url) => at(resolveProviders({ OPENROUTER_API_KEY: "sk-or-test" }), "openrouter", `${url}/api/v1`),
    // OpenRouter's own figure for the call wins over any table.
    usageExtra: { cost: 0.00123 },
    cost: 0.00123,
    maxTokensField: "max_tokens",
  },
  {
    provider: "together",
    ref: "together:meta-llama/Llama-3.3-70B-Instruct-Turbo",
    sent: "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    served: "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    key: "tg-test",
    table: (url) => at(resolveProviders({ TOGETHER_API_KEY: "tg-test" }), "together", `${url}/v1`),
    cost: null,
    maxTokensField: "max_tokens",
  },
  {
    provider: "vllm",
    ref: "vllm:Qwen/Qwen2.5-7B-Instruct",
    sent: "Qwen/Qwen2.5-7B-Instruct",
    served: "Qwen/Qwen2.5-7B-Instruct",
    key: "vllm-token",
    table: (url) => resolveProviders({ VLLM_BASE_URL: `${url}/v1`, VLLM_API_KEY: "vllm-token" }),
    cost: null,
    maxTokensField: "max_tokens",
  },
  {
    provider: "ollama",
    ref: "ollama:llama3.1:8b",
    sent: "llama3.1:8b",
    served: "llama3.1:8b",
    // Ollama takes no key; the SDK insists on sending one.
    key: "unused",
    table: (url) => resolveProviders({ OLLAMA_BASE_URL: `${url}/v1` }),
    cost: null,
    maxTokensField: "max_tokens",
  },
];

describe.each(openAiCases)("$provider through the openai SDK", (c) => {
  it("completes and streams (usage from include_usage), with one ai_requests row per call", async () => {
    const g = gate();
    const server = await serve((req) =>
      req.json.stream ? { sse: openAiSse(req, ["To change ", "your plan, ", "open Billing."], c.served, usage, c.usageExtra), gate: g.promise, gateAfter: 2 } : { status: 200, json: openAiJson("Open Billing.", c.served, usage, c.usageExtra) },
    );
    const { client, rows } = clientWith(c.table(server.url));

    const r = await client.complete({ model: c.ref, system, messages, maxTokens: 300, context: ctx });
    expect(r).toMatchObject({ text: "Open Billing.", model: c.ref, servedModel: c.served, stopReason: "end_turn", costUsd: c.cost });
    expect(r.usage).toEqual({ inputTokens: 800, outputTokens: 500, cacheCreationInputTokens: 0, cacheReadInputTokens: 200 });

    const s = await client.stream({ model: c.ref, system, messages, maxTokens: 300, context: ctx });
    const deltas = await readStream(s, g);
    const final = await s.final();
    expect(deltas).toEqual(["To change ", "your plan, ", "open Billing."]);
    expect(final).toMatchObject({ text: deltas.join(""), servedModel: c.served, costUsd: c.cost, usage: { inputTokens: 800, outputTokens: 500 } });

    const [plain, streamed] = server.requests;
    for (const req of [plain!, streamed!]) {
      expect(req.path).toMatch(/\/chat\/completions$/);
      expect(req.headers.authorization).toBe(`Bearer ${c.key}`);
      expect(req.json).toMatchObject({ model: c.sent, messages: [{ role: "system", content: system }, { role: "user", content: messages[0]!.content }], [c.maxTokensField]: 300 });
      // The SDK's environment defaults never leak to another host.
      expect(req.headers["openai-organization"]).toBeUndefined();
    }
    expect(streamed!.json).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    if (c.provider === "openrouter") expect(plain!.json.usage).toEqual({ include: true });

    expect(rows).toEqual([
      expect.objectContaining({ org_id: ctx.orgId, user_id: ctx.userId, function_name: ctx.functionName, model: c.ref, input_tokens: 1000, output_tokens: 500, cost_usd: c.cost ?? 0, status: "ok", error: null }),
      expect.objectContaining({ model: c.ref, input_tokens: 1000, output_tokens: 500, cost_usd: c.cost ?? 0, status: "ok" }),
    ]);
  });
});

describe("Anthropic through its SDK", () => {
  it.each(["claude-haiku-4-5", "anthropic:claude-haiku-4-5"])("completes and streams %s, with rows and cost", async (ref) => {
    const g = gate();
    const server = await serve((req) =>
      req.json.stream ? { sse: anthropicSse(["Open ", "Billing."], "claude-haiku-4-5-20251001", usage), gate: g.promise, gateAfter: 3 } : { status: 200, json: anthropicJson("Open Billing.", "claude-haiku-4-5-20251001", usage) },
    );
    const { client, rows } = clientWith(at(resolveProviders({ ANTHROPIC_API_KEY: "sk-ant-test" }), "anthropic", server.url));
    const r = await client.complete({ model: ref, system, messages, context: ctx });
    // claude-haiku-4-5: 1000 × $1 + 200 cache reads × $0.10 + 500 × $5 per 1M
    expect(r).toMatchObject({ text: "Open Billing.", model: ref, servedModel: "claude-haiku-4-5-20251001", costUsd: 0.00352 });
    const s = await client.stream({ model: ref, system, messages, context: ctx });
    expect(await readStream(s, g)).toEqual(["Open ", "Billing."]);
    expect(await s.final()).toMatchObject({ text: "Open Billing.", costUsd: 0.00352, usage: { inputTokens: 1000, outputTokens: 500, cacheReadInputTokens: 200 } });
    for (const req of server.requests) {
      expect(req.path).toBe("/v1/messages");
      expect(apiKeyOf(req)).toBe("sk-ant-test");
      expect(req.json).toMatchObject({ model: "claude-haiku-4-5", system, metadata: { user_id: `org:${ctx.orgId}:user:${ctx.userId}` } });
    }
    expect(rows).toEqual([
      expect.objectContaining({ model: ref, input_tokens: 1200, output_tokens: 500, cost_usd: 0.00352, status: "ok" }),
      expect.objectContaining({ model: ref, input_tokens: 1200, output_tokens: 500, cost_usd: 0.00352, status: "ok" }),
    ]);
  });
});

describe("one client, a provider per model", () => {
  it("sends each call to the provider its reference names, and refuses an unconfigured one before any request", async () => {
    const anthropic = await serve(() => ({ status: 200, json: anthropicJson("from claude", "claude-sonnet-4-6", usage) }));
    const openai = await serve(() => ({ status: 200, json: openAiJson("from gpt", "gpt-4.1-2025-04-14", usage) }));
    const offline = await serve(() => ({ status: 200, json: anthropicJson("from the dev LLM", "offline-strong-1 (offline model)", usage) }));
    const providers = resolveProviders({
      ANTHROPIC_API_KEY: "sk-ant",
      ANTHROPIC_BASE_URL: anthropic.url,
      OPENAI_API_KEY: "sk-oai",
      OPENAI_BASE_URL: `${openai.url}/v1`,
      LLM_OFFLINE_BASE_URL: `${offline.url}/llm`,
      SUPABASE_SERVICE_ROLE_KEY: "service-role-jwt",
    });
    const { client, rows } = clientWith(providers);
    const texts: string[] = [];
    for (const model of ["claude-sonnet-4-6", "openai:gpt-4.1", "offline-strong-1"]) texts.push((await client.complete({ model, messages, context: ctx })).text);
    expect(texts).toEqual(["from claude", "from gpt", "from the dev LLM"]);
    expect([anthropic, openai, offline].map((s) => s.requests.length)).toEqual([1, 1, 1]);
    // The dev LLM's credential is the project's service key.
    expect(apiKeyOf(offline.requests[0]!)).toBe("service-role-jwt");
    expect(apiKeyOf(anthropic.requests[0]!)).toBe("sk-ant");
    expect(offline.requests[0]!.path).toBe("/llm/v1/messages");
    expect(rows.map((r) => [r.model, r.cost_usd])).toEqual([
      ["claude-sonnet-4-6", 0.01056],
      ["openai:gpt-4.1", 0.0057],
      ["offline-strong-1", 0],
    ]);

    for (const model of ["together:meta-llama/Llama-3.3-70B-Instruct-Turbo", "mistral:mistral-large"]) {
      const err = await client.complete({ model, messages, context: ctx }).catch((e) => e);
      expect(err).toBeInstanceOf(LlmError);
      expect(err).toMatchObject({ code: "llm_not_configured", status: 503 });
    }
    await expect(client.stream({ model: "ollama:llama3.1", messages, context: ctx })).rejects.toMatchObject({ code: "llm_not_configured" });
    expect(rows.slice(3).map((r) => [r.status, r.error?.split(":")[0]])).toEqual([
      ["error", "llm_not_configured"],
      ["error", "llm_not_configured"],
      ["error", "llm_not_configured"],
    ]);
    expect(rows[3]!.error).toMatch(/TOGETHER_API_KEY/);
    expect([anthropic, openai, offline].map((s) => s.requests.length)).toEqual([1, 1, 1]);
  });
});

type Sdk = {
  name: string;
  ref: string;
  table: (url: string) => ProviderTable;
  ok: (n: number) => Reply;
  rateLimited: (headers: Record<string, string>) => Reply;
  serverError: Reply;
  tooLong: Reply;
};

const sdks: Sdk[] = [
  {
    name: "Anthropic",
    ref: "claude-haiku-4-5",
    table: (url) => at(resolveProviders({ ANTHROPIC_API_KEY: "k" }), "anthropic", url),
    ok: () => ({ status: 200, json: anthropicJson("fine", "claude-haiku-4-5", { input: 10, output: 2 }) }),
    rateLimited: (h) => anthropicError(429, "rate_limit_error", "slow down", h),
    serverError: anthropicError(500, "api_error", "upstream exploded", { "retry-after-ms": "1" }),
    tooLong: anthropicError(400, "invalid_request_error", "prompt is too long: 250000 tokens > 200000 maximum"),
  },
  {
    name: "OpenAI",
    ref: "openai:gpt-4o-mini",
    table: (url) => resolveProviders({ OPENAI_API_KEY: "k", OPENAI_BASE_URL: `${url}/v1` }),
    ok: () => ({ status: 200, json: openAiJson("fine", "gpt-4o-mini", { input: 10, output: 2 }) }),
    rateLimited: (h) => openAiError(429, "Rate limit reached for gpt-4o-mini", "rate_limit_exceeded", h),
    serverError: openAiError(500, "upstream exploded", null, { "retry-after-ms": "1" }),
    tooLong: openAiError(400, "This model's maximum context length is 128000 tokens.", "context_length_exceeded"),
  },
];

describe.each(sdks)("$name SDK failures map to LlmError codes", (sdk) => {
  it("retries a 429 after its Retry-After, then succeeds with one ok row", async () => {
    const server = await serve((_req, n) => (n === 1 ? sdk.rateLimited({ "retry-after": "1" }) : sdk.ok(n)));
    const { client, rows } = clientWith(sdk.table(server.url));
    const r = await client.complete({ model: sdk.ref, messages, context: ctx });
    expect(r.text).toBe("fine");
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.headers["x-stainless-retry-count"]).toBe("1");
    // Retry-After: 1 second, honoured (the SDKs' own backoff would retry after ~0.5 s).
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(900);
    expect(rows).toEqual([expect.objectContaining({ status: "ok", model: sdk.ref, error: null })]);
  });

  it("gives up on a persistent 429 with llm_rate_limited and the provider's wait", async () => {
    const server = await serve(() => sdk.rateLimited({ "retry-after-ms": "1", "retry-after": "7" }));
    const { client, rows } = clientWith(sdk.table(server.url), { maxRetries: 1 });
    await expect(client.complete({ model: sdk.ref, messages, context: ctx })).rejects.toMatchObject({ code: "llm_rate_limited", status: 429, retryAfterMs: 7000, upstreamStatus: 429 });
    expect(server.requests).toHaveLength(2);
    expect(rows).toEqual([expect.objectContaining({ status: "error", input_tokens: 0, cost_usd: 0 })]);
  });

  it("maps repeated 5xx to llm_upstream_error, for calls and streams", async () => {
    const server = await serve(() => sdk.serverError);
    const { client, rows } = clientWith(sdk.table(server.url), { maxRetries: 2 });
    const err = await client.complete({ model: sdk.ref, messages, context: ctx }).catch((e) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect(err).toMatchObject({ code: "llm_upstream_error", status: 502, upstreamStatus: 500 });
    expect(err.message).toContain("upstream exploded");
    expect(server.requests).toHaveLength(3);
    const s = await client.stream({ model: sdk.ref, messages, context: ctx });
    await expect(s.final()).rejects.toMatchObject({ code: "llm_upstream_error", upstreamStatus: 500 });
    await waitFor(() => rows.length === 2);
    expect(rows.map((r) => r.status)).toEqual(["error", "error"]);
    expect(rows[0]!.error).toMatch(/^llm_upstream_error: .*upstream exploded/);
  });

  it("maps a provider that does not answer to llm_timeout, for calls and streams", async () => {
    const server = await serve(() => ({ hang: true }));
    const { client, rows } = clientWith(sdk.table(server.url), { timeoutMs: 300, maxRetries: 0 });
    await expect(client.complete({ model: sdk.ref, messages, context: ctx })).rejects.toMatchObject({ code: "llm_timeout", status: 504 });
    const s = await client.stream({ model: sdk.ref, messages, context: ctx });
    await expect(s.final()).rejects.toMatchObject({ code: "llm_timeout" });
    await waitFor(() => rows.length === 2);
    expect(rows.map((r) => [r.status, r.error?.split(":")[0]])).toEqual([
      ["error", "llm_timeout"],
      ["error", "llm_timeout"],
    ]);
  });

  it("maps the provider's context-length refusal to llm_input_too_long", async () => {
    const server = await serve(() => sdk.tooLong);
    const { client } = clientWith(sdk.table(server.url));
    await expect(client.complete({ model: sdk.ref, messages, context: ctx })).rejects.toMatchObject({ code: "llm_input_too_long", status: 413, upstreamStatus: 400 });
    expect(server.requests).toHaveLength(1);
  });
});

describe("Langfuse tracing", () => {
  it("traces an OpenAI-compatible call as it traces Claude: a generation with usage and the provider's cost", async () => {
    const provider = await serve((req) => ({ status: 200, json: openAiJson("Reset it from Settings.", req.json.model, { input: 2000, output: 100 }, { cost: 0.0042 }) }));
    const langfuse = await serve(() => ({ status: 207, json: { successes: [], errors: [] } }));
    const { client } = clientWith(at(resolveProviders({ OPENROUTER_API_KEY: "k" }), "openrouter", `${provider.url}/api/v1`), {
      langfuse: { publicKey: "pk-lf-test", secretKey: "sk-lf-test", baseUrl: langfuse.url },
    });
    const r = await client.complete({ model: "openrouter:openai/gpt-4o-mini", system: "Be brief.", messages, context: { ...ctx, traceName: "suggest" } });
    await client.flush();
    type Event = { type: string; body: Record<string, any> };
    const events = () => langfuse.requests.flatMap((q) => (q.json as { batch?: Event[] } | null)?.batch ?? []);
    const update = await waitFor(() => events().find((e) => e.type === "generation-update" && e.body.traceId === r.traceId));
    expect(events().find((e) => e.type === "generation-create")!.body).toMatchObject({ model: "openrouter:openai/gpt-4o-mini", traceId: r.traceId });
    expect(update.body).toMatchObject({ output: "Reset it from Settings.", usageDetails: { input: 2000, output: 100 }, costDetails: { total: 0.0042 } });
    await client.shutdown();
  });
});
