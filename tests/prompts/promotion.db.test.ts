import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { parseTask, readTag } from "@review/shared/llm/offline-protocol";
import { resolveModelRoute } from "@review/shared/llm/routing";
import type { LlmResult } from "@review/shared/llm/client";
import { parseWorkerEnv, startWorker, type WorkerHandle } from "@review/worker";
import { analyze, type ItemResult } from "@review/worker/features/ab-eval/analysis";
import { runAbEval } from "@review/worker/features/ab-eval/handler";
import type { HandlerDeps } from "@review/worker/features/common";
import type { WorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql, waitFor } from "../helpers/stack.ts";
import { newPrompt, promoteDirect, saveVersion, statuses } from "./helpers.ts";

// Promotion only through the A/B gate: promote-prompt enqueues the worker's ab_eval job (promote: true);
// the worker's gate decides. The gate is tested as the pure function it is, and end to end with the real
// worker handler and a deterministic stand-in for the LLM, so "better" is fixed by construction.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
let db: postgres.Sql;
const workers: WorkerHandle[] = [];

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "promo"), createOrg(stack, "promoother")]);
  db = postgres(stack.dbUrl, { onnotice: () => {}, max: 6 });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(2000)));
  await db?.end({ timeout: 1 });
});

const curated = (n: number) => ({ source: "curated", items: Array.from({ length: n }, (_, i) => ({ query: `How do I do task number ${i}?`, reference: `Do task ${i} in Settings.` })) });

describe("promote-prompt", () => {
  it("starts an A/B evaluation of the candidate against production through the queue (admins only)", async () => {
    const p = await newPrompt(stack, org);
    const prod = await saveVersion(stack, org, p.id, "Answer: {{query}}");
    await promoteDirect(stack, prod.id);
    const cand = await saveVersion(stack, org, p.id, "Answer carefully: {{query}} ({{tone}})");
    const draft = await saveVersion(stack, org, p.id, "Draft {{query}}", { status: "draft" });

    for (const role of ["curator", "reviewer", "manager"] as const) {
      const r = await callFunction(stack, "promote-prompt", { versionId: cand.id, evalSet: curated(20) }, org.users[role].accessToken);
      expect(r.status, role).toBe(403);
    }
    expect((await callFunction(stack, "promote-prompt", { versionId: cand.id, evalSet: curated(20) }, other.users.admin.accessToken)).status).toBe(404);
    const d = await callFunction(stack, "promote-prompt", { versionId: draft.id, evalSet: curated(20) }, org.users.admin.accessToken);
    expect([d.status, d.body.error.code]).toEqual([409, "not_candidate"]);
    const p2 = await callFunction(stack, "promote-prompt", { versionId: prod.id, evalSet: curated(20) }, org.users.admin.accessToken);
    expect(p2.status).toBe(409);
    // The default eval set is the org's approved answers; this org has none, so the gate could never pass.
    const small = await callFunction(stack, "promote-prompt", { versionId: cand.id }, org.users.admin.accessToken);
    expect([small.status, small.body.error.code]).toEqual([422, "eval_set_too_small"]);
    const bad = await callFunction(stack, "promote-prompt", { versionId: cand.id, margin: 2 }, org.users.admin.accessToken);
    expect(bad.status).toBe(400);

    const r = await callFunction(stack, "promote-prompt", { versionId: cand.id, margin: 0.1, minSamples: 10, evalSet: curated(12) }, org.users.admin.accessToken);
    expect(r.status).toBe(202);
    expect(r.body.baseline).toEqual({ versionId: prod.id, version: 1 });
    expect(r.body.warnings[0]).toMatch(/\{\{tone\}\}/);
    const [job] = await db`select kind::text, status::text, created_by, config from public.jobs where id = ${r.body.jobId}`;
    // Another suite's worker may already have claimed it: queued or running are both "started".
    expect(["pending", "running"]).toContain(job!.status);
    expect(job).toMatchObject({ kind: "ab_eval", created_by: org.users.admin.id });
    expect(job!.config).toMatchObject({
      variantA: { promptVersionId: prod.id },
      variantB: { promptVersionId: cand.id },
      promote: true,
      primaryMetric: "judge",
      gate: { margin: 0.1, minSamples: 10, alpha: 0.05 },
      evalSet: { source: "curated" },
    });
    const [entry] = await db`select task, state from public.job_queue where job_id = ${r.body.jobId}`;
    expect(entry!.task).toBe("ab_eval");
    expect(["queued", "running"]).toContain(entry!.state);

    const twice = await callFunction(stack, "promote-prompt", { versionId: cand.id, evalSet: curated(12), minSamples: 10 }, org.users.admin.accessToken);
    expect([twice.status, twice.body.error.code]).toEqual([409, "evaluation_running"]);
    // Nothing is promoted by starting an evaluation.
    expect(await statuses(stack, p.id)).toMatchObject({ 1: "production", 2: "candidate" });
    await db`delete from public.jobs where id = ${r.body.jobId}`;
  });
});

