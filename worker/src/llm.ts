import type postgres from "postgres";
import { createLlmClient, type AiRequestRow, type LlmClient, type LlmRequest, type LlmResult } from "@review/shared/llm/client";
import { isLocalUrl, PROVIDER_KEY_VARIABLES } from "@review/shared/llm/providers";
import { resolveModelRoute, type LlmEnv, type ModelRoute } from "@review/shared/llm/routing";
import type { WorkerEnv } from "./env.ts";
import type { Logger } from "./log.ts";
import { createBatcher } from "./lib/batch.ts";

/** What handlers need from an LLM; tests and the benchmark pass a simulated one. */
export type WorkerLlm = {
  route: ModelRoute;
  /**
   * One call, logged to ai_requests under `logOrgId`. Evaluation calls are sent without the org's
   * retrieval key on purpose: the dev LLM answers base models from the org's approved answers, which
   * include the held-out references, so sending it would leak the answers being scored against.
   */
  complete(req: LlmRequest & { logOrgId?: string | null; deferLog?: boolean }): Promise<LlmResult>;
  /**
   * Waits until every call's ai_requests row is written. A call with `deferLog` returns before its row
   * is (a bulk run should not hold a provider slot for a log write); its handler drains before it ends.
   */
  flushLog?(): Promise<void>;
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

/**
 * Every column of the logged row with its SQL type. `satisfies` makes a field added to AiRequestRow (the
 * one shape every runtime logs) fail to compile here until the batched insert writes it too; the insert
 * is built from this map, so it cannot drop a column the map names.
 */
const AI_REQUEST_COLUMN_TYPES = {
  org_id: "uuid", user_id: "uuid", function_name: "text", prompt_version_id: "uuid", model: "text", input_tokens: "integer",
  output_tokens: "integer", cost_usd: "numeric", latency_ms: "integer", status: "text", error: "text", trace_id: "text",
  flags: "jsonb", input_text: "text", output_text: "text",
} as const satisfies Record<keyof AiRequestRow, string>;

const LOGGED_COLUMNS = (() => {
  const names = Object.keys(AI_REQUEST_COLUMN_TYPES);
  return {
    names: names.join(", "),
    // flags is not null in the table; a row without flags logs none
    select: names.map((n) => (n === "flags" ? "coalesce(flags, '[]')" : n)).join(", "),
    definitions: Object.entries(AI_REQUEST_COLUMN_TYPES).map(([n, t]) => `${n} ${t}`).join(", "),
  };
})();

export function createWorkerLlm(env: WorkerEnv, sql: postgres.Sql, log: Logger, route: ModelRoute = resolveModelRoute(workerLlmEnv(env))): WorkerLlm {
  // Every call's row goes through one group-commit writer: concurrent calls share one insert (and one
  // run of ai_requests' statement-level rollup triggers) instead of queueing on the rollup row's lock.
  const rows = createBatcher<AiRequestRow & { org_id: string }>(async (batch) => {
    await sql`
      insert into public.ai_requests (${sql.unsafe(LOGGED_COLUMNS.names)})
      select ${sql.unsafe(LOGGED_COLUMNS.select)}
        from jsonb_to_recordset(${sql.json(batch as unknown as postgres.JSONValue)}) as x(${sql.unsafe(LOGGED_COLUMNS.definitions)})`;
  });
  const clients = new Map<string, LlmClient>();
  const clientFor = (orgId: string | null, defer: boolean) => {
    const key = `${orgId ?? ""}:${defer ? "deferred" : "awaited"}`;
    let c = clients.get(key);
    if (!c) {
      c = createLlmClient({
        providers: route.providers,
        timeoutMs: env.LLM_TIMEOUT_MS,
        maxRetries: env.LLM_MAX_RETRIES,
        logRequest: async (row: AiRequestRow) => {
          const org = row.org_id ?? orgId;
          if (!org) return;
          const written = rows.add({ ...row, org_id: org });
          if (!defer) return written;
          written.catch((err) => log.warn("could not log an LLM call to ai_requests", { error: String(err) }));
        },
        onLogError: (err) => log.warn("could not log an LLM call to ai_requests", { error: String(err) }),
      });
      clients.set(key, c);
    }
    return c;
  };
  return {
    route,
    complete: ({ logOrgId, deferLog, ...req }) => clientFor(logOrgId ?? null, deferLog === true).complete(req),
    flushLog: () => rows.drain(),
  };
}
