import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { summarizeExperiment } from "@review/shared/datasets/summary";
import { costUsd } from "@review/shared/llm/cost";
import { mean, tokenF1 } from "@review/shared/stats/index";
import { parseWorkerEnv, startWorker, type WorkerHandle } from "@review/worker";
import type { HandlerDeps } from "@review/worker/features/common";
import { runExperiment } from "@review/worker/features/experiment/handler";
import { createWorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, waitFor } from "../helpers/stack.ts";
import { anthropicError, anthropicJson, openAiJson, providerServer, type Captured, type ProviderServer, type Reply } from "../providers/servers.ts";
import { TOPICS } from "../worker/fixtures.ts";

// An experiment of 2 prompt versions × 2 models (Anthropic and an OpenAI-compatible provider, both
// loopback servers speaking their APIs to the official SDKs) over 50 items, run by the worker's real
// experiment handler. The Anthropic server throws a storm of 429s; the run is cancelled half way and
// resumed; the statistics stored are recomputed here from the stored rows.
let stack: StackInfo;
let org: TestOrg;
let db: postgres.Sql;
let anthropic: ProviderServer;
let openai: ProviderServer;
const workers: WorkerHandle[] = [];

const ITEMS = TOPICS.flatMap((t) => t.questions.map((q) => ({ query: q, expected: t.answer }))).concat(TOPICS.slice(0, 10).map((t) => ({ query: `${t.questions[0]} (again)`, expected: t.answer })));
const expectedOf = new Map(ITEMS.map((i) => [i.query, i.expected]));
const FACTS = "Answer with the facts you know:";

/** The loopback's "model": a prompt that asks for the facts gets the approved answer; the bare one a vague reply. */
function answer(req: Captured): string {
  const body = req.json;
  const user: string = body.messages.at(-1).content;
  const query = [...expectedOf.keys()].sort((a, b) => b.length - a.length).find((q) => user.includes(q)) ?? "";
  return user.includes(FACTS) ? expectedOf.get(query)! : "Please contact support about that.";
}

type Stats = { inflight: number; maxInflight: number; ok: Captured[]; okKeys: string[]; limited: number; times: number[] };
const stats = (): Stats => ({ inflight: 0, maxInflight: 0, ok: [], okKeys: [], limited: 0, times: [] });
let aStats = stats();
let oStats = stats();
/** While set, requests wait here (so a cancel lands while outputs are still missing). */
let hold: Promise<void> | null = null;
/** Anthropic requests with these ordinal numbers answer 429 (the storm). */
const STORM = { from: 15, to: 40 };
let anthropicSeen = 0;
const judgeCalls: Captured[] = [];
const OUTPUT_USAGE = { input: 200, output: 40 };
const JUDGE_USAGE = { input: 300, output: 30 };

async function serve(s: Stats, req: Captured, reply: () => Reply, storm: boolean): Promise<Reply> {
  s.times.push(performance.now());
  s.inflight++;
  s.maxInflight = Math.max(s.maxInflight, s.inflight);
  try {
    if (hold) await hold;
    await new Promise((r) => setTimeout(r, 3));
    if (storm) {
      s.limited++;
      return anthropicError(429, "rate_limit_error", "slow down", { "retry-after": "0" });
    }
    s.ok.push(req);
    s.okKeys.push(`${req.json.model}|${req.json.messages.at(-1).content}`);
    return reply();
  } finally {
    s.inflight--;
  }
}

beforeAll(async () => {
  stack = await getStack();
  org = await createOrg(stack, "experiment");
  db = postgres(stack.dbUrl, { onnotice: () => {}, max: 6 });
  anthropic = await providerServer((req) => {
    // A rubric judge's call (the cost-cap test's judge) is answered apart from the storm's count.
    if (String(req.json.system ?? "").includes("TASK: judge-rubric")) {
      judgeCalls.push(req);
      return { status: 200, json: anthropicJson(JSON.stringify({ value: 4, reason: "Answers with steps." }), req.json.model, JUDGE_USAGE) };
    }
    const n = ++anthropicSeen;
    return serve(aStats, req, () => ({ status: 200, json: anthropicJson(answer(req), req.json.model, OUTPUT_USAGE) }), n >= STORM.from && n <= STORM.to);
  });
  openai = await providerServer((req) => serve(oStats, req, () => ({ status: 200, json: openAiJson(answer(req), req.json.model, OUTPUT_USAGE) }), false));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(2000)));
  await db?.end({ timeout: 1 });
  await anthropic?.close();
  await openai?.close();
});

