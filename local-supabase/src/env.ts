import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** Repository root: everything the embedded default reads (supabase/, edge-functions/) is relative to it. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const envSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  LOCAL_SUPABASE_DATA_DIR: z.string().optional(),
  LOCAL_SUPABASE_API_PORT: z.coerce.number().int().min(0).max(65535).default(54321),
  LOCAL_SUPABASE_DB_PORT: z.coerce.number().int().min(1).max(65535).default(54322),
  /** The mail catcher's port; default `[inbucket] port` in supabase/config.toml (54324), 0 for a free one. */
  LOCAL_SUPABASE_MAIL_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LOCAL_SUPABASE_HOST: z.string().default("127.0.0.1"),
  JWT_SECRET: z.string().min(32, "JWT_SECRET must be at least 32 characters").optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  /** `off` sends every REST request through lite (to compare, or to rule the fast path out). */
  LOCAL_SUPABASE_REST_FAST: z.enum(["on", "off"]).default("on"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

export type LocalEnv = z.infer<typeof envSchema>;

/** Parsed once at start; a bad value stops the process with a sentence, not a stack. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): LocalEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
