import { beforeAll, describe, expect, it } from "vitest";
import { createLlmClient, type AiRequestRow, type LlmClientOptions } from "@review/shared/llm/client";
import { LlmError } from "@review/shared/llm/errors";
import { buildSuggestAnswerPrompt } from "@review/shared/llm/offline-protocol";
import type { StackInfo } from "@review/local-supabase";
import { getStack, waitFor } from "../helpers/stack.ts";
import { anthropicMessage, loopback } from "./loopback.ts";

let stack: StackInfo;
beforeAll(async () => {
  stack = await getStack();
});

const ctx = { functionName: "test-fn", orgId: "0b7c6a52-3a59-4d7b-9d55-62a1f1c5a0aa", userId: "5e0c3c7e-1f0a-4c1f-8d0a-0b6d2a0f9c11", promptVersionId: null };

function clientWithRows(opts: Partial<LlmClientOptions>) {
  const rows: AiRequestRow[] = [];
  const client = createLlmClient({ timeoutMs: 10_000, maxRetries: 2, ...opts, logRequest: async (r) => void rows.push(r) });
  return { client, rows };
}

describe("createLlmClient against the dev LLM", () => {
  it("completes, streams and logs one ai_requests row per call", async () => {
    const { client, rows } = clientWithRows({ baseURL: stack.llmUrl, apiKey: stack.serviceRoleKey });
    const p = buildSuggestAnswerPrompt({ query: "How do I change my plan?", badAnswer: "Plans can be changed. Go to Billing and choose Change plan." });
    const r = await client.complete({ model: "offline-strong-1", system: p.system, messages: p.messages, maxTokens: p.maxTokens, context: ctx });
    expect(r.servedModel).toContain("offline");
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    expect(r.costUsd).toBe(0);
    expect(r.text).toContain("Change plan");

    const s = await client.stream({ model: "offline-fast-1", system: p.system, messages: p.messages, context: ctx });
    let streamed = "";
    for await (const d of s) streamed += d;
    const final = await s.final();
    expect(final.text).toBe(streamed);

    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      org_id: ctx.orgId,
      user_id: ctx.userId,
      function_name: "test-fn",
      model: "offline-strong-1",
      input_tokens: r.usage.inputTokens,
      output_tokens: r.usage.outputTokens,
      cost_usd: 0,
      status: "ok",
      error: null,
    });
    expect(rows[1]).toMatchObject({ model: "offline-fast-1", status: "ok", output_tokens: final.usage.outputTokens });
    expect(rows[0]!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it("refuses input over the limit with a typed error before any network call, and logs it", async () => {
    const { client, rows } = clientWithRows({ baseURL: "http://127.0.0.1:9", maxInputChars: 100 });
    const err = await client.complete({ model: "offline-fast-1", messages: [{ role: "user", content: "x".repeat(101) }], context: ctx }).catch((e) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect(err).toMatchObject({ code: "llm_input_too_long", status: 413 });
    await expect(client.stream({ model: "offline-fast-1", messages: [{ role: "user", content: "x".repeat(101) }], context: ctx })).rejects.toMatchObject({ code: "llm_input_too_long" });
    expect(rows.map((r) => [r.status, r.input_tokens, r.error?.startsWith("llm_input_too_long")])).toEqual([
      ["error", 0, true],
      ["error", 0, true],
    ]);
  });
});

describe("createLlmClient against a misbehaving provider", () => {
  it("retries a 429 (retry-after: 0) and logs one ok row with tokens and cost", async () => {
    const server = await loopback((_req, n) =>
      n === 1
        ? { status: 429, headers: { "retry-after": "0" }, body: { type: "error", error: { type: "rate_limit_error", message: "slow down" } } }
        : { status: 200, body: anthropicMessage("Here is the answer.", "claude-haiku-4-5-20251001", { input_tokens: 1000, output_tokens: 500 }) },
    );
    try {
      const { client, rows } = clientWithRows({ baseURL: server.url, apiKey: "sk-test" });
      const r = await client.complete({ model: "claude-haiku-4-5", messages: [{ role: "user", content: "hi" }], context: ctx });
      expect(server.requests).toHaveLength(2);
      expect(server.requests[1]!.headers["x-stainless-retry-count"]).toBe("1");
      expect(JSON.parse(server.requests[0]!.body).metadata).toEqual({ user_id: `org:${ctx.orgId}:user:${ctx.userId}` });
      // claude-haiku-4-5: $1 in / $5 out per 1M tokens
      expect(r.costUsd).toBe(0.0035);
      expect(rows).toEqual([
        expect.objectContaining({ status: "ok", model: "claude-haiku-4-5", input_tokens: 1000, output_tokens: 500, cost_usd: 0.0035, error: null }),
      ]);
    } finally {
      await server.close();
    }
  });

  it("gives up on repeated 500s with llm_upstream_error and logs a row with status error", async () => {
    const server = await loopback(() => ({ status: 500, headers: { "retry-after-ms": "1" }, body: { type: "error", error: { type: "api_error", message: "upstream exploded" } } }));
    // (claude-opus-4-5 rather than claude-sonnet-4-5: the SDK prints a deprecation warning for the latter)
    try {
      const { client, rows } = clientWithRows({ baseURL: server.url, apiKey: "sk-test", maxRetries: 2 });
      const err = await client.complete({ model: "claude-opus-4-5", messages: [{ role: "user", content: "hi" }], context: ctx }).catch((e) => e);
      expect(err).toBeInstanceOf(LlmError);
      expect(err).toMatchObject({ code: "llm_upstream_error", status: 502, upstreamStatus: 500 });
      expect(err.message).toContain("upstream exploded");
      expect(server.requests).toHaveLength(3);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: "error", model: "claude-opus-4-5", input_tokens: 0, output_tokens: 0, cost_usd: 0 });
      expect(rows[0]!.error).toMatch(/^llm_upstream_error: .*upstream exploded/);

      // A streaming call fails the same way.
      const s = await client.stream({ model: "claude-opus-4-5", messages: [{ role: "user", content: "hi" }], context: ctx });
      await expect(s.final()).rejects.toMatchObject({ code: "llm_upstream_error" });
      await waitFor(() => rows.length === 2);
      expect(rows[1]).toMatchObject({ status: "error" });
    } finally {
      await server.close();
    }
  });

  it("maps a persistent 429 to llm_rate_limited and a slow provider to llm_timeout", async () => {
    const limited = await loopback(() => ({ status: 429, headers: { "retry-after-ms": "1", "retry-after": "7" }, body: { type: "error", error: { type: "rate_limit_error", message: "nope" } } }));
    try {
      const { client } = clientWithRows({ baseURL: limited.url, apiKey: "k", maxRetries: 1 });
      await expect(client.complete({ model: "claude-haiku-4-5", messages: [{ role: "user", content: "hi" }], context: ctx })).rejects.toMatchObject({ code: "llm_rate_limited", status: 429, retryAfterMs: 7000 });
    } finally {
      await limited.close();
    }
    const { client, rows } = clientWithRows({ baseURL: `${stack.llmUrl}`, apiKey: stack.serviceRoleKey, timeoutMs: 1, maxRetries: 0 });
    const err = await client.complete({ model: "offline-strong-1", messages: [{ role: "user", content: "hello there" }], context: ctx }).catch((e) => e);
    expect(err).toMatchObject({ code: "llm_timeout", status: 504 });
    expect(rows[0]).toMatchObject({ status: "error" });
  });
});

