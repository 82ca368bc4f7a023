/**
 * Evaluators: what public.evaluators.config holds, and the deterministic ones themselves (pure). An
 * LLM judge is run by the worker (worker/src/features/experiment, online-eval) and by try-evaluator:
 * pairwise and reference judges through the A/B worker's pairwise judge, in both orders; a rubric judge
 * through the review queues' judge-rubric prompt (rubric-judge.ts), once per output.
 *
 * Every score is a number in [0, 1] (1 = passes / as good as the reference), except a pairwise or
 * reference judge's, which is a de-biased preference in [-1, 1]; null means "cannot be scored here"
 * (no expected answer, an error, a judge answer that is not on the scale).
 * A rubric judge's score is its value on the scale normalized to [0, 1]: (value - min) / (max - min), so
 * it averages, trends and alerts like a deterministic check; the raw value, its label and the judge's
 * reason are kept next to it (online_eval_results.details, experiment_results.score_details, the try-out's items).
 */
import { z } from "zod";
import { rougeL, tokenF1 } from "../stats/text.ts";

export const DeterministicCheck = z.discriminatedUnion("type", [
  z.object({ type: z.literal("exact_match"), caseSensitive: z.boolean().default(false) }).strict(),
  /** The output contains `value`, or (without it) the expected answer. */
  z.object({ type: z.literal("contains"), value: z.string().min(1).max(2000).optional(), caseSensitive: z.boolean().default(false) }).strict(),
  z
    .object({ type: z.literal("regex"), pattern: z.string().min(1).max(2000), flags: z.string().regex(/^[imsu]*$/).default("") })
    .strict()
    .refine((c) => validRegex(c.pattern, c.flags), { message: "not a valid regular expression", path: ["pattern"] }),
  /** The output is JSON (optionally an object with these keys). */
  z.object({ type: z.literal("json_valid"), requiredKeys: z.array(z.string().min(1).max(200)).max(50).default([]) }).strict(),
  z.object({ type: z.literal("token_f1") }).strict(),
  z.object({ type: z.literal("rouge_l") }).strict(),
  /** Length in characters within [min, max]. */
  z.object({ type: z.literal("length"), min: z.number().int().min(0).default(0), max: z.number().int().min(1).optional() }).strict(),
  z.object({ type: z.literal("latency"), maxMs: z.number().int().min(1) }).strict(),
  z.object({ type: z.literal("cost"), maxUsd: z.number().positive() }).strict(),
]);
export type DeterministicCheck = z.infer<typeof DeterministicCheck>;
export const DETERMINISTIC_TYPES = ["exact_match", "contains", "regex", "json_valid", "token_f1", "rouge_l", "length", "latency", "cost"] as const;

/** Bounds of a rubric judge's scale: a handful of points a judge can tell apart, as people rate. */
export const RUBRIC_SCALE_LIMITS = { minValue: -100, maxValue: 100, maxLabels: 21 } as const;

/**
 * A rubric judge's scale: a value from min to max (in steps of `step`, default 1). With labels, the judge
 * picks one of the labelled points (an ordinal scale, e.g. 1 "wrong" … 5 "complete"); min and max still
 * bound it and are what the score is normalized by.
 */
export const RubricJudgeScale = z
  .object({
    min: z.number().int().min(RUBRIC_SCALE_LIMITS.minValue).max(RUBRIC_SCALE_LIMITS.maxValue),
    max: z.number().int().min(RUBRIC_SCALE_LIMITS.minValue).max(RUBRIC_SCALE_LIMITS.maxValue),
    step: z.number().positive().max(200).optional(),
    labels: z
      .array(z.object({ value: z.number().finite(), label: z.string().trim().min(1).max(200) }).strict())
      .max(RUBRIC_SCALE_LIMITS.maxLabels)
      .default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.max <= s.min) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "max must be greater than min", path: ["max"] });
    if (s.step !== undefined && s.step > s.max - s.min) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "step is larger than the scale", path: ["step"] });
    const seen = new Set<number>();
    s.labels.forEach((l, i) => {
      if (l.value < s.min || l.value > s.max) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `label value ${l.value} is outside ${s.min}..${s.max}`, path: ["labels", i, "value"] });
      if (seen.has(l.value)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `two labels for ${l.value}`, path: ["labels", i, "value"] });
      seen.add(l.value);
    });
    if (s.labels.length === 1) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "label at least two points, or none", path: ["labels"] });
  });
export type RubricJudgeScale = z.infer<typeof RubricJudgeScale>;

export const LLM_JUDGE_MODES = ["pairwise", "reference", "rubric"] as const;

export const LlmJudgeConfig = z
  .object({
    /**
     * pairwise: the variant's answer against the baseline variant's (the baseline scores 0);
     * reference: the variant's answer against the item's expected answer;
     * rubric: the answer alone, scored on `scale` by the rubric (pointwise; needs neither, so it also
     * runs on live traffic).
     */
    mode: z.enum(LLM_JUDGE_MODES).default("pairwise"),
    /** What to judge, in the judge's words; required for a rubric judge. */
    rubric: z.string().max(4000).default(""),
    /** Default: the experiment's judgeModel, else the route's strong model. */
    model: z.string().trim().min(1).max(200).optional(),
    /** A rubric judge's scale (rubric mode only). */
    scale: RubricJudgeScale.optional(),
    /** A rubric judge also sees the item's expected answer when it has one (live traffic has none). */
    useReference: z.boolean().default(true),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === "rubric") {
      if (!c.rubric.trim()) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "a rubric judge needs the rubric text", path: ["rubric"] });
      if (!c.scale) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "a rubric judge needs a scale (min, max, optional labels)", path: ["scale"] });
    } else if (c.scale) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "a scale is for rubric judges only", path: ["scale"] });
    }
  });
