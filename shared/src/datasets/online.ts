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
  /**
   * The spend guard of an LLM judge on live traffic, per rule and UTC day: a rule's own cap on judge
   * calls (online_evaluators.judge_calls_per_day) defaults to and is at most these many calls, and no
   * rule spends more than maxJudgeCostUsdPerRuleDay. Samples past either are stored unscored with the
   * reason (online_eval_results.details.skipped), never judged and never silently dropped.
   */
  defaultJudgeCallsPerRuleDay: 200,
  maxJudgeCallsPerRuleDay: 2000,
  maxJudgeCostUsdPerRuleDay: 5,
} as const;

/** The function name the online evaluation's judge calls are logged under (excluded, twice over). */
export const ONLINE_JUDGE_FUNCTION = "worker:online-eval:judge";

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
    /** LLM judges only: the rule's daily cap on judge calls (the spend guard). */
    judgeCallsPerDay: z.number().int().min(1).max(ONLINE_EVAL_LIMITS.maxJudgeCallsPerRuleDay).default(ONLINE_EVAL_LIMITS.defaultJudgeCallsPerRuleDay),
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
