/**
 * Every kind of job: its configuration schema (jobs.config), the capability that may start it, and its
 * name for people. One start-job function validates against this union, the worker validates again with
 * the same schema, and the database holds the kind → capability map too (private.job_kinds; a test
 * asserts they agree).
 *
 * Adding a job kind (ARCHITECTURE.md, "Recipe: a job kind"):
 *   1. its config schema in shared/src/jobs/config.ts and an entry here;
 *   2. a migration: `alter type public.job_kind add value '<kind>'` and its row in private.job_kinds;
 *   3. its handler in worker/src/features/<kind>/handler.ts, registered in worker/src/processors.ts;
 *   4. optionally a preflight check in edge-functions/start-job/preflight.ts.
 *
 * Adding an internal task (work the system does for itself: no jobs row, nobody starts or watches it,
 * e.g. document upkeep):
 *   1. its payload schema in shared/src/jobs/config.ts and an entry in INTERNAL_TASKS below;
 *   2. a migration that queues it with private.enqueue_task(task, payload, job_key, …), from a trigger
 *      or a function (a job key keeps one waiting entry per key); it is not a public.job_kind, so
 *      public.start_job cannot name it;
 *   3. its handler in worker/src/features/<task>/handler.ts, registered in worker/src/processors.ts.
 */
import { z } from "zod";
import type { Capability } from "../domain/capabilities.ts";
import { AbEvalConfig, AlertsEvaluatePayload, DocUpkeepPayload, DriftConfig, ExperimentConfig, FineTuneConfig, NotifyPayload, OnlineEvalPayload, ReviewJudgeConfig, ReviewReportPayload, ThemesConfig } from "./config.ts";

export const JOB_KINDS = {
  fine_tune: { config: FineTuneConfig, capability: "job:start", label: "Fine-tune" },
  ab_eval: { config: AbEvalConfig, capability: "job:start", label: "A/B evaluation" },
  drift: { config: DriftConfig, capability: "job:start", label: "Drift check" },
  experiment: { config: ExperimentConfig, capability: "experiment:run", label: "Experiment" },
  themes: { config: ThemesConfig, capability: "job:start", label: "Feedback themes" },
  review_judge: { config: ReviewJudgeConfig, capability: "review:judge", label: "Judge vs human" },
} as const satisfies Record<string, { config: z.ZodType; capability: Capability; label: string }>;

export type JobKind = keyof typeof JOB_KINDS;
export type JobConfigOf<K extends JobKind> = z.output<(typeof JOB_KINDS)[K]["config"]>;

const common = {
  orgId: z.string().uuid(),
  name: z.string().trim().min(1).max(120),
  /** At most one pending or running job per key in the organization (a second start returns the first). */
  jobKey: z.string().trim().min(1).max(200).optional(),
};

/** The start-job function's input: a discriminated union keyed by kind. */
export const StartJobRequest = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fine_tune"), config: FineTuneConfig.default(FineTuneConfig.parse({})), ...common }),
  z.object({ kind: z.literal("ab_eval"), config: AbEvalConfig, ...common }),
  z.object({ kind: z.literal("drift"), config: DriftConfig.default(DriftConfig.parse({})), ...common }),
  z.object({ kind: z.literal("experiment"), config: ExperimentConfig, ...common }),
  z.object({ kind: z.literal("themes"), config: ThemesConfig.default(ThemesConfig.parse({})), ...common }),
  z.object({ kind: z.literal("review_judge"), config: ReviewJudgeConfig, ...common }),
]);
export type StartJobRequest = z.input<typeof StartJobRequest>;
export type StartJobResponse<J = Record<string, unknown>> = { job: J; created: boolean };

/** Internal tasks: queue entries without a jobs row, queued by the database, never by people. */
export const INTERNAL_TASKS = {
  doc_upkeep: { payload: DocUpkeepPayload, label: "Document upkeep" },
  alerts_evaluate: { payload: AlertsEvaluatePayload, label: "Alert rule evaluation" },
  notify: { payload: NotifyPayload, label: "Notification delivery" },
  online_eval: { payload: OnlineEvalPayload, label: "Online evaluation of a live LLM call" },
  review_report: { payload: ReviewReportPayload, label: "Review queue report" },
} as const satisfies Record<string, { payload: z.ZodType; label: string }>;
export type InternalTask = keyof typeof INTERNAL_TASKS;

export function isJobKind(value: unknown): value is JobKind {
  return typeof value === "string" && value in JOB_KINDS;
}
