import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { startWorker, type WorkerHandle } from "@review/worker";
import { silentLogger } from "@review/worker/log";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { client, createUser, serviceClient, sql, waitFor } from "../helpers/stack.ts";
import { startOwnStack } from "../helpers/own-stack.ts";
import { approvedExamples } from "./fixtures.ts";

// The worker's real job kinds end to end on the embedded default: functions → queue → worker → dev LLM.
// Only this file serves fine_tune / ab_eval / drift, so no other test's worker takes these jobs.
const root = path.resolve(import.meta.dirname, "..", "..");
let stack: StackInfo;
let org: TestOrg;
let worker: WorkerHandle | undefined;
let child: ChildProcess | undefined;

const baseEnv = () => ({
  DATABASE_URL: stack.dbUrl,
  SUPABASE_URL: stack.apiUrl,
  SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
  WORKER_SCHEDULER: "false",
  WORKER_TASKS: "fine_tune,ab_eval,drift",
  WORKER_LEASE_MS: "1500",
  WORKER_POLL_MS: "200",
  LOG_LEVEL: "warn",
});

async function ensureWorker() {
  worker ??= await startWorker({ env: { ...baseEnv(), WORKER_CONCURRENCY: "2", WORKER_ID: "survivor" }, log: silentLogger });
  return worker;
}

async function jobDone(jobId: string, timeout = 60_000) {
  return waitFor(async () => {
    const [j] = await sql(stack)`select status, error, result, progress from public.jobs where id = ${jobId}`;
    return j && ["completed", "failed", "cancelled"].includes(j.status) ? j : null;
  }, { timeout, message: `job ${jobId} finished` });
}

// This suite runs a worker with every handler, which would claim other suites' jobs: it gets its own stack.
let own: Awaited<ReturnType<typeof startOwnStack>>;

beforeAll(async () => {
  own = await startOwnStack("pipeline");
  stack = own;
  org = await createOrg(stack, "pipeline");
  const db = sql(stack);
  for (const e of approvedExamples()) {
    await db`insert into public.training_examples (org_id, query, answer, tags, created_by) values (${org.id}, ${e.query}, ${e.answer}, ${e.tags}, ${org.users.curator.id})`;
  }
});

afterAll(async () => {
  child?.kill("SIGKILL");
  await worker?.stop(2000);
  await own?.dispose();
});