describe("Langfuse tracing", () => {
  it("sends a trace and a generation with tokens and cost, and scores", async () => {
    const provider = await loopback(() => ({ status: 200, body: anthropicMessage("Reset it from Settings.", "claude-opus-4-5-20251101", { input_tokens: 2000, output_tokens: 100 }) }));
    const langfuse = await loopback(() => ({ status: 207, body: { successes: [], errors: [] } }));
    try {
      const { client, rows } = clientWithRows({ baseURL: provider.url, apiKey: "k", langfuse: { publicKey: "pk-lf-test", secretKey: "sk-lf-test", baseUrl: langfuse.url } });
      expect(client.tracing).toBe(true);
      const r = await client.complete({ model: "claude-opus-4-5", system: "Be brief.", messages: [{ role: "user", content: "How do I reset my password?" }], context: { ...ctx, traceName: "suggest" } });
      client.score({ traceId: r.traceId, name: "curator-rating", value: 4, comment: "good" });
      await client.flush();

      type Event = { type: string; body: Record<string, unknown> };
      const events = await waitFor(() => {
        const all = langfuse.requests.filter((q) => q.path === "/api/public/ingestion").flatMap((q) => (JSON.parse(q.body) as { batch: Event[] }).batch);
        return all.some((e) => e.type === "score-create") && all.some((e) => e.type === "generation-update") ? all : null;
      });
      expect(langfuse.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("pk-lf-test:sk-lf-test").toString("base64")}`);
      const trace = events.find((e) => e.type === "trace-create")!.body;
      expect(trace).toMatchObject({ id: r.traceId, name: "suggest", userId: ctx.userId, metadata: expect.objectContaining({ orgId: ctx.orgId }) });
      const created = events.find((e) => e.type === "generation-create")!.body;
      expect(created).toMatchObject({ traceId: r.traceId, name: "test-fn", model: "claude-opus-4-5" });
      const updated = events.find((e) => e.type === "generation-update")!.body;
      expect(updated.id).toBe(created.id);
      expect(updated).toMatchObject({
        output: "Reset it from Settings.",
        usage: { input: 2000, output: 100, total: 2100, unit: "TOKENS" },
        usageDetails: expect.objectContaining({ input: 2000, output: 100 }),
        // claude-opus-4-5: 2000 × $5/1M + 100 × $25/1M
        costDetails: { input: 0.01, output: 0.0025, total: 0.0125 },
      });
      expect(events.find((e) => e.type === "score-create")!.body).toMatchObject({ traceId: r.traceId, name: "curator-rating", value: 4, comment: "good" });
      expect(rows[0]).toMatchObject({ trace_id: r.traceId, cost_usd: 0.0125 });
      await client.shutdown();
    } finally {
      await provider.close();
      await langfuse.close();
    }
  });
});
