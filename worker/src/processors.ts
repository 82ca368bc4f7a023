import { runAbEval } from "./features/ab-eval/handler.ts";
import type { HandlerDeps } from "./features/common.ts";
import { runDocUpkeep } from "./features/doc-upkeep/handler.ts";
import { runDrift } from "./features/drift/handler.ts";
import { runExperiment } from "./features/experiment/handler.ts";
import { runFineTune } from "./features/fine-tune/handler.ts";
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
    // For benchmarks and queue health checks: proves claim → complete without doing work.
    noop: async () => null,
  };
}
