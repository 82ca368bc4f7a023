/**
 * Evaluators: what public.evaluators.config holds, and the deterministic ones themselves (pure). An
 * LLM judge is run by the worker (worker/src/features/experiment), through the A/B worker's pairwise
 * judge, in both orders.
 *
 * Every score is a number in [0, 1] (1 = passes / as good as the reference), except a judge's, which is
 * a de-biased preference in [-1, 1]; null means "cannot be scored here" (no expected answer, an error).
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

export const LlmJudgeConfig = z
  .object({
    /**
     * pairwise: the variant's answer against the baseline variant's (the baseline scores 0);
     * reference: the variant's answer against the item's expected answer.
     */
    mode: z.enum(["pairwise", "reference"]).default("pairwise"),
    rubric: z.string().max(4000).default(""),
    /** Default: the experiment's judgeModel, else the route's strong model. */
    model: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type LlmJudgeConfig = z.infer<typeof LlmJudgeConfig>;

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
    return c.success ? `LLM judge (${c.data.mode === "pairwise" ? "vs baseline" : "vs expected"}, both orders)` : "LLM judge";
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
