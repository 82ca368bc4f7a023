import { z } from "zod";

// One env schema for every function, parsed once per isolate; a missing secret is a clear 500, not a crash loop.
const schema = z.object({
  SUPABASE_URL: z.string().url(),
  SUPABASE_ANON_KEY: z.string().min(1),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1),
  // LLM providers (shared/src/llm/providers.ts): a model reference's prefix picks one; each needs its key.
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  OPENROUTER_API_KEY: z.string().optional(),
  TOGETHER_API_KEY: z.string().optional(),
  VLLM_BASE_URL: z.string().url().optional(),
  VLLM_API_KEY: z.string().optional(),
  OLLAMA_BASE_URL: z.string().url().optional(),
  /** The gateway's dev LLM; by default `${SUPABASE_URL}/llm`, and only when SUPABASE_URL is local. */
  LLM_OFFLINE_BASE_URL: z.string().url().optional(),
  /** Older name: Anthropic's base URL with ANTHROPIC_API_KEY, else the dev LLM's. */
  LLM_BASE_URL: z.string().url().optional(),
  LLM_FAST_MODEL: z.string().optional(),
  LLM_STRONG_MODEL: z.string().optional(),
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  LANGFUSE_PUBLIC_KEY: z.string().optional(),
  LANGFUSE_SECRET_KEY: z.string().optional(),
  LANGFUSE_HOST: z.string().url().optional(),
  LANGFUSE_BASE_URL: z.string().url().optional(),
});

export type FunctionEnv = z.infer<typeof schema>;
let cached: FunctionEnv | undefined;

export function env(): FunctionEnv {
  if (cached) return cached;
  // An empty secret (`FOO=`) means "not set", not "invalid".
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(Deno.env.toObject()).filter(([, v]) => v !== "")));
  if (!parsed.success) {
    throw new Error(`Function environment is incomplete: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
  }
  cached = parsed.data;
  return cached;
}
