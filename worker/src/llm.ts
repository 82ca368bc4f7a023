import type postgres from "postgres";
import { createLlmClient, type AiRequestRow, type LlmClient, type LlmRequest, type LlmResult } from "@review/shared/llm/client";
import { resolveModelRoute, type ModelRoute } from "@review/shared/llm/routing";
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

export function createWorkerLlm(env: WorkerEnv, sql: postgres.Sql, log: Logger): WorkerLlm {
  const route = resolveModelRoute({
    ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY,
    ANTHROPIC_BASE_URL: env.ANTHROPIC_API_KEY ? env.LLM_BASE_URL : undefined,
    LLM_OFFLINE_BASE_URL: env.ANTHROPIC_API_KEY ? undefined : env.LLM_BASE_URL,
    LLM_FAST_MODEL: env.LLM_FAST_MODEL,
    LLM_STRONG_MODEL: env.LLM_STRONG_MODEL,
    SUPABASE_URL: env.SUPABASE_URL,
    SUPABASE_SERVICE_ROLE_KEY: env.SUPABASE_SERVICE_ROLE_KEY,
  });
  const clients = new Map<string, LlmClient>();
  const clientFor = (orgId: string | null) => {
    const key = orgId ?? "";
    let c = clients.get(key);
    if (!c) {
      c = createLlmClient({
        apiKey: route.apiKey,
        baseURL: route.baseURL,
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
