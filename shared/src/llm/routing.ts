import { isOfflineModel, OFFLINE_MODELS, type OfflineTask } from "./offline-protocol.ts";

/**
 * Fast vs strong: clarifying questions and memory updates run often and need speed; the final synthesis
 * and the answer a curator will edit deserve the stronger model. Without an API key every call goes to
 * the offline models served by the local gateway, through the same SDK code path.
 */
export type ModelTier = "fast" | "strong";

export type LlmEnv = {
  ANTHROPIC_API_KEY?: string;
  ANTHROPIC_BASE_URL?: string;
  LLM_FAST_MODEL?: string;
  LLM_STRONG_MODEL?: string;
  /** Base URL of the gateway's dev LLM (e.g. http://127.0.0.1:54321/llm), used when there is no key. */
  LLM_OFFLINE_BASE_URL?: string;
  SUPABASE_URL?: string;
  /** The dev LLM's credential: it serves the project's own callers only (service key or a user's token). */
  SUPABASE_SERVICE_ROLE_KEY?: string;
};

export const DEFAULT_ONLINE_MODELS = { fast: "claude-haiku-4-5", strong: "claude-sonnet-4-5" } as const;

export type ModelRoute = {
  fast: string;
  strong: string;
  /** True when calls go to the local offline model instead of Anthropic. */
  offline: boolean;
  apiKey: string;
  /** undefined means the SDK default (api.anthropic.com). */
  baseURL: string | undefined;
};

const present = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);

const offlineOnly = (v: string | undefined) => {
  const m = present(v);
  return m && isOfflineModel(m) ? m : undefined;
};

export function resolveModelRoute(env: LlmEnv): ModelRoute {
  const key = present(env.ANTHROPIC_API_KEY);
  if (key) {
    return {
      fast: present(env.LLM_FAST_MODEL) ?? DEFAULT_ONLINE_MODELS.fast,
      strong: present(env.LLM_STRONG_MODEL) ?? DEFAULT_ONLINE_MODELS.strong,
      offline: false,
      apiKey: key,
      baseURL: present(env.ANTHROPIC_BASE_URL),
    };
  }
  const gateway = present(env.LLM_OFFLINE_BASE_URL) ?? (present(env.SUPABASE_URL) ? `${present(env.SUPABASE_URL)!.replace(/\/+$/, "")}/llm` : undefined);
  return {
    // A Claude model configured for production is meaningless without a key; an offline one (e.g. a
    // fine-tuned offline-ft:<id>) may still be pinned.
    fast: offlineOnly(env.LLM_FAST_MODEL) ?? OFFLINE_MODELS.fast,
    strong: offlineOnly(env.LLM_STRONG_MODEL) ?? OFFLINE_MODELS.strong,
    offline: true,
    // The dev LLM takes this project's service role key as its API key; the SDK sends it as any key.
    // Without one the request still goes out, and the dev LLM's 401 says what is missing.
    apiKey: present(env.SUPABASE_SERVICE_ROLE_KEY) ?? "missing-SUPABASE_SERVICE_ROLE_KEY",
    baseURL: gateway,
  };
}

export const TASK_TIER: Readonly<Record<OfflineTask, ModelTier>> = {
  "clarify-questions": "fast",
  "update-memory": "fast",
  "suggest-answer": "strong",
  "final-prompt": "strong",
  "judge-pairwise": "strong",
};

export function modelFor(route: ModelRoute, tierOrTask: ModelTier | OfflineTask): string {
  const tier = tierOrTask === "fast" || tierOrTask === "strong" ? tierOrTask : TASK_TIER[tierOrTask];
  return route[tier];
}
