/**
 * Job configurations (jobs.config) as zod schemas, shared by the functions that start jobs (input
 * validation, 400 with field errors) and the worker that runs them (a malformed row fails the job with a
 * clear message instead of crashing anything). Isomorphic: zod only.
 */
import { z } from "zod";

const tag = z.string().trim().min(1).max(60);
const uuid = z.string().uuid();

export const TRAINERS = ["local", "openai"] as const;

export const FineTuneConfig = z.object({
  /** Which approved training examples: those carrying any of these tags; empty = all of the org's. */
  tags: z.array(tag).max(20).default([]),
  trainer: z.enum(TRAINERS).default("local"),
  /** Base model the fine-tune starts from (the local trainer records it; the OpenAI-compatible API trains it). */
  baseModel: z.string().trim().min(1).max(200).default("offline-strong-1"),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
  validationFraction: z.number().min(0.05).max(0.5).default(0.2),
  minSamples: z.number().int().min(2).max(100_000).default(10),
  /** Longest example (system + question + answer), in estimated tokens; longer ones are left out. */
  maxTokensPerExample: z.number().int().min(16).max(128_000).default(4096),
  /** Cap on examples used (newest first), to bound cost. */
  maxExamples: z.number().int().min(2).max(100_000).default(5000),
  systemPrompt: z.string().max(20_000).default(""),
  /** Also score the base model on the validation split, so the gain is visible on the result. */
  compareBaseline: z.boolean().default(true),
  evalConcurrency: z.number().int().min(1).max(64).default(4),
  hyperparameters: z
    .object({ n_epochs: z.number().int().min(1).max(50).optional(), learning_rate_multiplier: z.number().positive().max(10).optional(), batch_size: z.number().int().min(1).max(256).optional() })
    .strict()
    .default({}),
});
export type FineTuneConfig = z.infer<typeof FineTuneConfig>;

/**
 * One side of an A/B test: a prompt version, a model, a prompt version run on another model, or `live`:
 * whatever production serves for that prompt (slug) when the evaluation runs, resolved exactly as the
 * call sites resolve it.
 */
export const Variant = z
  .object({
    promptVersionId: uuid.optional(),
    live: z.string().trim().regex(/^[a-z0-9][a-z0-9-]{1,62}$/).optional(),
    model: z.string().trim().min(1).max(200).optional(),
    label: z.string().trim().max(80).optional(),
  })
  .strict()
  .refine((v) => v.promptVersionId || v.model || v.live, { message: "Give a promptVersionId, a live prompt, a model, or a version and a model" })
  .refine((v) => !(v.promptVersionId && v.live), { message: "Give either a promptVersionId or a live prompt, not both" });
export type Variant = z.infer<typeof Variant>;

export const EvalItem = z
  .object({
    query: z.string().min(1).max(20_000),
    reference: z.string().max(50_000).optional(),
    /** The answer being improved, for prompts that take one (suggest-answer's {{bad_answer}}). */
    badAnswer: z.string().max(50_000).optional(),
  })
  .strict();

export const EvalSet = z.discriminatedUnion("source", [
  z
    .object({
      source: z.literal("training_examples"),
      tags: z.array(tag).max(20).default([]),
      /** Use exactly the validation split held out by this fine-tune job (never seen by its model). */
      holdoutOfJobId: uuid.optional(),
      limit: z.number().int().min(1).max(5000).default(200),
    })
    .strict(),
  z.object({ source: z.literal("curated"), items: z.array(EvalItem).min(1).max(5000) }).strict(),
]);
export type EvalSet = z.infer<typeof EvalSet>;

export const PRIMARY_METRICS = ["judge", "f1", "rougeL"] as const;

export const AbEvalConfig = z
  .object({
    variantA: Variant,
    variantB: Variant,
    evalSet: EvalSet,
    /** Judge model; default the strong model of the current route. */
    judgeModel: z.string().trim().min(1).max(200).optional(),
    /** Which per-item difference the gate tests (judge: B's de-biased judge score in [-1, 1]). */
    primaryMetric: z.enum(PRIMARY_METRICS).default("judge"),
    gate: z
      .object({
        /** B must beat A by more than this on the primary metric (absolute, e.g. 0.05 = 5 points). */
        margin: z.number().min(0).max(1).default(0.05),
        alpha: z.number().gt(0).max(0.5).default(0.05),
        minSamples: z.number().int().min(2).max(5000).default(20),
      })
      .strict()
      .default({ margin: 0.05, alpha: 0.05, minSamples: 20 }),
    /** Promote B (prompt version to production, or model to live) when the gate passes. */
    promote: z.boolean().default(false),
    concurrency: z.number().int().min(1).max(64).default(4),
    requestsPerMinute: z.number().int().min(1).max(100_000).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(7),
    maxTokens: z.number().int().min(16).max(8192).default(1024),
  })
  .strict();
export type AbEvalConfig = z.infer<typeof AbEvalConfig>;

export const DriftConfig = z
  .object({
    currentDays: z.number().int().min(1).max(90).default(7),
    baselineDays: z.number().int().min(1).max(365).default(28),
    /** Fewer ratings than this in either window: not enough to say anything. */
    minSamples: z.number().int().min(5).max(100_000).default(30),
    threshold: z.number().positive().optional(),
    minNewExamples: z.number().int().min(1).optional(),
  })
  .strict();
export type DriftConfig = z.infer<typeof DriftConfig>;

