import fs from "node:fs";
import path from "node:path";
import { createLogger, freePort, startStack, type Stack, type StackOptions } from "@review/local-supabase";
import { closeSql } from "./stack.ts";
import { productKnowledge } from "../../dev/llm-knowledge.ts";

/**
 * Auth rate limits no suite's own traffic meets (every test signs users in, all from 127.0.0.1). The
 * limits themselves are tested on a stack of their own (tests/platform/auth-rate-limits.db.test.ts).
 */
export const GENEROUS_AUTH_LIMITS: NonNullable<StackOptions["authRateLimits"]> = {
  emailSent: 100_000,
  signInSignUps: 100_000,
  tokenRefresh: 100_000,
  tokenVerifications: 100_000,
  anonymousUsers: 100_000,
};

/**
 * A stack of the suite's own, for suites that must not share the run's database: ones that run
 * workers (which claim every queued job they see) or that need a different function environment.
 */
export async function startOwnStack(label: string, env: StackOptions["env"] = {}, options: Pick<StackOptions, "restFastPath" | "authRateLimits"> = {}): Promise<Stack & { dispose(): Promise<void> }> {
  const runs = path.resolve(import.meta.dirname, "..", "..", ".data", "test-runs");
  fs.mkdirSync(runs, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(runs, `${label}-`));
  // OWN_STACK_LOG=warn (or info, debug) shows what the stack itself logs, e.g. Postgres's supervisor in a fault test.
  const level = (process.env.OWN_STACK_LOG ?? "error") as Parameters<typeof createLogger>[1];
  const stack = await startStack({ llmKnowledge: productKnowledge, dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger(label, level), env, ...options, authRateLimits: options.authRateLimits ?? GENEROUS_AUTH_LIMITS });
  return {
    ...stack,
    async dispose() {
      await closeSql(stack);
      await stack.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
