/**
 * Which provider serves a model, and with which credentials. A model is named by a reference string:
 *
 *   anthropic:claude-sonnet-4-5            Anthropic (a bare `claude-…` or any other bare name is Anthropic too)
 *   openai:gpt-4o-mini, openai:ft:gpt-4o-mini-2024-07-18:acme::abc123
 *   openrouter:meta-llama/llama-3.1-70b-instruct
 *   together:meta-llama/Llama-3.3-70B-Instruct-Turbo
 *   vllm:<served model name>, ollama:llama3.1
 *   offline-fast-1, offline-strong-1, offline-ft:<models.id>   the gateway's dev LLM (local stack only)
 *
 * Only the first colon separates provider and model, so model ids may contain colons (`ft:…`,
 * `llama3.1:8b`) and slashes. The provider table says where each provider lives (base URL defaults)
 * and which environment variable holds its key; `resolveProviders` turns an environment into the
 * providers that are usable, and nothing else decides that.
 */
import { LlmError } from "./errors.ts";

export const PROVIDER_IDS = ["anthropic", "openai", "openrouter", "together", "vllm", "ollama", "offline"] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];
/** The wire protocol, i.e. which SDK calls it: Anthropic's Messages API or OpenAI's Chat Completions. */
export type ProviderProtocol = "anthropic" | "openai";

export type ProviderSpec = {
  id: ProviderId;
  label: string;
  protocol: ProviderProtocol;
  /** Environment variable holding the API key. */
  keyEnv: string | null;
  /** Environment variable overriding the base URL. */
  baseUrlEnv: string | null;
  /** Used when baseUrlEnv is not set; null means the provider has no public endpoint (self-hosted). */
  defaultBaseURL: string | null;
  /** What makes the provider usable: its key, or (self-hosted servers, which often run without keys) its base URL. */
  configuredBy: "key" | "baseUrl";
  /** Model references used for the fast/strong tiers when this is the first configured provider. */
  defaults: { fast: string; strong: string } | null;
};

export const PROVIDERS: Readonly<Record<ProviderId, ProviderSpec>> = {
  anthropic: {
    id: "anthropic",
    label: "Anthropic",
    protocol: "anthropic",
    keyEnv: "ANTHROPIC_API_KEY",
    baseUrlEnv: "ANTHROPIC_BASE_URL",
    defaultBaseURL: "https://api.anthropic.com",
    configuredBy: "key",
    defaults: { fast: "claude-haiku-4-5", strong: "claude-sonnet-4-5" },
  },
  openai: {
    id: "openai",
    label: "OpenAI",
    protocol: "openai",
    keyEnv: "OPENAI_API_KEY",
    baseUrlEnv: "OPENAI_BASE_URL",
    defaultBaseURL: "https://api.openai.com/v1",
    configuredBy: "key",
    defaults: { fast: "openai:gpt-4o-mini", strong: "openai:gpt-4.1" },
  },
  openrouter: {
    id: "openrouter",
    label: "OpenRouter",
    protocol: "openai",
    keyEnv: "OPENROUTER_API_KEY",
    baseUrlEnv: null,
    defaultBaseURL: "https://openrouter.ai/api/v1",
    configuredBy: "key",
    defaults: { fast: "openrouter:anthropic/claude-haiku-4.5", strong: "openrouter:anthropic/claude-sonnet-4.5" },
  },
  together: {
    id: "together",
    label: "Together AI",
    protocol: "openai",
    keyEnv: "TOGETHER_API_KEY",
    baseUrlEnv: null,
    defaultBaseURL: "https://api.together.xyz/v1",
    configuredBy: "key",
    defaults: { fast: "together:meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", strong: "together:meta-llama/Llama-3.3-70B-Instruct-Turbo" },
  },
  vllm: {
    id: "vllm",
    label: "vLLM",
    protocol: "openai",
    keyEnv: "VLLM_API_KEY",
    baseUrlEnv: "VLLM_BASE_URL",
    defaultBaseURL: null,
    configuredBy: "baseUrl",
    // A vLLM server serves whatever it was started with: name it in LLM_FAST_MODEL / LLM_STRONG_MODEL.
    defaults: null,
  },
  ollama: {
    id: "ollama",
    label: "Ollama",
    protocol: "openai",
    keyEnv: null,
    baseUrlEnv: "OLLAMA_BASE_URL",
    defaultBaseURL: null,
    configuredBy: "baseUrl",
    defaults: null,
  },
  offline: {
    id: "offline",
    label: "the gateway's dev LLM",
    protocol: "anthropic",
    // The dev LLM serves only this project's callers: its key is the service role key.
    keyEnv: "SUPABASE_SERVICE_ROLE_KEY",
    baseUrlEnv: "LLM_OFFLINE_BASE_URL",
    defaultBaseURL: null,
    configuredBy: "baseUrl",
    defaults: { fast: "offline-fast-1", strong: "offline-strong-1" },
  },
};

