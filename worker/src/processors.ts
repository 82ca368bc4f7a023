import { runAbEval } from "./features/ab-eval/handler.ts";
import type { HandlerDeps } from "./features/common.ts";
import { runDocUpkeep } from "./features/doc-upkeep/handler.ts";
import { runDrift } from "./features/drift/handler.ts";
import { runExperiment } from "./features/experiment/handler.ts";
import { evaluateAlerts } from "./features/alerts/evaluate.ts";
import { runNotify } from "./features/notify/handler.ts";
import { runOnlineEval } from "./features/online-eval/handler.ts";
import { runReviewReport } from "./features/review-report/handler.ts";
import { runThemes } from "./features/themes/handler.ts";
import { runFineTune } from "./features/fine-tune/handler.ts";
import { runReviewJudge } from "./features/review-judge/handler.ts";
import type { Handler } from "./queue/types.ts";

/** Task name → thin processor; the work lives in features/<kind>/. Task names match jobs.kind. */
export function createProcessors(deps: HandlerDeps): Record<string, Handler> {
  return {
    fine_tune: (job, ctx) => runFineTune(deps, job, ctx),
    ab_eval: (job, ctx) => runAbEval(deps, job, ctx),
    drift: (job, ctx) => runDrift(deps, job, ctx),
    experiment: (job, ctx) => runExperiment(deps, job, ctx),
    // Internal task (no jobs row), queued by the database on every document append.
    doc_upkeep: (job, ctx) => runDocUpkeep(deps, job, ctx),
    themes: (job, ctx) => runThemes(deps, job, ctx),
    review_judge: (job, ctx) => runReviewJudge(deps, job, ctx),
    // Internal tasks (no jobs row): the minute's rule evaluation, and one entry per notification delivery.
    alerts_evaluate: () => evaluateAlerts(deps),
    notify: (job, ctx) => runNotify(deps, job, ctx),
    // Internal task: one live LLM call an online evaluator sampled (queued by the ai_requests trigger).
    online_eval: (job, ctx) => runOnlineEval(deps, job, ctx),
    // Internal task (no jobs row): a review queue's report, queued by the database as scores arrive.
    review_report: (job, ctx) => runReviewReport(deps, job, ctx),
    // For benchmarks and queue health checks: proves claim → complete without doing work.
    noop: async () => null,
  };
}