/** Per-provider limits for an experiment ("anthropic", "openai", "openrouter", "offline", …). */
export const ProviderLimit = z
  .object({
    concurrency: z.number().int().min(1).max(64).default(4),
    requestsPerMinute: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();

/** The largest cost cap an experiment may carry (private.experiment_cost_cap_max_usd() holds the same). */
export const EXPERIMENT_COST_CAP_MAX_USD = 100_000;

/**
 * An experiment: every variant (prompt version × model) answers every item of one published dataset
 * version; evaluators (public.evaluators) score each output. The database creates the experiments row
 * from this config when the job is inserted (supabase/migrations/20260102000100_datasets.sql).
 */
export const ExperimentConfig = z
  .object({
    datasetVersionId: uuid,
    variants: z.array(Variant).min(1).max(12),
    evaluatorIds: z.array(uuid).max(10).default([]),
    /** Index of the variant the others are compared with (paired differences, regressions). */
    baseline: z.number().int().min(0).max(11).default(0),
    /** Limits per provider; a provider not named gets `defaultLimit`. */
    providerLimits: z.record(z.string().trim().min(1).max(40), ProviderLimit).default({}),
    defaultLimit: ProviderLimit.default({ concurrency: 4 }),
    /** Stop starting new calls once the experiment's generation cost reaches this (USD). */
    costCapUsd: z.number().positive().max(EXPERIMENT_COST_CAP_MAX_USD).optional(),
    /** Rate-limited (429) calls are retried this many times with exponential backoff. */
    maxRetries: z.number().int().min(0).max(20).default(8),
    maxTokens: z.number().int().min(16).max(8192).default(512),
    /** Judge model for llm_judge evaluators that name none; default the route's strong model. */
    judgeModel: z.string().trim().min(1).max(200).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(7),
  })
  .strict()
  .refine((c) => c.baseline < c.variants.length, { message: "baseline must be the index of a variant", path: ["baseline"] });
export type ExperimentConfig = z.infer<typeof ExperimentConfig>;

/**
 * Why an experiment's job completed before scoring every output: its result's `stopped`. The database's
 * public.raise_experiment_cost_cap lets such a job go on (20260104000000_experiment_raise_cost_cap.sql).
 */
export const EXPERIMENT_STOPPED_AT_COST_CAP = "cost_cap";

/** The part of an experiment job's result the pages read (the worker's ExperimentResult is more). */
export type ExperimentSpend = {
  stopped: null | typeof EXPERIMENT_STOPPED_AT_COST_CAP;
  /** Everything spent on the experiment: the outputs and their judges, over every attempt. */
  costUsd: number;
  /** Of which the judges. */
  judgeCostUsd: number;
};

export const ThemesConfig = z
  .object({
    /** Feedback rated at most this is "low-rated". */
    maxRating: z.number().int().min(1).max(4).default(2),
    /** The window grouped; the window before it (same length) gives each theme's trend. */
    windowDays: z.number().int().min(1).max(365).default(30),
    /** The number of themes is chosen between 2 and this (silhouette). */
    maxThemes: z.number().int().min(2).max(30).default(8),
    /** Most items grouped (newest first), to bound the work. */
    maxItems: z.number().int().min(10).max(100_000).default(50_000),
    /** Concurrent LLM calls naming the themes. */
    concurrency: z.number().int().min(1).max(16).default(4),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(17),
  })
  .strict();
export type ThemesConfig = z.infer<typeof ThemesConfig>;

/**
 * An LLM judge over a review queue's items: one value per item and rubric (the rubric prompt for an
 * item's single output; the pairwise judge in both orders for a preference rubric on A/B items), so its
 * agreement with the human consensus can be measured where people looked (shared/src/review/judge.ts).
 */
export const ReviewJudgeConfig = z
  .object({
    queueId: uuid,
    /** Judge model; default the model the organization's judge prompt resolves to (as the A/B judge). */
    judgeModel: z.string().trim().min(1).max(200).optional(),
    /** Which of the queue's rubrics; empty = every rubric the judge can answer (not free text). */
    scoreConfigIds: z.array(uuid).max(10).default([]),
    /** Most items judged, in the queue's order. */
    maxItems: z.number().int().min(1).max(5000).default(500),
    concurrency: z.number().int().min(1).max(64).default(4),
    requestsPerMinute: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
export type ReviewJudgeConfig = z.infer<typeof ReviewJudgeConfig>;

export const JobPayload = z.object({ jobId: uuid });

/**
 * An internal task's payload (job_queue.payload; no jobs row): the document whose log to compact and
 * whose text copy to write. Queued by the database on every append (private.enqueue_doc_upkeep).
 */
export const DocUpkeepPayload = z.object({ docId: z.string().min(1).max(200) }).strict();
export type DocUpkeepPayload = z.infer<typeof DocUpkeepPayload>;

/** A review queue's report to recompute (public.review_reports): queued per queue as scores arrive. */
export const ReviewReportPayload = z.object({ queueId: z.string().uuid() }).strict();
export type ReviewReportPayload = z.infer<typeof ReviewReportPayload>;

/** One notification delivery (public.notification_deliveries): queued per delivery, retried on its own. */
export const NotifyPayload = z.object({ deliveryId: z.string().uuid() });
export type NotifyPayload = z.infer<typeof NotifyPayload>;

/**
 * One live LLM call an online evaluator sampled (public.online_evaluators): queued by the ai_requests
 * trigger (private.online_eval_sample), keyed by rule and request so a request is scored once per rule.
 */
export const OnlineEvalPayload = z.object({ ruleId: z.string().uuid(), aiRequestId: z.string().uuid() }).strict();
export type OnlineEvalPayload = z.infer<typeof OnlineEvalPayload>;

/** The minute's evaluation of every organization's alert rules: no payload. */
export const AlertsEvaluatePayload = z.object({}).passthrough();