/** Providers whose defaults become the fast/strong models, in order of preference. The dev LLM comes last. */
export const DEFAULT_PROVIDER_ORDER: readonly ProviderId[] = ["anthropic", "openai", "openrouter", "together", "offline"];

/** Providers that may be named as a prefix in a model reference (the dev LLM is named by its model ids). */
const PREFIXES = new Set<string>(["anthropic", "openai", "openrouter", "together", "vllm", "ollama"]);

export type ModelRef = {
  /** The reference as given (trimmed): what ai_requests records and prompt versions pin. */
  ref: string;
  provider: ProviderId;
  /** The id the provider's API takes. */
  model: string;
};

export function isOfflineRef(ref: string): boolean {
  return ref.trim().startsWith("offline-");
}

/** Parses a model reference; throws llm_not_configured for an unknown provider prefix or an empty model. */
export function parseModelRef(input: string): ModelRef {
  const ref = input.trim();
  if (!ref) throw new LlmError("llm_not_configured", "No model was named");
  if (isOfflineRef(ref)) return { ref, provider: "offline", model: ref };
  const colon = ref.indexOf(":");
  if (colon === -1) return { ref, provider: "anthropic", model: ref };
  const prefix = ref.slice(0, colon).toLowerCase();
  const model = ref.slice(colon + 1).trim();
  if (!PREFIXES.has(prefix)) {
    throw new LlmError("llm_not_configured", `Unknown provider "${prefix}" in the model reference "${ref}"; use one of ${[...PREFIXES].join(", ")} (e.g. openai:gpt-4o-mini)`);
  }
  if (!model) throw new LlmError("llm_not_configured", `The model reference "${ref}" names no model`);
  return { ref, provider: prefix as ProviderId, model };
}

/** Like parseModelRef, but null instead of throwing. */
export function tryParseModelRef(input: string): ModelRef | null {
  try {
    return parseModelRef(input);
  } catch {
    return null;
  }
}

/** The reference for a provider's model id (the form prompt versions and models.served_model hold). */
export function formatModelRef(provider: ProviderId, model: string): string {
  return provider === "offline" ? model : `${provider}:${model}`;
}

export type ProviderEnv = {
  ANTHROPIC_API_KEY?: string;
  ANTHROPIC_BASE_URL?: string;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENROUTER_API_KEY?: string;
  TOGETHER_API_KEY?: string;
  VLLM_BASE_URL?: string;
  VLLM_API_KEY?: string;
  OLLAMA_BASE_URL?: string;
  /** Where the project lives; the dev LLM at `${SUPABASE_URL}/llm` exists only on a local stack. */
  SUPABASE_URL?: string;
  SUPABASE_SERVICE_ROLE_KEY?: string;
  /** The dev LLM's base URL, set explicitly (wins over `${SUPABASE_URL}/llm`, and over the locality rule). */
  LLM_OFFLINE_BASE_URL?: string;
};

export type ProviderConfig = { apiKey: string; baseURL: string };
/** Usable providers only: a provider missing here has no credentials (or, for the dev LLM, no gateway). */
export type ProviderTable = Partial<Record<ProviderId, ProviderConfig>>;

const present = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);
const trimSlash = (u: string) => u.replace(/\/+$/, "");

