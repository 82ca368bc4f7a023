import { OFFLINE_MODELS, type OfflineTask } from "./offline-protocol.ts";
import { DEFAULT_PROVIDER_ORDER, PROVIDER_KEY_VARIABLES, PROVIDERS, resolveProviders, unservableReason, type ProviderEnv, type ProviderId, type ProviderTable, parseModelRef } from "./providers.ts";

/**
 * Fast vs strong: clarifying questions and memory updates run often and need speed; the final synthesis
 * and the answer a curator will edit deserve the stronger model. The tiers default to the first
 * configured provider's models (Anthropic, OpenAI, OpenRouter, Together), and to the gateway's offline
 * models on a local stack without keys. LLM_FAST_MODEL / LLM_STRONG_MODEL name any model reference
 * (providers.ts) and win when their provider is configured.
 */
export type ModelTier = "fast" | "strong";

export type LlmEnv = ProviderEnv & {
  LLM_FAST_MODEL?: string;
  LLM_STRONG_MODEL?: string;
};

export const DEFAULT_ONLINE_MODELS = { fast: "claude-haiku-4-5", strong: "claude-sonnet-4-5" } as const;

export type ModelRoute = {
  fast: string;
  strong: string;
  /** True when the tiers default to the gateway's offline models (a local stack without provider keys). */
  offline: boolean;
  /** Credentials of the provider serving the strong tier (kept for callers that build one SDK client). */
  apiKey: string;
  baseURL: string | undefined;
  /** Every usable provider; createLlmClient({ providers }) picks one per call from the model reference. */
  providers: ProviderTable;
  /** False when no configured provider serves the tiers' models: every default call fails with llm_not_configured. */
  configured: boolean;
  /** Sentences for the operator: a configured tier model that cannot be served, or no provider at all. */
  problems: string[];
};

const present = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);

export function resolveModelRoute(env: LlmEnv): ModelRoute {
  const providers = resolveProviders(env);
  const problems: string[] = [];
  const first = DEFAULT_PROVIDER_ORDER.find((id) => providers[id] && PROVIDERS[id].defaults);
  const defaults = first ? PROVIDERS[first].defaults! : OFFLINE_MODELS;
  const tier = (name: ModelTier): string => {
    const wanted = present(name === "fast" ? env.LLM_FAST_MODEL : env.LLM_STRONG_MODEL);
    if (wanted) {
      const why = unservableReason(wanted, providers);
      if (!why) return wanted;
      // e.g. a Claude model configured for production on a laptop without a key: the tier falls back.
      problems.push(`LLM_${name.toUpperCase()}_MODEL is not used: ${why}`);
    }
    return defaults[name];
  };
  const fast = tier("fast");
  const strong = tier("strong");
  const configured = !unservableReason(fast, providers) && !unservableReason(strong, providers);
  if (!configured) {
    problems.push(
      `No LLM provider is configured for ${fast === strong ? fast : `${fast} / ${strong}`}: set one of ${PROVIDER_KEY_VARIABLES.join(", ")}` +
        (providers.offline ? "" : " (the gateway's dev LLM exists only on a local stack: SUPABASE_URL on 127.0.0.1 or localhost)"),
    );
  }
  const strongProvider: ProviderId = safeProvider(strong);
  const creds = providers[strongProvider];
  return {
    fast,
    strong,
    offline: !first || first === "offline",
    apiKey: creds?.apiKey ?? "missing-provider-key",
    baseURL: creds?.baseURL,
    providers,
    configured,
    problems,
  };
}

function safeProvider(ref: string): ProviderId {
  try {
    return parseModelRef(ref).provider;
  } catch {
    return "anthropic";
  }
}

export const TASK_TIER: Readonly<Record<OfflineTask, ModelTier>> = {
  "clarify-questions": "fast",
  "update-memory": "fast",
  "suggest-answer": "strong",
  "final-prompt": "strong",
  "judge-pairwise": "strong",
  "name-theme": "fast",
  "judge-rubric": "strong",
};

export function modelFor(route: ModelRoute, tierOrTask: ModelTier | OfflineTask): string {
  const tier = tierOrTask === "fast" || tierOrTask === "strong" ? tierOrTask : TASK_TIER[tierOrTask];
  return route[tier];
}

/** Whether this route can serve a model reference (e.g. one a prompt version pins). */
export function routeServes(route: ModelRoute, ref: string): boolean {
  return !unservableReason(ref, route.providers);
}
