/** Contracts of the prompt functions (create, save a version, promote through the gate, roll back). */
import { z } from "zod";
import type { Tables } from "../database.types.ts";
import { EvalSet, PRIMARY_METRICS } from "../jobs/config.ts";

export type PromptRow = Tables<"prompts">;
export type PromptVersionRow = Tables<"prompt_versions">;

export const PROMPT_SLUG_RULE = "Use 2 to 63 lowercase letters, digits and dashes, starting with a letter or digit";

export const CreatePromptRequest = z.object({
  orgId: z.string().uuid(),
  slug: z.string().trim().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, PROMPT_SLUG_RULE),
  description: z.string().trim().max(2000).default(""),
});
export type CreatePromptResponse = { prompt: PromptRow };

export const PromptVariable = z.object({
  name: z.string().trim().min(1).max(64),
  type: z.enum(["string", "number", "boolean", "json"]),
  required: z.boolean().optional(),
  description: z.string().max(500).optional(),
});
export type PromptVariable = z.infer<typeof PromptVariable>;

export const SavePromptVersionRequest = z.object({
  promptId: z.string().uuid(),
  template: z.string().min(1, "The template is empty").max(50_000, "The template is limited to 50,000 characters"),
  systemTemplate: z.string().max(50_000, "The system template is limited to 50,000 characters").default(""),
  variables: z.array(PromptVariable).max(50).default([]),
  model: z.string().trim().min(1).max(200),
  params: z
    .record(z.string(), z.unknown())
    .refine((p) => JSON.stringify(p).length <= 4000, "Params are limited to 4,000 characters")
    .default({}),
  parentVersionId: z.string().uuid().optional(),
  status: z.enum(["draft", "candidate"]).default("draft"),
  /** Links the optimization session whose final prompt this version came from. */
  sessionId: z.string().uuid().optional(),
});
export type SavePromptVersionResponse = { version: PromptVersionRow };

export const PromotePromptRequest = z.object({
  versionId: z.string().uuid(),
  /** The candidate must beat production by more than this on the primary metric (judge score in [-1, 1]). */
  margin: z.number().min(0).max(1).optional(),
  minSamples: z.number().int().min(2).max(5000).optional(),
  alpha: z.number().gt(0).max(0.5).optional(),
  primaryMetric: z.enum(PRIMARY_METRICS).optional(),
  /** Default: the organization's approved training examples (up to 200, a seeded sample). */
  evalSet: EvalSet.optional(),
});
/** 202: the gate runs as an A/B job; the job's result says whether it promoted. */
export type PromotePromptResponse = {
  jobId: string;
  job: Tables<"jobs">;
  baseline: { versionId: string; version: number } | null;
  warnings: string[];
};

export const RollbackPromptRequest = z.object({
  promptId: z.string().uuid(),
  /** The earlier production version to restore; omitted = the one the current production version replaced. */
  versionId: z.string().uuid().optional(),
  reason: z.string().trim().max(500).optional(),
});
export type RollbackPromptResponse = { version: PromptVersionRow; previous: PromptVersionRow | null };

/**
 * Human preference as gate evidence: the final preferences of a review queue over an A/B evaluation's
 * items (shared/src/review/preference.ts). B (a candidate prompt version) is promoted when its human win
 * rate's CI lower bound clears 0.5 + margin / 2 over at least minSamples items.
 */
export const PromoteFromReviewRequest = z.object({
  queueId: z.string().uuid(),
  margin: z.number().min(0).max(1).optional(),
  minSamples: z.number().int().min(2).max(5000).optional(),
});
export type PromoteFromReviewResponse = {
  promoted: boolean;
  versionId: string;
  reasons: string[];
  evidence: { queue_id: string; job_id: string; rubric_id: string; n: number; wins: number; losses: number; ties: number; rate: number; lower: number; upper: number; level: number; threshold: number; margin: number; min_samples: number; summary: string };
};
