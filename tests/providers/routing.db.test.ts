import { describe, expect, it } from "vitest";
import { createLlmClient, type AiRequestRow } from "@review/shared/llm/client";
import { costUsd } from "@review/shared/llm/cost";
import { priceFor } from "@review/shared/llm/prices";
import { isLocalUrl, parseModelRef, resolveProviders } from "@review/shared/llm/providers";
import { modelFor, resolveModelRoute, routeServes } from "@review/shared/llm/routing";
import { parseWorkerEnv, startWorker } from "@review/worker";
import { llmStartupProblem } from "@review/worker/llm";

describe("model references", () => {
  it("name a provider by prefix; bare Claude names are Anthropic and offline-* the dev LLM", () => {
    expect(parseModelRef("anthropic:claude-sonnet-4-5")).toEqual({ ref: "anthropic:claude-sonnet-4-5", provider: "anthropic", model: "claude-sonnet-4-5" });
    expect(parseModelRef("claude-haiku-4-5")).toMatchObject({ provider: "anthropic", model: "claude-haiku-4-5" });
    expect(parseModelRef("openai:ft:gpt-4o-mini-2024-07-18:acme::abc123")).toMatchObject({ provider: "openai", model: "ft:gpt-4o-mini-2024-07-18:acme::abc123" });
    expect(parseModelRef("openrouter:meta-llama/llama-3.1-70b-instruct")).toMatchObject({ provider: "openrouter", model: "meta-llama/llama-3.1-70b-instruct" });
    expect(parseModelRef(" ollama:llama3.1:8b ")).toMatchObject({ ref: "ollama:llama3.1:8b", provider: "ollama", model: "llama3.1:8b" });
    expect(parseModelRef("offline-ft:8c6f0c1e-8a8e-4c7e-9a55-2f7d1c0b9e11")).toMatchObject({ provider: "offline", model: "offline-ft:8c6f0c1e-8a8e-4c7e-9a55-2f7d1c0b9e11" });
    expect(() => parseModelRef("mistral:mistral-large")).toThrow(/Unknown provider "mistral"/);
    expect(() => parseModelRef("openai:")).toThrow(/names no model/);
  });

  it("read each provider's key and base URL from its variables, with published defaults", () => {
    expect(resolveProviders({})).toEqual({});
    expect(
      resolveProviders({ ANTHROPIC_API_KEY: "a", OPENAI_API_KEY: "o", OPENROUTER_API_KEY: "r", TOGETHER_API_KEY: "t", VLLM_BASE_URL: "http://gpu:8000/v1/", OLLAMA_BASE_URL: "http://127.0.0.1:11434/v1" }),
    ).toEqual({
      anthropic: { apiKey: "a", baseURL: "https://api.anthropic.com" },
      openai: { apiKey: "o", baseURL: "https://api.openai.com/v1" },
      openrouter: { apiKey: "r", baseURL: "https://openrouter.ai/api/v1" },
      together: { apiKey: "t", baseURL: "https://api.together.xyz/v1" },
      vllm: { apiKey: "unused", baseURL: "http://gpu:8000/v1" },
      ollama: { apiKey: "unused", baseURL: "http://127.0.0.1:11434/v1" },
    });
    expect(resolveProviders({ OPENAI_API_KEY: "o", OPENAI_BASE_URL: "https://llm.internal/v1" }).openai).toEqual({ apiKey: "o", baseURL: "https://llm.internal/v1" });
    // A base URL alone does not make OpenAI usable; a key alone does not make vLLM usable.
    expect(resolveProviders({ OPENAI_BASE_URL: "https://llm.internal/v1", VLLM_API_KEY: "v" })).toEqual({});
  });

  it("reach the dev LLM only on a local stack (or where LLM_OFFLINE_BASE_URL says)", () => {
    expect(resolveProviders({ SUPABASE_URL: "http://127.0.0.1:54321", SUPABASE_SERVICE_ROLE_KEY: "svc" }).offline).toEqual({ apiKey: "svc", baseURL: "http://127.0.0.1:54321/llm" });
    expect(resolveProviders({ SUPABASE_URL: "http://localhost:54321/" }).offline?.baseURL).toBe("http://localhost:54321/llm");
    expect(resolveProviders({ SUPABASE_URL: "https://abcd.supabase.co", SUPABASE_SERVICE_ROLE_KEY: "svc" }).offline).toBeUndefined();
    expect(resolveProviders({ SUPABASE_URL: "https://abcd.supabase.co", LLM_OFFLINE_BASE_URL: "http://10.0.0.5:54321/llm" }).offline?.baseURL).toBe("http://10.0.0.5:54321/llm");
    expect(["http://127.0.0.1:1", "http://localhost", "http://[::1]:5", "http://api.localhost"].every(isLocalUrl)).toBe(true);
    expect(["https://abcd.supabase.co", "http://10.0.0.5", "http://127.example.com", undefined].some(isLocalUrl)).toBe(false);
  });
});

