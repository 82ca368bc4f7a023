/** Contracts of the datasets functions: trying an evaluator configuration before it is saved. */
import { z } from "zod";
import { DeterministicCheck, LlmJudgeConfig } from "../datasets/evaluators.ts";

/** At most this many items per try: a try shows what the evaluator does, it is not an experiment. */
export const TRY_EVALUATOR_MAX_ITEMS = 5;

export const TryEvaluatorRequest = z
  .object({
    datasetVersionId: z.string().uuid(),
    evaluator: z.union([
      z.object({ kind: z.literal("deterministic"), config: DeterministicCheck }).strict(),
      z.object({ kind: z.literal("llm_judge"), config: LlmJudgeConfig }).strict(),
    ]),
    /**
     * Whose outputs are scored: this experiment's (it must have run on the version), the variant's
     * (default: the first that is not the baseline), judged pairwise against the baseline's. Without it,
     * each item's logged answer (metadata.response, as datasets built from the inbox keep it).
     */
    experimentId: z.string().uuid().optional(),
    variant: z.number().int().min(0).max(99).optional(),
    limit: z.number().int().min(1).max(TRY_EVALUATOR_MAX_ITEMS).default(TRY_EVALUATOR_MAX_ITEMS),
  })
  .strict();
export type TryEvaluatorRequest = z.infer<typeof TryEvaluatorRequest>;

export type TryEvaluatorItem = {
  itemId: string;
  position: number;
  query: string;
  expected: string | null;
  /** The output scored; null: the item has none (then the score is null and `note` says why). */
  output: string | null;
  /** What a judge compared the output with (the baseline's output, or the expected answer). */
  against: string | null;
  /** As the experiment worker would store it: [0, 1] (a rubric judge's normalized), a pairwise/reference judge's [-1, 1], null when it cannot be scored. */
  score: number | null;
  /** A rubric judge's value on its scale (score = (raw - min) / (max - min)), its label and reason. */
  judgement?: { raw: number; label: string | null; reason: string; usedReference: boolean };
  /** A judge's two verdicts (A/B, then swapped). */
  verdicts?: Array<{ order: "AB" | "BA"; winner: "A" | "B" | "tie"; reason: string }>;
  note?: string;
};
export type TryEvaluatorResponse = {
  outputsFrom: { kind: "experiment"; experimentId: string; variant: number; label: string; baseline: number } | { kind: "logged" };
  items: TryEvaluatorItem[];
};