describe("the gate on fixed evaluation data", () => {
  const metrics = { f1: null, rougeL: null, latencyMs: 10, inputTokens: 5, outputTokens: 5, costUsd: 0 };
  const items = (scores: number[]): ItemResult[] => scores.map((judgeScore, itemIndex) => ({ itemIndex, a: metrics, b: metrics, judge: [], judgeScore }));
  const config = { primaryMetric: "judge" as const, gate: { margin: 0.05, alpha: 0.05, minSamples: 20 }, seed: 7 };

  it("passes a candidate that clearly wins", () => {
    const a = analyze(items([...Array(18).fill(1), 0, -0.5, 0.5, 1]), config);
    expect(a.gate.passed).toBe(true);
    expect(a.meanDelta).toBeGreaterThan(0.05);
    expect(a.pValue).toBeLessThan(0.05);
  });

  it("refuses a tie, a win within the margin, and too few samples", () => {
    expect(analyze(items(Array(30).fill(0)), config).gate.passed).toBe(false);
    const small = analyze(items([...Array(3).fill(0.5), ...Array(27).fill(0)]), config);
    expect(small.meanDelta).toBeLessThanOrEqual(0.05);
    expect(small.gate.passed).toBe(false);
    const few = analyze(items(Array(10).fill(1)), config);
    expect(few.gate.passed).toBe(false);
    expect(few.gate.reasons.join(" ")).toMatch(/at least 20/);
  });
});

/**
 * A deterministic LLM for the worker: a generation echoes its system prompt and input (so an answer
 * from a template containing "GOOD" carries that marker), and the judge prefers the answer carrying
 * "GOOD", or calls a tie. The real handler, queue, gate and promotion run unchanged around it.
 */
