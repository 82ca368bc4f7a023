/**
 * The pointwise rubric judge of evaluators (LlmJudgeConfig mode "rubric"): one output, one rubric, one
 * value on the evaluator's scale. It is the review queues' judge: the same `judge-rubric` prompt (the
 * organization's production version, else the built-in one, rendered by prompts/live.ts), the same
 * answer shape and the same validation of the value against the scale (llm/offline-protocol.ts). The
 * experiment worker, the online evaluation worker and the try-evaluator function all call
 * `judgeWithRubric` with their own LLM client, so one output gets the same prompt and score everywhere.
 */
import { isLlmError, LlmError } from "../llm/errors.ts";
import { JudgeRubricVerdict, judgeRubricValues, parseJsonOutput, rubricValue, type RubricScale } from "../llm/offline-protocol.ts";
import { renderPrompt, type LivePrompt } from "../prompts/live.ts";
import type { RubricJudgeConfig, RubricJudgeScale } from "./evaluators.ts";

export type RubricJudgeItem = { query: string; output: string; expected: string | null };

export type RubricJudgement = {
  /** The raw value normalized to [0, 1]: (raw - min) / (max - min). */
  score: number;
  /** The value the judge gave, on the evaluator's scale. */
  raw: number;
  /** The raw value's label, when the scale has labels. */
  label: string | null;
  reason: string;
  /** Whether the judge saw the item's expected answer. */
  usedReference: boolean;
};

/** The evaluator's scale as the judge-rubric prompt states it: labelled points, else numbers in steps. */
export function rubricJudgeScale(s: RubricJudgeScale): RubricScale {
  if (s.labels.length) return { kind: "ordinal", levels: [...s.labels].sort((a, b) => a.value - b.value) };
  return { kind: "numeric", min: s.min, max: s.max, step: s.step ?? 1 };
}

export function normalizeRubricScore(s: Pick<RubricJudgeScale, "min" | "max">, raw: number): number {
  return Math.min(1, Math.max(0, (raw - s.min) / (s.max - s.min)));
}

/**
 * The judge-rubric request for one output. The rubric text is the prompt's rubric description; the
 * expected answer, when used, goes inside it too, so every version of an organization's judge-rubric
 * prompt (which may declare no reference variable) carries it.
 */
export function rubricJudgeRequest(live: LivePrompt, name: string, config: RubricJudgeConfig, item: RubricJudgeItem) {
  if (!live.parts) throw new LlmError("llm_not_configured", "The judge-rubric prompt has no template");
  const usedReference = config.useReference && !!item.expected?.trim();
  const description = usedReference
    ? `${config.rubric.trim()}\n\nA reference answer to this question (what a good answer says; judge the answer against it):\n${item.expected!.trim()}`
    : config.rubric.trim();
  const values = judgeRubricValues({ query: item.query, answer: item.output, rubricName: name, rubricDescription: description, scale: rubricJudgeScale(config.scale) });
  const { system, user } = renderPrompt(live.parts, values);
  return { system, user, maxTokens: Number(live.params.max_tokens ?? 300), usedReference };
}

/** A judge's answer as a judgement; an answer that is not the JSON asked for or not on the scale is llm_bad_output. */
export function parseRubricJudgeAnswer(config: RubricJudgeConfig, text: string, usedReference = false): RubricJudgement {
  const v = parseJsonOutput(JudgeRubricVerdict, text);
  const scale = rubricJudgeScale(config.scale);
  const value = rubricValue(scale, v.value);
  if (typeof value !== "number") {
    throw new LlmError("llm_bad_output", `The judge's value ${JSON.stringify(v.value)} is not on the scale (${config.scale.labels.length ? `one of ${config.scale.labels.map((l) => l.value).join(", ")}` : `${config.scale.min}..${config.scale.max}`})`);
  }
  return {
    score: normalizeRubricScore(config.scale, value),
    raw: value,
    label: config.scale.labels.find((l) => l.value === value)?.label ?? null,
    reason: v.reason.slice(0, 2000),
    usedReference,
  };
}

export type RubricJudgeCall = (req: { system: string; user: string; maxTokens: number; attempt: number }) => Promise<{ text: string }>;

/**
 * Judges one output: the request, the caller's LLM call, the parse; an answer off the scale is asked
 * once more, then it is the caller's llm_bad_output (stored as a null score with the reason). Provider
 * errors propagate unchanged, for the caller's retry policy.
 */
export async function judgeWithRubric(call: RubricJudgeCall, live: LivePrompt, name: string, config: RubricJudgeConfig, item: RubricJudgeItem): Promise<RubricJudgement> {
  const req = rubricJudgeRequest(live, name, config, item);
  for (let attempt = 1; ; attempt++) {
    const r = await call({ system: req.system, user: req.user, maxTokens: req.maxTokens, attempt });
    try {
      return parseRubricJudgeAnswer(config, r.text, req.usedReference);
    } catch (err) {
      if (attempt >= 2 || !isLlmError(err) || err.code !== "llm_bad_output") throw err;
    }
  }
}
