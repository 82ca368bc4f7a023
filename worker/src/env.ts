import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** The worker's whole configuration, parsed once at start (src/main.ts) and passed down; handlers never read process.env. */
export const workerEnvSchema = z.object({
  DATABASE_URL: z.string().url("DATABASE_URL must be a postgres:// URL"),
  SUPABASE_URL: z.string().url().optional(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  WORKER_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  WORKER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** First retry delay; doubles per attempt up to WORKER_BACKOFF_MAX_MS, with jitter. */
  WORKER_BACKOFF_BASE_MS: z.coerce.number().int().min(0).default(2_000),
  WORKER_BACKOFF_MAX_MS: z.coerce.number().int().min(0).default(300_000),
  /** Fallback poll when no NOTIFY arrives (lost notification, pooler without LISTEN). */
  WORKER_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  /**
   * How DATABASE_URL reaches Postgres: `direct`, Supabase's `session` pooler, or its `transaction` pooler
   * (prepared statements and LISTEN off; the worker polls). Unset: guessed from the URL (src/db.ts).
   */
  WORKER_DB_POOLER: z.enum(["direct", "session", "transaction"]).optional(),
  /** How long SIGTERM waits for running jobs before handing them back to the queue. */
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(20_000),
  WORKER_ID: z.string().min(1).max(120).optional(),
  /** Comma-separated task names this process runs (default: all it knows). */
  WORKER_TASKS: z.string().optional(),
  WORKER_SCHEDULER: bool.default(true),
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
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** Evaluation calls per minute across one job (rate limits); concurrency bounds the rest. */
  LLM_REQUESTS_PER_MINUTE: z.coerce.number().int().positive().default(600),
  FINE_TUNE_API_BASE_URL: z.string().url().optional(),
  FINE_TUNE_API_KEY: z.string().optional(),
  FINE_TUNE_POLL_MS: z.coerce.number().int().min(10).default(10_000),
  ML_MIN_SAMPLES_FOR_RETRAIN: z.coerce.number().int().min(1).default(50),
  DRIFT_PSI_THRESHOLD: z.coerce.number().positive().default(0.3),
  /** How often each organization's drift job is scheduled. */
  DRIFT_INTERVAL_MS: z.coerce.number().int().min(60_000).default(86_400_000),
  /** Document upkeep folds a document's update log into a snapshot once its tail has more rows than this… */
  DOC_COMPACT_MAX_TAIL_UPDATES: z.coerce.number().int().min(0).default(200),
  /** …or more bytes than this. */
  DOC_COMPACT_MAX_TAIL_BYTES: z.coerce.number().int().min(0).default(512 * 1024),
  /** How often every organization's alert rules are evaluated (once across all workers). */
  ALERTS_INTERVAL_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** How often each organization's feedback themes are recomputed. */
  THEMES_INTERVAL_MS: z.coerce.number().int().min(60_000).default(86_400_000),
  /** An OpenAI-compatible embeddings model for themes (with OPENAI_API_KEY/OPENAI_BASE_URL); unset: the local embedding. */
  EMBEDDINGS_MODEL: z.string().min(1).optional(),
  /** Alert emails: an SMTP URL (smtp://user:pass@host:587, smtps://…); locally the mail catcher's. */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, "SMTP_URL must be smtp:// or smtps://").optional(),
  ALERT_EMAIL_FROM: z.string().min(3).default("Review alerts <alerts@review.local>"),
  /** A webhook receiver that does not answer within this is a failed attempt (retried later). */
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export function parseWorkerEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  // Empty strings (`FOO=` in a .env) mean "not set", not "invalid".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = workerEnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid worker environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