describe("fast/strong routing", () => {
  it("defaults to the first configured provider's models, and the dev LLM locally without keys", () => {
    const local = { SUPABASE_URL: "http://127.0.0.1:54321" };
    expect(resolveModelRoute({ ...local, ANTHROPIC_API_KEY: "a", OPENAI_API_KEY: "o" })).toMatchObject({ fast: "claude-haiku-4-5", strong: "claude-sonnet-4-5", offline: false, configured: true, problems: [] });
    expect(resolveModelRoute({ OPENAI_API_KEY: "o" })).toMatchObject({ fast: "openai:gpt-4o-mini", strong: "openai:gpt-4.1", offline: false, apiKey: "o", baseURL: "https://api.openai.com/v1" });
    expect(resolveModelRoute({ OPENROUTER_API_KEY: "r" })).toMatchObject({ fast: "openrouter:anthropic/claude-haiku-4.5", strong: "openrouter:anthropic/claude-sonnet-4.5" });
    expect(resolveModelRoute(local)).toMatchObject({ fast: "offline-fast-1", strong: "offline-strong-1", offline: true, configured: true });
    const r = resolveModelRoute({ ...local, VLLM_BASE_URL: "http://gpu:8000/v1", LLM_FAST_MODEL: "vllm:Qwen/Qwen2.5-7B-Instruct", LLM_STRONG_MODEL: "vllm:Qwen/Qwen2.5-72B-Instruct" });
    expect([modelFor(r, "clarify-questions"), modelFor(r, "suggest-answer")]).toEqual(["vllm:Qwen/Qwen2.5-7B-Instruct", "vllm:Qwen/Qwen2.5-72B-Instruct"]);
  });

  it("keeps offline fine-tunes servable next to a provider on a local stack", () => {
    const r = resolveModelRoute({ SUPABASE_URL: "http://127.0.0.1:54321", OPENAI_API_KEY: "o" });
    expect(routeServes(r, "offline-ft:8c6f0c1e-8a8e-4c7e-9a55-2f7d1c0b9e11")).toBe(true);
    expect(routeServes(r, "openai:ft:gpt-4o-mini-2024-07-18:acme::x")).toBe(true);
    expect(routeServes(r, "claude-sonnet-4-5")).toBe(false);
  });

  it("says when a configured tier model cannot be served, and when nothing can", () => {
    const fallback = resolveModelRoute({ SUPABASE_URL: "http://127.0.0.1:54321", LLM_STRONG_MODEL: "openai:gpt-4.1" });
    expect(fallback).toMatchObject({ strong: "offline-strong-1", configured: true });
    expect(fallback.problems).toEqual([expect.stringMatching(/^LLM_STRONG_MODEL is not used: openai:gpt-4\.1 needs OPENAI_API_KEY/)]);
    const hosted = resolveModelRoute({ SUPABASE_URL: "https://abcd.supabase.co", SUPABASE_SERVICE_ROLE_KEY: "svc" });
    expect(hosted).toMatchObject({ configured: false, providers: {} });
    expect(hosted.problems.join("\n")).toMatch(/No LLM provider is configured .*ANTHROPIC_API_KEY.*only on a local stack/);
  });
});

describe("prices", () => {
  it("price OpenAI models, fine-tuned ones at their own rates, and OpenRouter's by their vendor", () => {
    const u = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    expect(costUsd("openai:gpt-4o-mini", u)).toBe(0.75);
    expect(costUsd("openai:gpt-4o-mini-2024-07-18", u)).toBe(0.75);
    expect(costUsd("openai:gpt-4o", u)).toBe(12.5);
    expect(costUsd("openai:gpt-4.1-mini", u)).toBe(2);
    expect(costUsd("openai:o4-mini", u)).toBe(5.5);
    expect(costUsd("openai:ft:gpt-4o-mini-2024-07-18:acme:support:abc123", u)).toBe(1.5);
    expect(costUsd("openai:ft:gpt-4.1-2025-04-14:acme::x", u)).toBe(15);
    expect(costUsd("openai:gpt-4o-mini", { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 1_000_000 })).toBe(0.075);
    expect(costUsd("openrouter:openai/gpt-4o-mini", u)).toBe(0.75);
    expect(costUsd("openrouter:anthropic/claude-sonnet-4.5", u)).toBe(18);
    expect(costUsd("openrouter:meta-llama/llama-3.1-8b-instruct:free", u)).toBe(0);
    expect(costUsd("anthropic:claude-haiku-4-5", u)).toBe(6);
  });
  it("leave unknown and self-hosted models without a cost rather than a false 0", () => {
    for (const m of ["openrouter:meta-llama/llama-3.1-70b-instruct", "together:meta-llama/Llama-3.3-70B-Instruct-Turbo", "vllm:Qwen/Qwen2.5-7B-Instruct", "ollama:llama3.1", "openai:ft:davinci-002:acme::x", "openai:some-future-model", "gpt-5-mini"]) {
      expect([m, priceFor(m)]).toEqual([m, undefined]);
    }
  });
});