describe("worker pipeline", () => {
  let fineTuneJobId: string;
  let modelId: string;

  it("a worker killed with -9 mid fine-tune: the job is re-claimed after its lease and completes once", async () => {
    const started = await callFunction(stack, "start-job", {
      kind: "fine_tune",
      orgId: org.id,
      name: "support answers v1",
      config: {
        tags: ["support"],
        seed: 3,
        validationFraction: 0.5,
        // One call at a time: the evaluation takes long enough to be killed in the middle of.
        evalConcurrency: 1,
      },
    }, org.users.admin.accessToken);
    expect(started.status).toBe(201);
    fineTuneJobId = started.body.job.id;

    // `node --import tsx` rather than `npx tsx`: the tsx CLI runs the script in a grandchild process,
    // which a SIGKILL of the CLI would leave running. This is the process that does the work.
    child = spawn(process.execPath, ["--import", "tsx", "worker/src/main.ts"], {
      cwd: root,
      env: { ...process.env, ...baseEnv(), WORKER_ID: "victim", WORKER_CONCURRENCY: "1" },
      stdio: "ignore",
    });
    // Killed once the model row exists and evaluation is under way.
    await waitFor(async () => (await sql(stack)`select 1 from public.job_events where job_id = ${fineTuneJobId} and step = 'model'`).length > 0, { timeout: 30_000, message: "victim reached the model step" });
    child.kill("SIGKILL");
    const [mid] = await sql(stack)`select j.status, q.locked_by from public.jobs j join public.job_queue q on q.job_id = j.id where j.id = ${fineTuneJobId}`;
    expect(mid).toEqual({ status: "running", locked_by: "victim" });

    await ensureWorker();
    const job = await jobDone(fineTuneJobId);
    expect(job.status).toBe("completed");
    const events = await sql(stack)`select step, message from public.job_events where job_id = ${fineTuneJobId} order by id`;
    expect(events.find((e) => e.step === "lease_expired")?.message).toMatch(/attempt 1 \(victim\) stopped renewing its lease/);
    expect(events.filter((e) => e.step === "completed")).toHaveLength(1);
    // Resumed from its checkpoint: the dataset was built once.
    expect(events.filter((e) => e.step === "dataset" && e.message.startsWith("Dataset "))).toHaveLength(1);
    const models = await sql(stack)`select id, accuracy, latency_ms, cost_per_1k_tokens, provider, dataset_snapshot, retrieval_index is not null as indexed from public.models where job_id = ${fineTuneJobId}`;
    expect(models).toHaveLength(1);
    modelId = models[0]!.id;
    expect(job.result.modelId).toBe(modelId);
    expect(models[0]!.indexed).toBe(true);
    expect((await sql(stack)`select count(*)::int as n from public.job_queue where job_id = ${fineTuneJobId}`)[0]!.n).toBe(0);

    // Real numbers: the trained offline model answers held-out phrasings from approved answers; the base
    // model (which never saw them) does not.
    const r = job.result;
    expect(r.snapshot.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.snapshot.counts).toMatchObject({ matched: 40, used: 40, train: 20, validation: 20 });
    expect(r.evaluation.n).toBe(20);
    // The split depends only on the examples' content and the seed, so these numbers are the same every run.
    expect(r.evaluation.accuracy).toBeGreaterThan(0.5);
    expect(r.evaluation.accuracy - r.baseline.accuracy).toBeGreaterThan(0.4);
    expect(models[0]!.accuracy).toBeCloseTo(r.evaluation.accuracy, 4);
    expect(Number(models[0]!.cost_per_1k_tokens)).toBe(0);
    expect(models[0]!.latency_ms).toBeGreaterThan(0);
    const calls = await sql(stack)`select count(*)::int as n from public.ai_requests where org_id = ${org.id} and function_name = 'worker:fine-tune-eval'`;
    expect(calls[0]!.n).toBeGreaterThanOrEqual(40);

    // Training learned over epochs, and the log says so line by line: every epoch with its loss (which
    // falls) and held-out metrics, the evaluation's progress, the result. No line is empty.
    const log = await sql(stack)`select step, message, metrics from public.job_events where job_id = ${fineTuneJobId} order by id`;
    expect(log.every((e) => e.message.trim().length > 0)).toBe(true);
    const epochs = log.filter((e) => e.step === "train" && typeof e.metrics.epoch === "number");
    expect(epochs.map((e) => e.metrics.epoch)).toEqual([...Array(21).keys()]);
    expect(epochs[20]!.metrics.loss).toBeLessThan(0.5 * epochs[0]!.metrics.loss);
    expect(epochs[20]!.message).toMatch(/^Epoch 20\/20: training loss 0\.\d{3}, validation loss \d\.\d{3}; validation accuracy \d+\.\d%/);
    expect(log.map((e) => e.message)).toContain(`Evaluating the tuned model: 20/20 held-out items, ${Math.round(r.evaluation.accuracy * 20)} answered right so far (${(r.evaluation.accuracy * 100).toFixed(1)}%, mean F1 ${r.evaluation.meanF1.toFixed(3)})`);
    expect(log.find((e) => e.step === "result")!.message).toMatch(/^Tuned model: accuracy \d+\.\d% .* on 20 held-out items; base offline-strong-1: \d+\.\d% .*; \+\d+\.\d points$/);
    // The learned weights are stored with the model, where the dev LLM's search applies them.
    const [stored] = await sql(stack)`select retrieval_index->'reranker' as r from public.models where id = ${modelId}`;
    expect(stored!.r.weights).toHaveLength(stored!.r.features.length);
    expect(r.trainer).toBe("local");
  }, 90_000);

  it("A/B evaluation promotes the fine-tuned prompt version through the gate, and rollback restores the old one", async () => {
    expect(modelId).toBeTruthy();
    const db = sql(stack);
    const [prompt] = await db`insert into public.prompts (org_id, slug, created_by) values (${org.id}, 'support-answer', ${org.users.admin.id}) returning id`;
    const [v1] = await db`
      insert into public.prompt_versions (org_id, prompt_id, version, template, model, status, promoted_at)
      values (${org.id}, ${prompt!.id}, 1, '{{query}}', 'offline-fast-1', 'production', now() - interval '1 day') returning id`;
    // What production served is history the rollback reads (as the seed records it).
    await db`insert into public.prompt_promotions (org_id, prompt_id, version_id, kind) values (${org.id}, ${prompt!.id}, ${v1!.id}, 'initial')`;
    const [v2] = await db`
      insert into public.prompt_versions (org_id, prompt_id, version, template, model, status, parent_version_id)
      values (${org.id}, ${prompt!.id}, 2, '{{query}}', ${`offline-ft:${modelId}`}, 'candidate', ${v1!.id}) returning id`;

    const viewer = client(stack, stack.anonKey, org.users.reviewer.accessToken);

    const started = await callFunction(stack, "start-job", {
      kind: "ab_eval",
      orgId: org.id,
      name: "v2 (fine-tuned) vs v1",
      config: {
        variantA: { promptVersionId: v1!.id },
        variantB: { promptVersionId: v2!.id },
        evalSet: { source: "training_examples", holdoutOfJobId: fineTuneJobId },
        gate: { minSamples: 10 },
        promote: true,
        concurrency: 8,
      },
    }, org.users.admin.accessToken);
    expect(started.status).toBe(201);
    const evalJobId = started.body.job.id as string;
    await ensureWorker();
    const job = await jobDone(evalJobId);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    const { analysis, decision } = job.result;
    expect(analysis.n).toBe(20);
    expect(analysis.gate.passed).toBe(true);
    expect(analysis.meanDelta).toBeGreaterThan(0.05);
    expect(analysis.pValue).toBeLessThan(0.05);
    expect(analysis.ci95.lower).toBeGreaterThan(0);
    expect(analysis.winRateB).toBeGreaterThan(0.5);
    expect(analysis.deltas.f1).toBeGreaterThan(0);
    expect(analysis.a.costUsd).toBe(0);
    expect(decision.promoted).toBe(true);

    const versions = await db`select id, status from public.prompt_versions where prompt_id = ${prompt!.id} order by version`;
    expect(versions.map((v) => v.status)).toEqual(["retired", "production"]);
    const audit = await db`select action, actor_id, details from public.audit_logs where org_id = ${org.id} and action in ('eval.gate', 'prompt.promotion') order by id`;
    expect(audit.map((a) => a.action)).toEqual(["prompt.promotion", "eval.gate"]);
    expect(audit.every((a) => a.actor_id === org.users.admin.id)).toBe(true);
    expect(audit[1]!.details).toMatchObject({ passed: true, promoted: true, n: 20 });

    // Per-item drill-down: members read it, other organizations do not.
    const items = await viewer.from("eval_results").select("item_index, query, output_a, output_b, metrics, judge, judge_score").eq("job_id", evalJobId).order("item_index");
    expect(items.error).toBeNull();
    expect(items.data).toHaveLength(20);
    expect(items.data![0]!.judge).toHaveLength(2);
    const outsider = await createUser(stack, "outsider");
    const none = await outsider.client.from("eval_results").select("id").eq("job_id", evalJobId);
    expect(none.data).toEqual([]);

    // Progress is written where Realtime publishes it (jobs.progress, job_events), and members read it.
    const progress = await viewer.from("job_events").select("step, message").eq("job_id", evalJobId).order("id");
    expect(progress.data!.map((e) => e.step)).toEqual(expect.arrayContaining(["queued", "evaluate", "gate", "completed"]));
    expect(progress.data!.find((e) => e.step === "gate")!.message).toMatch(/^Gate passed: B beats A by \+0\.\d+/);
    // Every line says something; the last item's line carries the win rate the analysis reports.
    expect(progress.data!.every((e) => e.message.trim().length > 0)).toBe(true);
    const pc = (x: number) => `${(x * 100).toFixed(1)}%`;
    expect(progress.data!.map((e) => e.message)).toContain(
      `20/20 items scored; B preferred on ${analysis.wins.b}, A on ${analysis.wins.a}, ${analysis.wins.ties} tied: B's win rate ${pc(analysis.winRateB)} (95% CI ${pc(analysis.winRateCi95.lower)}–${pc(analysis.winRateCi95.upper)})`,
    );
    expect(analysis.winRateCi95.lower).toBeLessThan(analysis.winRateB);
    expect(analysis.winRateCi95.upper).toBeGreaterThan(analysis.winRateB);

    // Rollback is an admin's act, as the admin: the database records who.
    const rb = await org.users.admin.client.rpc("rollback_prompt", { p_prompt_id: prompt!.id, p_reason: "test rollback" });
    expect(rb.error).toBeNull();
    expect(rb.data.id).toBe(v1!.id);
    const after = await db`select status from public.prompt_versions where prompt_id = ${prompt!.id} order by version`;
    expect(after.map((v) => v.status)).toEqual(["production", "retired"]);
    const [rbAudit] = await db`select actor_id, details from public.audit_logs where org_id = ${org.id} and action = 'prompt.rollback'`;
    expect(rbAudit).toMatchObject({ actor_id: org.users.admin.id, details: { previous_version_id: v2!.id, reason: "test rollback" } });
  }, 90_000);

  it("cancelling a running fine-tune stops it at the next step", async () => {
    await ensureWorker();
    const started = await callFunction(stack, "start-job", { kind: "fine_tune", orgId: org.id, name: "to cancel", config: { validationFraction: 0.5, evalConcurrency: 1 } }, org.users.admin.accessToken);
    const jobId = started.body.job.id as string;
    await waitFor(async () => (await sql(stack)`select 1 from public.job_events where job_id = ${jobId} and step = 'model'`).length > 0, { timeout: 30_000, message: "evaluating" });
    const res = await callFunction(stack, "cancel-job", { jobId }, org.users.admin.accessToken);
    expect(res.status).toBe(200);
    const job = await jobDone(jobId);
    expect(job.status).toBe("cancelled");
  }, 60_000);

  it("drift: a shifted rating distribution raises an alert and enough new approved answers propose a retrain", async () => {
    const drift = await createOrg(stack, "drift");
    const db = sql(stack);
    const baseline = [5, 5, 5, 4, 5, 4, 5, 5, 3, 5];
    const current = [1, 2, 1, 1, 3, 1, 2, 1, 1, 5];
    for (let i = 0; i < 40; i++) {
      await db`insert into public.feedback (org_id, rating, query, response, model, created_at)
               values (${drift.id}, ${baseline[i % 10]!}, 'q', 'r', 'offline-strong-1', now() - interval '10 days' - ${i} * interval '1 hour'),
                      (${drift.id}, ${current[i % 10]!}, 'q', 'r', 'offline-strong-1', now() - interval '1 day' - ${i} * interval '1 hour')`;
    }
    for (const e of approvedExamples({ topics: 3 })) await db`insert into public.training_examples (org_id, query, answer, tags) values (${drift.id}, ${e.query}, ${e.answer}, ${e.tags})`;
    const [job] = await db`select (e.job).id from private.enqueue_job(${drift.id}, 'drift', 'Rating drift check', ${db.json({ minNewExamples: 10 } as never)}) e`;
    await ensureWorker();
    const done = await jobDone(job!.id);
    expect(done.status).toBe("completed");
    expect(done.result.alerts).toBe(1);
    const [alert] = await db`select psi, threshold, baseline_count, current_count, model from public.drift_alerts where org_id = ${drift.id}`;
    expect(alert).toMatchObject({ threshold: 0.3, baseline_count: 40, current_count: 40, model: "offline-strong-1" });
    expect(alert!.psi).toBeGreaterThan(0.3);
    const [proposal] = await db`select status, new_examples, drift_alert_id is not null as linked from public.retrain_proposals where org_id = ${drift.id}`;
    expect(proposal).toEqual({ status: "open", new_examples: 12, linked: true });
  }, 60_000);
});

