/**
 * Online evaluation: an evaluator attached to live traffic (public.online_evaluators). The limits are
 * this file's; the database enforces the same numbers (private.online_eval_limits(), asserted equal by
 * tests/datasets/online-eval.db.test.ts).
 */
import { z } from "zod";

export const ONLINE_EVAL_LIMITS = {
  /** A sampling rate is a share of matching requests, 0..1 (1 = every one). */
  maxSamplingRate: 1,
  /** Enabled rules per organization: every ai_requests insert loops over them, so they are few. */
  maxEnabledRulesPerOrg: 10,
  /** Characters of a sampled call's input and output kept for the evaluator. */
  maxTextChars: 8000,
} as const;

/**
 * Calls an online evaluator never samples: LLM judges (an evaluator's own calls, whichever worker makes
 * them) and the online evaluation task itself, so scoring never feeds on its own traffic. The trigger's
 * copy is private.online_eval_excluded().
 */
export function isExcludedFromOnlineEval(functionName: string): boolean {
  return functionName.includes("judge") || functionName.startsWith("worker:online-eval");
}

export const OnlineEvaluatorInput = z
  .object({
    evaluatorId: z.string().uuid(),
    samplingRate: z.number().min(0).max(ONLINE_EVAL_LIMITS.maxSamplingRate),
    functionName: z.string().trim().min(1).max(200).nullable().default(null),
    promptVersionId: z.string().uuid().nullable().default(null),
    model: z.string().trim().min(1).max(200).nullable().default(null),
  })
  .strict();
export type OnlineEvaluatorInput = z.input<typeof OnlineEvaluatorInput>;

/** "any function · model offline-fast-1" for lists. */
export function describeFilters(r: { function_name: string | null; prompt_version_id: string | null; model: string | null }): string {
  const parts = [
    r.function_name ? `function ${r.function_name}` : null,
    r.prompt_version_id ? `prompt version ${r.prompt_version_id.slice(0, 8)}` : null,
    r.model ? `model ${r.model}` : null,
  ].filter(Boolean);
  return parts.length ? parts.join(" · ") : "all live traffic";
}