function markerLlm(): WorkerLlm {
  const route = resolveModelRoute({ SUPABASE_URL: stack.apiUrl });
  return {
    route,
    async complete(req) {
      const user = req.messages.map((m) => m.content).join("\n");
      let text: string;
      if (parseTask(req.system) === "judge-pairwise") {
        const a = (readTag(user, "answer_a") ?? "").includes("GOOD");
        const b = (readTag(user, "answer_b") ?? "").includes("GOOD");
        text = JSON.stringify({ winner: a === b ? "tie" : a ? "A" : "B", reason: "marker" });
      } else {
        text = `${req.system ?? ""} ${user}`.trim();
      }
      const result: LlmResult = {
        text,
        model: req.model,
        servedModel: `${req.model} (test)`,
        stopReason: "end_turn",
        usage: { inputTokens: 10, outputTokens: 10, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
        costUsd: 0.0001,
        latencyMs: 5,
        traceId: randomUUID(),
        requestId: null,
        flags: [],
      };
      return result;
    },
  };
}

/** Runs the queue entry of `jobId` on a worker of our own with the marker LLM, under a task name only it claims. */
async function runEvaluation(jobId: string) {
  const task = `ab_eval_t${randomUUID().slice(0, 8)}`;
  // Renamed while still queued, so no ab_eval worker of another suite on a shared stack takes it.
  const moved = await db`update public.job_queue set task = ${task} where job_id = ${jobId} and state = 'queued' returning id`;
  expect(moved).toHaveLength(1);
  const env = parseWorkerEnv({ DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl, WORKER_SCHEDULER: "false", LLM_REQUESTS_PER_MINUTE: "100000", LOG_LEVEL: "error" });
  const deps: HandlerDeps = { sql: db, llm: markerLlm(), env, log: silentLogger };
  workers.push(
    await startWorker({
      env: { ...env, WORKER_TASKS: task, WORKER_POLL_MS: 100 } as never,
      handlers: { [task]: (job, ctx) => runAbEval(deps, job, ctx) },
      log: silentLogger,
    }),
  );
  return waitFor(async () => {
    const [j] = await db`select status::text, result, error from public.jobs where id = ${jobId}`;
    return j && ["completed", "failed"].includes(j.status as string) ? j : null;
  }, { timeout: 30_000, message: `job ${jobId} finished` });
}

describe("promotion end to end through the worker", () => {
  it("promotes the candidate when it beats production, and keeps production when it does not", async () => {
    const p = await newPrompt(stack, org);
    const prod = await saveVersion(stack, org, p.id, "Answer: {{query}}", { systemTemplate: "Be plain." });
    await promoteDirect(stack, prod.id);
    const same = await saveVersion(stack, org, p.id, "Reply: {{query}}", { systemTemplate: "Be plain too." });
    const better = await saveVersion(stack, org, p.id, "Answer step by step: {{query}}", { systemTemplate: "GOOD: be precise." });

    // A candidate no better than production: the judge ties every item, the gate fails, nothing changes.
    const tie = await callFunction(stack, "promote-prompt", { versionId: same.id, evalSet: curated(20) }, org.users.admin.accessToken);
    expect(tie.status).toBe(202);
    const tieJob = await runEvaluation(tie.body.jobId);
    expect(tieJob.status).toBe("completed");
    expect(tieJob.result).toMatchObject({ analysis: { n: 20, gate: { passed: false } }, decision: { promoted: false } });
    expect(await statuses(stack, p.id)).toEqual({ 1: "production", 2: "candidate", 3: "candidate" });

    // A candidate the judge prefers on every item: the gate passes and the worker promotes it.
    const win = await callFunction(stack, "promote-prompt", { versionId: better.id, evalSet: curated(20) }, org.users.admin.accessToken);
    expect(win.status).toBe(202);
    const winJob = await runEvaluation(win.body.jobId);
    expect(winJob.status).toBe("completed");
    expect(winJob.result).toMatchObject({ analysis: { n: 20, meanDelta: 1, gate: { passed: true } }, decision: { promoted: true } });
    expect(await statuses(stack, p.id)).toEqual({ 1: "retired", 2: "candidate", 3: "production" });
    const audit = await db`select action, actor_id, details from public.audit_logs where org_id = ${org.id} and entity_id = ${better.id} and action = 'prompt.promotion'`;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_id).toBe(org.users.admin.id);
    expect(audit[0]!.details).toMatchObject({ job_id: win.body.jobId, previous_version_id: prod.id });

    // The studio's metrics show each version's latest evaluation.
    const m = await org.users.admin.client.rpc("prompt_version_metrics", { p_prompt_id: p.id });
    const byVersion = Object.fromEntries((m.data as any[]).map((r) => [r.version, r.last_eval]));
    expect(byVersion[3]).toMatchObject({ jobId: win.body.jobId, side: "B", opponentVersionId: prod.id, gatePassed: true, promoted: true, n: 20 });
    expect(byVersion[2]).toMatchObject({ jobId: tie.body.jobId, side: "B", gatePassed: false });
    expect(byVersion[1]).toMatchObject({ jobId: win.body.jobId, side: "A" });

    // And the rollback brings the previous production template back exactly.
    const rb = await callFunction(stack, "rollback-prompt", { promptId: p.id, versionId: prod.id }, org.users.admin.accessToken);
    expect(rb.status).toBe(200);
    expect(rb.body.version).toMatchObject({ template: "Answer: {{query}}", system_template: "Be plain.", status: "production" });
  });
});