describe("job functions", () => {
  it("refuse non-admins with 403 and bad input with 400 and field errors", async () => {
    const reviewer = org.users.reviewer.accessToken;
    const curator = org.users.curator.accessToken;
    const ft = await callFunction(stack, "start-job", { kind: "fine_tune", orgId: org.id, name: "nope" }, curator);
    expect(ft.status).toBe(403);
    expect(ft.body.error.code).toBe("forbidden");
    const ev = await callFunction(stack, "start-job", {
      kind: "ab_eval", orgId: org.id, name: "nope",
      config: { variantA: { model: "offline-fast-1" }, variantB: { model: "offline-strong-1" }, evalSet: { source: "curated", items: [{ query: "hi" }] } },
    }, reviewer);
    expect(ev.status).toBe(403);

    const bad = await callFunction(stack, "start-job", { kind: "fine_tune", orgId: "not-a-uuid", name: "", config: { validationFraction: 2, trainer: "magic" } }, org.users.admin.accessToken);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_input");
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(["config.trainer", "config.validationFraction", "name", "orgId"]);
    const badEval = await callFunction(stack, "start-job", { kind: "ab_eval", orgId: org.id, name: "x", config: { variantA: {}, variantB: { model: "m" }, evalSet: { source: "nowhere" } } }, org.users.admin.accessToken);
    expect(badEval.status).toBe(400);
    expect(Object.keys(badEval.body.error.fields)).toEqual(expect.arrayContaining(["config.variantA", "config.evalSet.source"]));
    const badKind = await callFunction(stack, "start-job", { kind: "mine_bitcoin", orgId: org.id, name: "x", config: {} }, org.users.admin.accessToken);
    expect(badKind.status).toBe(400);
    expect(Object.keys(badKind.body.error.fields)).toEqual(["kind"]);

    // A job key makes a start idempotent while the first job is pending or running: a replayed
    // request gets the same job back, not a second one.
    // (A fine-tune runs for seconds, so the replay lands while the first is still pending or running.)
    const keyed = { kind: "fine_tune", orgId: org.id, name: "keyed", jobKey: "ft:manual", config: { validationFraction: 0.5, evalConcurrency: 1 } };
    const first = await callFunction(stack, "start-job", keyed, org.users.admin.accessToken);
    const replay = await callFunction(stack, "start-job", keyed, org.users.admin.accessToken);
    expect([first.status, replay.status]).toEqual([201, 200]);
    expect(replay.body).toMatchObject({ created: false, job: { id: first.body.job.id } });
    expect((await sql(stack)`select count(*)::int as n from public.jobs where org_id = ${org.id} and job_key = 'ft:manual'`)[0]!.n).toBe(1);
    expect((await callFunction(stack, "cancel-job", { jobId: first.body.job.id }, org.users.admin.accessToken)).status).toBe(200);

    const tooFew = await callFunction(stack, "start-job", { kind: "fine_tune", orgId: org.id, name: "few", config: { tags: ["no-such-tag"] } }, org.users.admin.accessToken);
    expect(tooFew.status).toBe(422);
    expect(tooFew.body.error.message).toMatch(/Only 0 approved examples match the tags no-such-tag/);

    const outsider = await createUser(stack, "outsider-fn");
    const notMember = await callFunction(stack, "start-job", { kind: "fine_tune", orgId: org.id, name: "x" }, outsider.accessToken);
    expect(notMember.status).toBe(404);
    const cancelByReviewer = await callFunction(stack, "cancel-job", { jobId: (await sql(stack)`select id from public.jobs where org_id = ${org.id} limit 1`)[0]!.id }, reviewer);
    expect(cancelByReviewer.status).toBe(403);
  }, 60_000);
});