async function worker(jobId: string) {
  const task = `experiment_${randomUUID().slice(0, 8)}`;
  const moved = await db`update public.job_queue set task = ${task} where job_id = ${jobId} and state = 'queued' returning id`;
  expect(moved).toHaveLength(1);
  const env = parseWorkerEnv({
    DATABASE_URL: stack.dbUrl,
    SUPABASE_URL: stack.apiUrl,
    SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
    ANTHROPIC_API_KEY: "sk-ant-loopback",
    ANTHROPIC_BASE_URL: anthropic.url,
    OPENAI_API_KEY: "sk-loopback",
    OPENAI_BASE_URL: `${openai.url}/v1`,
    // The handler's own 429 retries (with backoff, through the limiter) are what this test watches.
    LLM_MAX_RETRIES: "0",
    WORKER_SCHEDULER: "false",
    LOG_LEVEL: "error",
  });
  const deps: HandlerDeps = { sql: db, llm: createWorkerLlm(env, db, silentLogger), env, log: silentLogger };
  const w = await startWorker({ env: { ...env, WORKER_TASKS: task, WORKER_POLL_MS: 50 } as never, handlers: { [task]: (job, ctx) => runExperiment(deps, job, ctx) }, log: silentLogger });
  workers.push(w);
  return w;
}

const jobState = async (jobId: string) => (await db`select status::text, result, error from public.jobs where id = ${jobId}`)[0]!;