describe("a hosted project without a provider", () => {
  it("fails LLM calls with 503 llm_not_configured instead of calling ${SUPABASE_URL}/llm", async () => {
    const route = resolveModelRoute({ SUPABASE_URL: "https://abcd.supabase.co", SUPABASE_SERVICE_ROLE_KEY: "svc" });
    const calls: string[] = [];
    const rows: AiRequestRow[] = [];
    const client = createLlmClient({
      providers: route.providers,
      fetch: async (input) => {
        calls.push(String(input instanceof Request ? input.url : input));
        return new Response("{}", { status: 500 });
      },
      logRequest: async (r) => void rows.push(r),
    });
    const req = { model: modelFor(route, "suggest-answer"), messages: [{ role: "user" as const, content: "hi" }], context: { functionName: "suggest", orgId: "0b7c6a52-3a59-4d7b-9d55-62a1f1c5a0aa" } };
    const err = await client.complete(req).catch((e) => e);
    expect(err).toMatchObject({ code: "llm_not_configured", status: 503 });
    expect(err.message).toMatch(/only a local stack has/);
    await expect(client.stream(req)).rejects.toMatchObject({ code: "llm_not_configured", status: 503 });
    expect(calls).toEqual([]);
    expect(rows.map((r) => [r.status, r.model, r.error?.split(":")[0]])).toEqual([
      ["error", "offline-strong-1", "llm_not_configured"],
      ["error", "offline-strong-1", "llm_not_configured"],
    ]);
  });

  it("keeps the worker from starting, with a message naming what to set", async () => {
    // Nothing listens at this database: the refusal must come before any connection.
    const hosted = { DATABASE_URL: "postgres://postgres:pw@127.0.0.1:9/postgres", SUPABASE_URL: "https://abcd.supabase.co", SUPABASE_SERVICE_ROLE_KEY: "svc" };
    const err = await startWorker({ env: hosted }).catch((e) => e);
    expect(err).toMatchObject({ name: "WorkerConfigError" });
    expect(err.message).toMatch(/no LLM provider for its models against abcd\.supabase\.co, which is not a local stack/);
    expect(err.message).toMatch(/ANTHROPIC_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY, TOGETHER_API_KEY, VLLM_BASE_URL, OLLAMA_BASE_URL/);

    // A tier model whose provider is missing is refused too, rather than silently replaced on a hosted project.
    expect(llmStartupProblem(parseWorkerEnv({ ...hosted, ANTHROPIC_API_KEY: "a", LLM_STRONG_MODEL: "openai:gpt-4.1" }))).toMatch(/LLM_STRONG_MODEL is not used: openai:gpt-4\.1 needs OPENAI_API_KEY/);
    // With a provider, with a local stack, or with no LLM task to run, it starts.
    expect(llmStartupProblem(parseWorkerEnv({ ...hosted, OPENAI_API_KEY: "o" }))).toBeNull();
    expect(llmStartupProblem(parseWorkerEnv({ ...hosted, VLLM_BASE_URL: "http://gpu:8000/v1", LLM_FAST_MODEL: "vllm:m", LLM_STRONG_MODEL: "vllm:m" }))).toBeNull();
    expect(llmStartupProblem(parseWorkerEnv({ ...hosted, SUPABASE_URL: "http://127.0.0.1:54321" }))).toBeNull();
    expect(llmStartupProblem(parseWorkerEnv({ ...hosted, WORKER_TASKS: "drift" }))).toBeNull();
    // Without SUPABASE_URL, the database's host decides.
    expect(llmStartupProblem(parseWorkerEnv({ DATABASE_URL: "postgres://postgres:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres" }))).toMatch(/pooler\.supabase\.com/);
  });
});