/** True for a URL on this machine: the embedded stack (`npm start`, tests), never a hosted project. */
export function isLocalUrl(url: string | undefined): boolean {
  if (!url) return false;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || host === "0.0.0.0" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function resolveProviders(env: ProviderEnv): ProviderTable {
  const table: ProviderTable = {};
  for (const spec of Object.values(PROVIDERS)) {
    if (spec.id === "offline") continue;
    const key = spec.keyEnv ? present(env[spec.keyEnv as keyof ProviderEnv]) : undefined;
    const base = (spec.baseUrlEnv ? present(env[spec.baseUrlEnv as keyof ProviderEnv]) : undefined) ?? spec.defaultBaseURL ?? undefined;
    if (spec.configuredBy === "key" ? !key : !base) continue;
    // Self-hosted servers usually take no key, but the SDK will not send a request without one.
    table[spec.id] = { apiKey: key ?? "unused", baseURL: trimSlash(base!) };
  }
  const supabase = present(env.SUPABASE_URL);
  const offlineBase = present(env.LLM_OFFLINE_BASE_URL) ?? (supabase && isLocalUrl(supabase) ? `${trimSlash(supabase)}/llm` : undefined);
  if (offlineBase) {
    // Without the service key the request still goes out, and the dev LLM's 401 says what is missing.
    table.offline = { apiKey: present(env.SUPABASE_SERVICE_ROLE_KEY) ?? "missing-SUPABASE_SERVICE_ROLE_KEY", baseURL: trimSlash(offlineBase) };
  }
  return table;
}

/** Why a model reference cannot be served with these providers, as a sentence naming the fix; null when it can. */
export function unservableReason(ref: string, providers: ProviderTable): string | null {
  let parsed: ModelRef;
  try {
    parsed = parseModelRef(ref);
  } catch (err) {
    return (err as Error).message;
  }
  if (providers[parsed.provider]) return null;
  return `${parsed.ref} needs ${setupHint(parsed.provider)}`;
}

export function canServe(ref: string, providers: ProviderTable): boolean {
  return unservableReason(ref, providers) === null;
}

/** What to configure for a provider, for error messages and the worker's start-up check. */
export function setupHint(provider: ProviderId): string {
  const s = PROVIDERS[provider];
  switch (provider) {
    case "offline":
      return "the gateway's dev LLM, which only a local stack has (SUPABASE_URL on 127.0.0.1 or localhost); hosted Supabase has none, so configure a provider key";
    case "openai":
      return "OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible API)";
    case "vllm":
      return "VLLM_BASE_URL (and VLLM_API_KEY if the server wants one)";
    case "ollama":
      return "OLLAMA_BASE_URL (e.g. http://127.0.0.1:11434/v1)";
    default:
      return `${s.keyEnv} (${s.label})`;
  }
}

/** Every variable that configures a provider key, for messages that list the choices. */
export const PROVIDER_KEY_VARIABLES = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "TOGETHER_API_KEY", "VLLM_BASE_URL", "OLLAMA_BASE_URL"] as const;

const WELL_KNOWN_HOSTS: Record<string, ProviderId> = {
  "api.openai.com": "openai",
  "api.together.xyz": "together",
  "openrouter.ai": "openrouter",
};

/**
 * The provider an OpenAI-compatible base URL belongs to: a configured provider with that base URL, or
 * a well-known host. A fine-tuned model is served by the provider that trained it, so this names it.
 */
export function providerForBaseUrl(baseUrl: string, providers: ProviderTable): ProviderId | null {
  const norm = (u: string) => {
    try {
      const x = new URL(u);
      return `${x.protocol}//${x.host.toLowerCase()}${trimSlash(x.pathname)}`;
    } catch {
      return trimSlash(u);
    }
  };
  const wanted = norm(baseUrl);
  for (const id of PROVIDER_IDS) {
    const cfg = providers[id];
    if (cfg && PROVIDERS[id].protocol === "openai" && norm(cfg.baseURL) === wanted) return id;
  }
  try {
    return WELL_KNOWN_HOSTS[new URL(baseUrl).hostname.toLowerCase()] ?? null;
  } catch {
    return null;
  }
}