describe("an experiment, 2 prompt versions × 2 models × 50 items, against loopback providers", () => {
  it("retries a 429 storm within the limits, survives cancel and resume without running an item twice, and stores statistics equal to a direct computation", async () => {
    const { admin, curator, manager } = org.users;
    // The dataset: imported (all or nothing), published.
    const imported = await curator.client.rpc("import_dataset_items", { p_org_id: org.id, p_name: "support-50", p_items: ITEMS });
    expect(imported.error).toBeNull();
    expect(imported.data.item_count).toBe(50);
    const published = await curator.client.rpc("publish_dataset_version", { p_version_id: imported.data.id });
    expect(published.data.status).toBe("published");
    const f1 = await curator.client.from("evaluators").insert({ org_id: org.id, name: "f1", kind: "deterministic", config: { type: "token_f1" } }).select("id").single();
    const has = await curator.client.from("evaluators").insert({ org_id: org.id, name: "has-steps", kind: "deterministic", config: { type: "regex", pattern: "(Open|Go to|Click)" } }).select("id").single();
    expect(f1.error).toBeNull();

    const [p] = await db`insert into public.prompts (org_id, slug) values (${org.id}, ${`exp-${randomUUID().slice(0, 6)}`}) returning id`;
    const [bare] = await db`insert into public.prompt_versions (org_id, prompt_id, version, template, model) values (${org.id}, ${p!.id}, 1, 'Customer question: {{query}}', 'claude-haiku-4-5') returning id`;
    const [facts] = await db`insert into public.prompt_versions (org_id, prompt_id, version, template, model) values (${org.id}, ${p!.id}, 2, ${`${FACTS} {{query}}`}, 'claude-haiku-4-5') returning id`;

    // A manager may not start one; an admin may.
    const config = {
      datasetVersionId: imported.data.id,
      variants: [
        { promptVersionId: bare!.id, model: "claude-haiku-4-5", label: "bare · claude" },
        { promptVersionId: bare!.id, model: "openai:gpt-4o-mini", label: "bare · gpt" },
        { promptVersionId: facts!.id, model: "claude-haiku-4-5", label: "facts · claude" },
        { promptVersionId: facts!.id, model: "openai:gpt-4o-mini", label: "facts · gpt" },
      ],
      evaluatorIds: [f1.data!.id, has.data!.id],
      baseline: 0,
      providerLimits: { anthropic: { concurrency: 3, requestsPerMinute: 3000 }, openai: { concurrency: 2, requestsPerMinute: 3000 } },
    };
    const denied = await manager.client.rpc("start_job", { p_org_id: org.id, p_kind: "experiment", p_name: "2x2", p_config: config });
    expect(denied.error?.code).toBe("42501");
    const started = await admin.client.rpc("start_job", { p_org_id: org.id, p_kind: "experiment", p_name: "2x2", p_config: config });
    expect(started.error).toBeNull();
    const jobId = started.data.job.id as string;
    const [exp] = await db`select id, status::text from public.experiments where job_id = ${jobId}`;
    expect(exp).toMatchObject({ status: "pending" });

    // The version is now evidence: no edits, even by the database owner acting as a curator would.
    const edit = await curator.client.from("dataset_items").update({ expected: "changed" }).eq("version_id", imported.data.id).select("id");
    expect(edit.error?.message).toMatch(/cannot change/);

    // Run until some outputs are stored, then cancel while requests are held.
    let release!: () => void;
    const w1 = await worker(jobId);
    await waitFor(async () => Number((await db`select count(*) from public.experiment_results where experiment_id = ${exp!.id}`)[0]!.count) >= 60 || null, { timeout: 60_000, message: "60 outputs stored" });
    hold = new Promise<void>((r) => (release = r));
    const cancel = await admin.client.rpc("cancel_job", { p_job_id: jobId });
    expect(cancel.error).toBeNull();
    release();
    hold = null;
    await waitFor(async () => ((await jobState(jobId)).status === "cancelled" ? true : null), { timeout: 30_000, message: "job cancelled" });
    await w1.stop(2000);
    const before = await db`select item_id, variant from public.experiment_results where experiment_id = ${exp!.id}`;
    expect(before.length).toBeGreaterThanOrEqual(60);
    expect(before.length).toBeLessThan(200);
    const requestsAtCancel = aStats.ok.length + oStats.ok.length;
    // A cancelled run has no cap to raise: it is resumed as it was.
    const raisedCancelled = await admin.client.rpc("raise_experiment_cost_cap", { p_experiment_id: exp!.id, p_cost_cap_usd: 5 });
    expect(raisedCancelled.status).toBe(409);
    expect((await jobState(jobId)).status).toBe("cancelled");

    // Resume: the same job, the stored pairs skipped.
    const resumed = await admin.client.rpc("resume_experiment", { p_experiment_id: exp!.id });
    expect(resumed.data).toBe("pending");
    await worker(jobId);
    const done = await waitFor(async () => {
      const j = await jobState(jobId);
      return ["completed", "failed"].includes(j.status as string) ? j : null;
    }, { timeout: 120_000, message: "experiment finished" });
    expect(done.error).toBeNull();
    expect(done.status).toBe("completed");
    const result = done.result as any;

    // Everything stored once: 200 rows, unique per (item, variant), none failed.
    const rows = await db`select item_id::text, variant, output, scores, cost_usd::float8 as cost_usd, latency_ms, error from public.experiment_results where experiment_id = ${exp!.id}`;
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => `${r.item_id}:${r.variant}`)).size).toBe(200);
    expect(rows.filter((r) => r.error)).toEqual([]);
    expect(result.skippedStored).toBe(before.length);
    expect(result.ranThisAttempt).toBe(200 - before.length);
    // The providers answered each (model, prompt) once, except calls in flight when the cancel landed
    // (answered, but never stored, so resumed): at most the concurrency of both providers.
    const keys = [...aStats.okKeys, ...oStats.okKeys];
    const dupes = keys.length - new Set(keys).size;
    expect(dupes).toBeLessThanOrEqual(3 + 2);
    expect(requestsAtCancel + result.ranThisAttempt).toBeGreaterThanOrEqual(200);

    // The storm was retried, within the per-provider concurrency and rate.
    expect(aStats.limited).toBe(STORM.to - STORM.from + 1);
    // (each one was retried: every output is stored, and the Anthropic server answered all of its 100)
    expect(new Set(aStats.okKeys).size).toBe(100);
    expect(aStats.maxInflight).toBeLessThanOrEqual(3);
    expect(oStats.maxInflight).toBeLessThanOrEqual(2);
    for (const s of [aStats, oStats]) {
      // 3000 per minute = 50 per second, plus the bucket's burst (its capacity, the concurrency).
      const t = s.times;
      for (let i = 0; i < t.length; i++) expect(t.filter((x) => x >= t[i]! && x < t[i]! + 1000).length).toBeLessThanOrEqual(50 + 3);
    }

    // The statistics: the stored summary is what the stored rows give, and the facts prompt wins.
    const [e] = await db`select summary, status::text from public.experiments where id = ${exp!.id}`;
    expect(e!.status).toBe("completed");
    const direct = summarizeExperiment(
      rows.map((r) => ({ itemId: r.item_id, variant: r.variant, scores: r.scores, costUsd: r.cost_usd, latencyMs: r.latency_ms, error: r.error })),
      { variants: config.variants.map((v) => v.label), metrics: ["f1", "has-steps"], baseline: 0, items: 50, seed: 7 },
    );
    expect(e!.summary).toEqual(direct);
    expect(result.summary).toEqual(direct);
    const f1Facts = rows.filter((r) => r.variant === 2).map((r) => tokenF1(r.output, r.output) * (r.scores.f1 as number));
    expect(direct.variants[2]!.metrics.f1!.mean).toBeCloseTo(mean(f1Facts), 6);
    expect(direct.variants[2]!.metrics.f1!.mean).toBe(1);
    expect(direct.variants[0]!.metrics.f1!.mean).toBeLessThan(0.2);
    const factsVsBare = direct.comparisons.find((c) => c.variant === 2 && c.metric === "f1")!;
    expect(factsVsBare.significant).toBe(true);
    expect(factsVsBare.pHolm).toBeGreaterThanOrEqual(factsVsBare.pValue);
    const gptVsClaude = direct.comparisons.find((c) => c.variant === 1 && c.metric === "f1")!;
    expect(gptVsClaude.meanDiff).toBe(0);
    expect(gptVsClaude.significant).toBe(false);
    // Cost per item from the providers' usage at list prices (claude-haiku-4-5 and gpt-4o-mini differ).
    expect(direct.variants[0]!.costPerItemUsd).toBeGreaterThan(0);
    expect(direct.variants[0]!.costPerItemUsd).not.toBe(direct.variants[1]!.costPerItemUsd);

    // Resuming a finished experiment changes nothing.
    expect((await admin.client.rpc("resume_experiment", { p_experiment_id: exp!.id })).data).toBe("completed");
  }, 240_000);
});

