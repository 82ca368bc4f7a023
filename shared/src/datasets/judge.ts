/**
 * The LLM judge's request and score, shared by everything that judges with it: the A/B worker, the
 * experiment worker and the try-evaluator function build the same prompt (the organization's live
 * `judge-pairwise` version when there is one, else the built-in) and score two calls the same way.
 */
import { buildJudgePairwisePrompt } from "../llm/offline-protocol.ts";
import { renderPrompt, type LivePrompt } from "../prompts/live.ts";

export type JudgeItem = { query: string; reference: string | null };

/** The judge's request for `first` as A and `second` as B. */
export function judgeRequestParts(live: LivePrompt, item: JudgeItem, first: string, second: string, rubric?: string | null) {
  const builtIn = buildJudgePairwisePrompt({ query: item.query, answerA: first, answerB: second, reference: item.reference, rubric: rubric || null });
  if (!(live.versionId && live.parts)) return builtIn;
  const { system, user } = renderPrompt(live.parts, { query: item.query, answer_a: first, answer_b: second, reference: item.reference ?? "" });
  return { ...builtIn, system: system || builtIn.system, messages: [{ role: "user" as const, content: user }] };
}

/**
 * B's score against A from the two orders: +1 when both calls prefer B, -1 when both prefer A, 0 for a
 * tie or a judge that only favours a position.
 */
export function debiasedJudgeScore(ab: "A" | "B" | "tie", ba: "A" | "B" | "tie"): number {
  const first = ab === "B" ? 1 : ab === "A" ? -1 : 0;
  // In the swapped call, "A" is variant B's answer.
  const second = ba === "A" ? 1 : ba === "B" ? -1 : 0;
  return (first + second) / 2;
}
