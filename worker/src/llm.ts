import type postgres from "postgres";
import { createLlmClient, type AiRequestRow, type LlmClient, type LlmRequest, type LlmResult } from "@review/shared/llm/client";
import { isLocalUrl, PROVIDER_KEY_VARIABLES } from "@review/shared/llm/providers";
import { resolveModelRoute, type LlmEnv, type ModelRoute } from "@review/shared/llm/routing";
import type { WorkerEnv } from "./env.ts";
import type { Logger } from "./log.ts";

/** What handlers need from an LLM; tests and the benchmark pass a simulated one. */
export type WorkerLlm = {
  route: ModelRoute;
  /**
   * One call, logged to ai_requests under `logOrgId`. Evaluation calls are sent without the org's
   * retrieval key on purpose: the dev LLM answers base models from the org's approved answers, which
   * include the held-out references, so sending it would leak the answers being scored against.
   */
  complete(req: LlmRequest & { logOrgId?: string | null }): Promise<LlmResult>;
};

/** The worker's environment as the LLM layer reads it. */
export function workerLlmEnv(env: WorkerEnv): LlmEnv {
  const anthropic = Boolean(env.ANTHROPIC_API_KEY?.trim());
  return {
    ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY,
    ANTHROPIC_BASE_URL: env.ANTHROPIC_BASE_URL ?? (anthropic ? env.LLM_BASE_URL : undefined),
    OPENAI_API_KEY: env.OPENAI_API_KEY,
    OPENAI_BASE_URL: env.OPENAI_BASE_URL,
    OPENROUTER_API_KEY: env.OPENROUTER_API_KEY,
    TOGETHER_API_KEY: env.TOGETHER_API_KEY,
    VLLM_BASE_URL: env.VLLM_BASE_URL,
    VLLM_API_KEY: env.VLLM_API_KEY,
    OLLAMA_BASE_URL: env.OLLAMA_BASE_URL,
    LLM_OFFLINE_BASE_URL: env.LLM_OFFLINE_BASE_URL ?? (anthropic ? undefined : env.LLM_BASE_URL),
    LLM_FAST_MODEL: env.LLM_FAST_MODEL,
    LLM_STRONG_MODEL: env.LLM_STRONG_MODEL,
    SUPABASE_URL: env.SUPABASE_URL,
    SUPABASE_SERVICE_ROLE_KEY: env.SUPABASE_SERVICE_ROLE_KEY,
  };
}

/** Tasks that call an LLM; a worker running none of them needs no provider. */
export const LLM_TASKS = ["fine_tune", "ab_eval", "experiment", "themes", "review_judge"] as const;

/**
 * Why this worker must not start, or null. Against a hosted project (SUPABASE_URL, or without it
 * DATABASE_URL, not on this machine) a worker without a provider for its fast/strong models would send
 * every evaluation to `${SUPABASE_URL}/llm`, a dev LLM that only the local stack has, and fail each job
 * after claiming it. Locally the dev LLM serves, and a tier model that cannot be served falls back.
 */
export function llmStartupProblem(env: WorkerEnv, route: ModelRoute = resolveModelRoute(workerLlmEnv(env))): string | null {
  const tasks = env.WORKER_TASKS ? new Set(env.WORKER_TASKS.split(",").map((t) => t.trim())) : null;
  if (tasks && !LLM_TASKS.some((t) => tasks.has(t))) return null;
  const where = env.SUPABASE_URL ?? env.DATABASE_URL;
  if (isLocalUrl(where)) return null;
  if (route.configured && route.problems.length === 0) return null;
  const host = safeHost(where);
  return [
    `The worker has no LLM provider for its models against ${host}, which is not a local stack (the gateway's dev LLM exists only there).`,
    ...route.problems.map((p) => `  - ${p}`),
    `Set a provider key (${PROVIDER_KEY_VARIABLES.join(", ")}) and, for a provider without default models, LLM_FAST_MODEL and LLM_STRONG_MODEL (e.g. openai:gpt-4o-mini, ollama:llama3.1).`,
  ].join("\n");
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the configured project";
  }
}

export function createWorkerLlm(env: WorkerEnv, sql: postgres.Sql, log: Logger, route: ModelRoute = resolveModelRoute(workerLlmEnv(env))): WorkerLlm {
  const clients = new Map<string, LlmClient>();
  const clientFor = (orgId: string | null) => {
    const key = orgId ?? "";
    let c = clients.get(key);
    if (!c) {
      c = createLlmClient({
        providers: route.providers,
        timeoutMs: env.LLM_TIMEOUT_MS,
        maxRetries: env.LLM_MAX_RETRIES,
        logRequest: async (row: AiRequestRow) => {
          const org = row.org_id ?? orgId;
          if (!org) return;
          await sql`insert into public.ai_requests ${sql({ ...row, org_id: org, flags: sql.json(row.flags as unknown as postgres.JSONValue) } as never)}`;
        },
        onLogError: (err) => log.warn("could not log an LLM call to ai_requests", { error: String(err) }),
      });
      clients.set(key, c);
    }
    return c;
  };
  return {
    route,
    complete: ({ logOrgId, ...req }) => clientFor(logOrgId ?? null).complete(req),
  };
}