describe("an experiment's cost cap", () => {
  it("counts the judges' calls with the outputs', stops new outputs once reached, keeps each output's judge spend, and runs the rest for an admin who raises the cap", async () => {
    const { admin, curator } = org.users;
    const imported = await curator.client.rpc("import_dataset_items", { p_org_id: org.id, p_name: "capped-20", p_items: ITEMS.slice(0, 20) });
    expect(imported.error).toBeNull();
    expect((await curator.client.rpc("publish_dataset_version", { p_version_id: imported.data.id })).error).toBeNull();
    const judge = await curator.client.from("evaluators").insert({
      org_id: org.id, name: "helpful", kind: "llm_judge",
      config: { mode: "rubric", rubric: "Does the answer resolve the question?", model: "claude-haiku-4-5", scale: { min: 1, max: 5, labels: [] } },
    }).select("id").single();
    expect(judge.error).toBeNull();

    // At list prices a judge call (claude-haiku-4-5) costs several outputs (gpt-4o-mini): the cap is ten
    // outputs with their judges, where the twenty outputs alone cost a fraction of it.
    const outputUsd = costUsd("openai:gpt-4o-mini", { inputTokens: OUTPUT_USAGE.input, outputTokens: OUTPUT_USAGE.output })!;
    const judgeUsd = costUsd("claude-haiku-4-5", { inputTokens: JUDGE_USAGE.input, outputTokens: JUDGE_USAGE.output })!;
    expect(judgeUsd).toBeGreaterThan(2 * outputUsd);
    const cap = 10 * (outputUsd + judgeUsd);
    expect(20 * outputUsd).toBeLessThan(cap);

    const judgedBefore = judgeCalls.length;
    const started = await admin.client.rpc("start_job", {
      p_org_id: org.id, p_kind: "experiment", p_name: "capped",
      p_config: {
        datasetVersionId: imported.data.id,
        variants: [{ model: "openai:gpt-4o-mini", label: "gpt" }],
        evaluatorIds: [judge.data!.id],
        baseline: 0,
        costCapUsd: cap,
        // One call at a time per provider, so the cap is met within one output of where it lies.
        providerLimits: { anthropic: { concurrency: 1, requestsPerMinute: 6000 }, openai: { concurrency: 1, requestsPerMinute: 6000 } },
      },
    });
    expect(started.error).toBeNull();
    const jobId = started.data.job.id as string;
    await worker(jobId);
    const done = await waitFor(async () => {
      const j = await jobState(jobId);
      return ["completed", "failed"].includes(j.status as string) ? j : null;
    }, { timeout: 60_000, message: "capped experiment finished" });
    expect(done.error).toBeNull();
    const result = done.result as any;
    expect(result.stopped).toBe("cost_cap");

    const [exp] = await db`select id from public.experiments where job_id = ${jobId}`;
    const rows = await db`select cost_usd::float8 as cost_usd, judge_cost_usd::float8 as judge_cost_usd, scores from public.experiment_results where experiment_id = ${exp!.id}`;
    // Stopped near ten outputs, not after all twenty (which the outputs' own cost would have allowed).
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.length).toBeLessThanOrEqual(12);
    // Each stored output carries its judge's one call, charged at the judge model's price.
    for (const r of rows) {
      expect(r.cost_usd).toBeCloseTo(outputUsd, 10);
      expect(r.judge_cost_usd).toBeCloseTo(judgeUsd, 10);
      expect(r.scores.helpful).toBe(0.75);
    }
    expect(judgeCalls.length - judgedBefore).toBe(rows.length);
    const spent = rows.reduce((s, r) => s + r.cost_usd + r.judge_cost_usd, 0);
    expect(spent).toBeGreaterThanOrEqual(cap);
    expect(result.costUsd).toBeCloseTo(spent, 10);
    expect(result.judgeCostUsd).toBeCloseTo(rows.length * judgeUsd, 10);
    // The run's last word says where it stopped and what the judges took of it.
    const [last] = await db`select message from public.job_events where job_id = ${jobId} and step = 'summary' order by id desc limit 1`;
    expect(last!.message).toMatch(/^Stopped at the cost cap .*, \$[0-9.]+ spent \(judges \$[0-9.]+\)$/);

    // Raising the cap. Attacks first: the curator (who may not run experiments), another organization's
    // admin with this experiment's id, a cap not above the old one, bad input; none of them moves the job.
    const raise = (client: typeof admin.client, capUsd: unknown) =>
      client.rpc("raise_experiment_cost_cap", { p_experiment_id: exp!.id, p_cost_cap_usd: capUsd as number });
    const other = await createOrg(stack, "experiment-other");
    expect((await raise(curator.client, cap * 10)).status).toBe(403);
    expect((await raise(other.users.admin.client, cap * 10)).status).toBe(404);
    expect((await raise(admin.client, cap)).status).toBe(422);
    expect((await raise(admin.client, -1)).status).toBe(422);
    expect((await raise(admin.client, 1e9)).status).toBe(422);
    expect((await raise(admin.client, "lots")).status).toBe(400);
    expect((await jobState(jobId)).status).toBe("completed");

    // The admin's higher cap: the same job runs the rest, and what was paid for is not paid again.
    const outputsBefore = oStats.okKeys.length;
    const raised = await raise(admin.client, cap * 10);
    expect(raised.error).toBeNull();
    expect(raised.data).toBe("pending");
    // Replayed while it is queued: refused, the job is not queued twice.
    expect((await raise(admin.client, cap * 20)).status).toBe(409);
    await worker(jobId);
    const rest = await waitFor(async () => {
      const j = await jobState(jobId);
      return ["completed", "failed"].includes(j.status as string) ? j : null;
    }, { timeout: 60_000, message: "the rest of the capped experiment" });
    expect(rest.error).toBeNull();
    expect((rest.result as any).stopped).toBeNull();
    const all = await db`select item_id from public.experiment_results where experiment_id = ${exp!.id}`;
    expect(all.length).toBe(20);
    expect(oStats.okKeys.length - outputsBefore).toBe(20 - rows.length);
    const [audit] = await db`select details from public.audit_logs where action = 'experiment.cost_cap_raised' and entity_id = ${exp!.id}`;
    expect(Number(audit!.details.to)).toBeCloseTo(cap * 10, 10);
    // Finished for good: nothing left to pay for.
    expect((await raise(admin.client, cap * 30)).status).toBe(409);
  }, 120_000);
});
