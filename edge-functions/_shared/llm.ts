import type { SupabaseClient } from "@supabase/supabase-js";
import { createLlmClient, modelFor, resolveModelRoute, type LlmClient, type LlmEnv, type ModelRoute } from "../../shared/src/llm/index.ts";
import { env, type FunctionEnv } from "./env.ts";
import { AppError, fromDb } from "./http.ts";

export type Llm = { client: LlmClient; route: ModelRoute };

/**
 * The LLM client every function uses. Each call's model reference picks its provider (Anthropic,
 * OpenAI-compatible APIs, or the gateway's dev LLM on a local stack; shared/src/llm/providers.ts).
 * Without any provider key on a hosted project, calls fail with 503 `llm_not_configured` instead of
 * calling a dev LLM hosted Supabase does not have. Each call is written to ai_requests with the service
 * client (users may not write that table) and traced to Langfuse when keys are set.
 */
export function llm(service: SupabaseClient): Llm {
  const e = env();
  const route = resolveModelRoute(llmEnv(e));
  const langfuseBase = e.LANGFUSE_BASE_URL ?? e.LANGFUSE_HOST;
  const client = createLlmClient({
    providers: route.providers,
    timeoutMs: e.LLM_TIMEOUT_MS,
    maxRetries: e.LLM_MAX_RETRIES,
    langfuse:
      e.LANGFUSE_PUBLIC_KEY && e.LANGFUSE_SECRET_KEY
        ? { publicKey: e.LANGFUSE_PUBLIC_KEY, secretKey: e.LANGFUSE_SECRET_KEY, baseUrl: langfuseBase ?? "https://cloud.langfuse.com" }
        : null,
    logRequest: async (row) => {
      if (!row.org_id) return;
      const { error } = await service.from("ai_requests").insert(row);
      if (error) throw new Error(`ai_requests insert failed: ${error.message}`);
    },
  });
  return { client, route };
}

/** The functions' environment as the LLM layer reads it. */
export function llmEnv(e: FunctionEnv): LlmEnv {
  const anthropic = Boolean(e.ANTHROPIC_API_KEY?.trim());
  return {
    ANTHROPIC_API_KEY: e.ANTHROPIC_API_KEY,
    ANTHROPIC_BASE_URL: e.ANTHROPIC_BASE_URL ?? (anthropic ? e.LLM_BASE_URL : undefined),
    OPENAI_API_KEY: e.OPENAI_API_KEY,
    OPENAI_BASE_URL: e.OPENAI_BASE_URL,
    OPENROUTER_API_KEY: e.OPENROUTER_API_KEY,
    TOGETHER_API_KEY: e.TOGETHER_API_KEY,
    VLLM_BASE_URL: e.VLLM_BASE_URL,
    VLLM_API_KEY: e.VLLM_API_KEY,
    OLLAMA_BASE_URL: e.OLLAMA_BASE_URL,
    LLM_OFFLINE_BASE_URL: e.LLM_OFFLINE_BASE_URL ?? (anthropic ? undefined : e.LLM_BASE_URL),
    LLM_FAST_MODEL: e.LLM_FAST_MODEL,
    LLM_STRONG_MODEL: e.LLM_STRONG_MODEL,
    SUPABASE_URL: e.SUPABASE_URL,
    SUPABASE_SERVICE_ROLE_KEY: e.SUPABASE_SERVICE_ROLE_KEY,
  };
}

export { modelFor };

/**
 * Per-organization token bucket (a burst of a minute's worth, refilled continuously), spent as the
 * caller: take_llm_tokens checks the caller may use the organization's LLM budget, and the capacity is
 * the organization's limit in the database, not a number any caller passes.
 */
export async function enforceLlmRateLimit(client: SupabaseClient, orgId: string, scope: string): Promise<void> {
  const data = fromDb(await client.rpc("take_llm_tokens", { p_org: orgId, p_scope: scope }), "rate_limit_unavailable");
  const row = (Array.isArray(data) ? data[0] : data) as { allowed: boolean; retry_after_ms: number };
  if (!row.allowed) {
    const seconds = Math.max(1, Math.ceil(row.retry_after_ms / 1000));
    throw new AppError(429, "rate_limited", `Your organization is sending LLM requests too quickly; try again in ${seconds} s`, undefined, { "Retry-After": String(seconds) });
  }
}
