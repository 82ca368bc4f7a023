import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { summarizeExperiment } from "@review/shared/datasets/summary";
import { parseWorkerEnv, startWorker, type WorkerHandle } from "@review/worker";
import type { HandlerDeps } from "@review/worker/features/common";
import { runExperiment } from "@review/worker/features/experiment/handler";
import { createWorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import { getStack, waitFor } from "../helpers/stack.ts";

// The demo's experiment (end of supabase/seed.sql): a published Acme dataset built by the SQL builder
// from seeded approved answers, four evaluators (an LLM judge among them), a 2 × 2 matrix over the
// offline models. The worker's real handler runs it here as `npm start`'s worker would.
const ACME = "aaaaaaaa-0000-4000-8000-000000000001";
let stack: StackInfo;
let db: postgres.Sql;
let worker: WorkerHandle | undefined;
beforeAll(async () => {
  stack = await getStack();
  db = postgres(stack.dbUrl, { onnotice: () => {}, max: 4 });
});
afterAll(async () => {
  await worker?.stop(2000);
  await db?.end({ timeout: 1 });
});

describe("the seeded experiment", () => {
  it("is queued over a published dataset built from real rows, and the worker computes its results and statistics", async () => {
    const [exp] = await db`
      select e.id, e.job_id, v.status, v.item_count, v.source from public.experiments e join public.dataset_versions v on v.id = e.dataset_version_id
      where e.org_id = ${ACME} and e.name = 'Suggest-answer v2 vs v3 × fast vs strong'`;
    expect(exp).toMatchObject({ status: "published", source: { kind: "training_examples" } });
    expect(exp!.item_count).toBeGreaterThanOrEqual(10);
    const [draft] = await db`select v.item_count from public.dataset_versions v join public.datasets d on d.id = v.dataset_id where d.org_id = ${ACME} and d.name = 'Low ratings (inbox)'`;
    expect(draft!.item_count).toBeGreaterThan(0);

    const task = `experiment_seed_${randomUUID().slice(0, 8)}`;
    expect(await db`update public.job_queue set task = ${task} where job_id = ${exp!.job_id} and state = 'queued' returning id`).toHaveLength(1);
    const env = parseWorkerEnv({ DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl, SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey, WORKER_SCHEDULER: "false", LOG_LEVEL: "error" });
    const deps: HandlerDeps = { sql: db, llm: createWorkerLlm(env, db, silentLogger), env, log: silentLogger };
    worker = await startWorker({ env: { ...env, WORKER_TASKS: task, WORKER_POLL_MS: 100 } as never, handlers: { [task]: (job, ctx) => runExperiment(deps, job, ctx) }, log: silentLogger });
    const job = await waitFor(async () => {
      const [j] = await db`select status::text, result, error from public.jobs where id = ${exp!.job_id}`;
      return j && ["completed", "failed"].includes(j.status as string) ? j : null;
    }, { timeout: 180_000, message: "seeded experiment finished" });
    expect(job.error).toBeNull();
    const rows = await db`select item_id::text, variant, scores, cost_usd::float8 as cost_usd, latency_ms, error from public.experiment_results where experiment_id = ${exp!.id}`;
    expect(rows).toHaveLength(exp!.item_count * 4);
    expect(rows.filter((r) => r.error)).toEqual([]);
    // The judge scored every non-baseline output in both orders; the baseline is 0 by definition.
    expect(rows.every((r) => typeof r.scores.judge === "number" && (r.variant !== 0 || r.scores.judge === 0))).toBe(true);
    const [e] = await db`select summary from public.experiments where id = ${exp!.id}`;
    const direct = summarizeExperiment(
      rows.map((r) => ({ itemId: r.item_id, variant: r.variant, scores: r.scores, costUsd: r.cost_usd, latencyMs: r.latency_ms, error: r.error })),
      { variants: ["v2 · fast", "v2 · strong", "v3 · fast", "v3 · strong"], metrics: ["concise", "f1", "judge", "rouge-l"], baseline: 0, items: exp!.item_count, seed: 7 },
    );
    expect(e!.summary).toEqual(direct);
  }, 240_000);
});