export type LlmJudgeConfig = z.infer<typeof LlmJudgeConfig>;
export type RubricJudgeConfig = LlmJudgeConfig & { mode: "rubric"; scale: RubricJudgeScale };

/** Whether an evaluator can score live traffic (no expected answer, no baseline there). */
export function runsOnLiveTraffic(e: { kind: string; config: unknown }): boolean {
  if (e.kind === "deterministic") return true;
  if (e.kind !== "llm_judge") return false;
  const c = LlmJudgeConfig.safeParse(e.config ?? {});
  return c.success && c.data.mode === "rubric";
}

export const EVALUATOR_KINDS = ["deterministic", "llm_judge"] as const;
export type EvaluatorKind = (typeof EVALUATOR_KINDS)[number];

export type EvaluatorRow = { id: string; name: string; version: number; kind: string; config: unknown };
export type Evaluator =
  | { id: string; name: string; version: number; kind: "deterministic"; config: DeterministicCheck }
  | { id: string; name: string; version: number; kind: "llm_judge"; config: LlmJudgeConfig };

/** Validates a stored row; throws with the field at fault. */
export function parseEvaluator(row: EvaluatorRow): Evaluator {
  if (row.kind === "deterministic") return { id: row.id, name: row.name, version: row.version, kind: "deterministic", config: DeterministicCheck.parse(row.config) };
  if (row.kind === "llm_judge") return { id: row.id, name: row.name, version: row.version, kind: "llm_judge", config: LlmJudgeConfig.parse(row.config ?? {}) };
  throw new Error(`Unknown evaluator kind ${row.kind}`);
}

function validRegex(pattern: string, flags: string): boolean {
  try {
    new RegExp(pattern, flags);
    return true;
  } catch {
    return false;
  }
}

export type Scored = { output: string; expected: string | null; latencyMs: number | null; costUsd: number | null };

const fold = (s: string, caseSensitive: boolean) => {
  const t = s.trim().replace(/\s+/g, " ");
  return caseSensitive ? t : t.toLowerCase();
};

/** One deterministic check on one output. Pure. */
export function runDeterministic(check: DeterministicCheck, x: Scored): number | null {
  switch (check.type) {
    case "exact_match":
      return x.expected === null ? null : Number(fold(x.output, check.caseSensitive) === fold(x.expected, check.caseSensitive));
    case "contains": {
      const needle = check.value ?? x.expected;
      if (needle === null || needle === undefined) return null;
      return Number(fold(x.output, check.caseSensitive).includes(fold(needle, check.caseSensitive)));
    }
    case "regex":
      return Number(new RegExp(check.pattern, check.flags).test(x.output));
    case "json_valid": {
      let v: unknown;
      try {
        v = JSON.parse(x.output.trim().replace(/^```(?:json)?\s*|\s*```$/g, ""));
      } catch {
        return 0;
      }
      if (!check.requiredKeys.length) return 1;
      return Number(!!v && typeof v === "object" && !Array.isArray(v) && check.requiredKeys.every((k) => k in (v as object)));
    }
    case "token_f1":
      return x.expected === null ? null : tokenF1(x.output, x.expected);
    case "rouge_l":
      return x.expected === null ? null : rougeL(x.output, x.expected);
    case "length": {
      const n = x.output.length;
      return Number(n >= check.min && (check.max === undefined || n <= check.max));
    }
    case "latency":
      return x.latencyMs === null ? null : Number(x.latencyMs <= check.maxMs);
    case "cost":
      return x.costUsd === null ? null : Number(x.costUsd <= check.maxUsd);
  }
}

/** A short description for lists ("ROUGE-L vs expected", "regex /\d+/"). */
export function describeEvaluator(e: { kind: string; config: unknown }): string {
  if (e.kind === "llm_judge") {
    const c = LlmJudgeConfig.safeParse(e.config ?? {});
    if (!c.success) return "LLM judge";
    if (c.data.mode === "rubric") {
      const sc = c.data.scale!;
      return `LLM rubric judge (${sc.min}–${sc.max}${sc.labels.length ? `, ${sc.labels.length} labels` : ""}${c.data.useReference ? ", uses expected when present" : ""})`;
    }
    return `LLM judge (${c.data.mode === "pairwise" ? "vs baseline" : "vs expected"}, both orders)`;
  }
  const c = DeterministicCheck.safeParse(e.config);
  if (!c.success) return "invalid configuration";
  const d = c.data;
  switch (d.type) {
    case "exact_match": return "exact match with expected";
    case "contains": return d.value ? `contains "${d.value}"` : "contains expected";
    case "regex": return `regex /${d.pattern}/${d.flags}`;
    case "json_valid": return d.requiredKeys.length ? `JSON with ${d.requiredKeys.join(", ")}` : "valid JSON";
    case "token_f1": return "token F1 vs expected";
    case "rouge_l": return "ROUGE-L vs expected";
    case "length": return `length ${d.min}–${d.max ?? "∞"} chars`;
    case "latency": return `latency ≤ ${d.maxMs} ms`;
    case "cost": return `cost ≤ $${d.maxUsd}`;
  }
}
