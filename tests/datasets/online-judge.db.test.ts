import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { ONLINE_EVAL_LIMITS, ONLINE_JUDGE_FUNCTION } from "@review/shared/datasets/online";
import { parseWorkerEnv } from "@review/worker";
import type { HandlerDeps } from "@review/worker/features/common";
import { runExperiment } from "@review/worker/features/experiment/handler";
import { runOnlineEval } from "@review/worker/features/online-eval/handler";
import { createWorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import type { ClaimedJob } from "@review/worker/queue/types";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack } from "../helpers/stack.ts";
import { anthropicError, anthropicJson, providerServer, type Captured, type ProviderServer, type Reply } from "../providers/servers.ts";

// A rubric LLM judge on live traffic, run by the worker's online_eval handler with the worker's real LLM
// client against a loopback Anthropic server: live calls are sampled, the judge's value lands as a
// normalized score with the raw value kept, the judge's own calls are logged and never sampled, the
// daily cap holds under a burst, a replayed sample is never judged twice, and who may attach a judge
// is the database's decision.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
let db: postgres.Sql;
let anthropic: ProviderServer;
let deps: HandlerDeps;
/** What the loopback judge answers next (a queue of replies; empty: a valid 4). */
const judgeReplies: Array<() => Reply> = [];
const judgeCalls: Captured[] = [];

const isJudge = (req: Captured) => String(req.json.system ?? "").includes("TASK: judge-rubric");
const valid = (value: unknown) => () => ({ status: 200, json: anthropicJson(JSON.stringify({ value, reason: "Answers the question with steps." }), "claude-haiku-4-5", { input: 300, output: 30 }) });

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "online-judge"), createOrg(stack, "online-judge-other")]);
  db = postgres(stack.dbUrl, { onnotice: () => {}, max: 6 });
  anthropic = await providerServer((req) => {
    if (!isJudge(req)) return { status: 200, json: anthropicJson("Click Forgot password on the sign-in page, then follow the email link.", req.json.model, { input: 50, output: 20 }) };
    judgeCalls.push(req);
    return (judgeReplies.shift() ?? valid(4))();
  });
  const env = parseWorkerEnv({
    DATABASE_URL: stack.dbUrl,
    SUPABASE_URL: stack.apiUrl,
    SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
    ANTHROPIC_API_KEY: "sk-ant-loopback",
    ANTHROPIC_BASE_URL: anthropic.url,
    // The queue's retry is what a provider error meets here, not the client's own.
    LLM_MAX_RETRIES: "0",
    WORKER_SCHEDULER: "false",
    LOG_LEVEL: "error",
  });
  deps = { sql: db, llm: createWorkerLlm(env, db, silentLogger), env, log: silentLogger };
});
afterAll(async () => {
  await db?.end({ timeout: 1 });
  await anthropic?.close();
});

const RUBRIC = { mode: "rubric", rubric: "Does the answer resolve the question with concrete steps?", model: "claude-haiku-4-5", scale: { min: 1, max: 5, labels: [] } };

async function evaluator(orgId: string, config: unknown, kind = "llm_judge"): Promise<string> {
  const [e] = await db`insert into public.evaluators (org_id, name, kind, config) values (${orgId}, ${`judge-${randomUUID().slice(0, 8)}`}, ${kind}, ${db.json(config as never)}) returning id`;
  return e!.id;
}
async function rule(orgId: string, evaluatorId: string, rate: number, cap?: number): Promise<string> {
  const [r] = await db`
    insert into public.online_evaluators (org_id, evaluator_id, sampling_rate, judge_calls_per_day)
    values (${orgId}, ${evaluatorId}, ${rate}, ${cap ?? 200}) returning id`;
  return r!.id;
}
async function queued(ruleId: string) {
  return db<{ id: string; payload: { ruleId: string; aiRequestId: string } }[]>`
    select id, payload from public.job_queue where task = 'online_eval' and payload ->> 'ruleId' = ${ruleId} order by id`;
}
const entry = (q: { id: string; payload: unknown }): ClaimedJob => ({
  id: String(q.id), task: "online_eval", payload: q.payload, jobId: null, orgId: null, attempt: 1, maxAttempts: 3, checkpoint: null,
  cancelRequested: false, createdAt: new Date(), runAt: new Date(),
});
/** Runs every queued entry of the rule as the queue would (removing each once it succeeded). */
async function drain(ruleId: string) {
  const out = [];
  for (let q = await queued(ruleId); q.length; q = await queued(ruleId)) {
    for (const e of q) {
      out.push(await runOnlineEval(deps, entry(e)));
      await db`delete from public.job_queue where id = ${e.id}`;
    }
  }
  return out;
}
/** A live call of the product, through the worker's own client (logged with its text, as every call is). */
const liveCall = (orgId: string) =>
  deps.llm.complete({ model: "claude-haiku-4-5", messages: [{ role: "user", content: "How do I reset my password?" }], maxTokens: 200, context: { functionName: "suggest-answer" }, logOrgId: orgId });

describe("a rubric judge on live traffic", () => {
  it("scores a sampled call on its scale (normalized, raw kept), logs the judge's call, and never samples the judge's own calls", async () => {
    const o = await createOrg(stack, "oj-loop");
    const ev = await evaluator(o.id, RUBRIC);
    const r = await rule(o.id, ev, 1);
    const before = judgeCalls.length;
    await liveCall(o.id);
    // The queue, run until empty: the judge's call is logged with text too, and must queue nothing.
    const results = await drain(r);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ stored: true, score: 0.75 });
    expect(judgeCalls.length - before).toBe(1);
    const [res] = await db`select score, details from public.online_eval_results where rule_id = ${r}`;
    expect(res!.score).toBe(0.75);
    expect(res!.details).toMatchObject({ raw: 4, label: null, judgeReason: "Answers the question with steps.", judgeModel: "claude-haiku-4-5" });
    const calls = await db`select function_name, model, input_tokens, output_tokens, cost_usd::float8 as cost, latency_ms, input_text from public.ai_requests where org_id = ${o.id} order by created_at`;
    expect(calls.map((c) => c.function_name)).toEqual(["suggest-answer", ONLINE_JUDGE_FUNCTION]);
    const judged = calls[1]!;
    expect(judged).toMatchObject({ input_tokens: 300, output_tokens: 30 });
    expect(judged.cost).toBeGreaterThan(0);
    expect(judged.latency_ms).toBeGreaterThanOrEqual(0);
    // Not sampled: its text was dropped by the trigger and nothing was queued for it.
    expect(judged.input_text).toBeNull();
    expect(await queued(r)).toHaveLength(0);
    // The spend is on the rule's budget for today.
    const [usage] = await o.users.admin.client.rpc("online_judge_usage", { p_org: o.id }).then((x) => x.data as Array<{ rule_id: string; calls: number; cost_usd: number }>);
    expect(usage).toMatchObject({ rule_id: r, calls: 1 });
    expect(Number(usage!.cost_usd)).toBeCloseTo(Number(judged.cost), 8);
  });

  it("a replayed sample is never judged twice", async () => {
    const ev = await evaluator(org.id, RUBRIC);
    const r = await rule(org.id, ev, 1);
    await liveCall(org.id);
    const [q] = await queued(r);
    const before = judgeCalls.length;
    expect(await runOnlineEval(deps, entry(q!))).toMatchObject({ stored: true });
    // The same entry again (a lost lease), and the same sample queued again by hand.
    expect(await runOnlineEval(deps, entry(q!))).toMatchObject({ stored: false, skipped: "already scored" });
    expect(await runOnlineEval(deps, { ...entry(q!), id: "999999999" })).toMatchObject({ stored: false });
    expect(judgeCalls.length - before).toBe(1);
    expect(await db`select 1 from public.online_eval_results where rule_id = ${r}`).toHaveLength(1);
    await db`delete from public.job_queue where id = ${q!.id}`;
  });

  it("a malformed judge answer stores a null score with the reason; a provider error throws for the queue's retry, then scores once", async () => {
    const ev = await evaluator(org.id, RUBRIC);
    const r = await rule(org.id, ev, 1);
    await liveCall(org.id);
    await liveCall(org.id);
    const [bad, flaky] = await queued(r);
    // Asked twice (one more chance), off the scale both times.
    judgeReplies.push(valid(9), () => ({ status: 200, json: anthropicJson("I'd say good.", "claude-haiku-4-5", { input: 1, output: 1 }) }));
    expect(await runOnlineEval(deps, entry(bad!))).toMatchObject({ stored: true, score: null });
    const [b] = await db`select score, details from public.online_eval_results where rule_id = ${r} and ai_request_id = ${bad!.payload.aiRequestId}`;
    expect(b!.details.reason).toMatch(/the judge gave no valid answer/);
    // Both answered calls cost money, scored or not: they are on the rule's budget for today.
    const [spent] = await db`select cost_usd::float8 as cost from private.online_judge_calls where rule_id = ${r} and ai_request_id = ${bad!.payload.aiRequestId}`;
    expect(spent!.cost).toBeGreaterThan(0);

    judgeReplies.push(() => anthropicError(529, "overloaded_error", "overloaded"));
    await expect(runOnlineEval(deps, entry(flaky!))).rejects.toMatchObject({ name: "LlmError" });
    expect(await db`select 1 from public.online_eval_results where rule_id = ${r} and ai_request_id = ${flaky!.payload.aiRequestId}`).toHaveLength(0);
    expect(await runOnlineEval(deps, { ...entry(flaky!), attempt: 2 })).toMatchObject({ stored: true, score: 0.75 });
    // The retry used the sample's own slot: two judged samples, two slots.
    const [slots] = await db`select count(*)::int as n from private.online_judge_calls where rule_id = ${r}`;
    expect(slots!.n).toBe(2);
    await db`delete from public.job_queue where task = 'online_eval' and payload ->> 'ruleId' = ${r}`;
  });

  it("the daily cap holds under a burst: past it, samples are stored unscored with the reason, never judged", async () => {
    const o = await createOrg(stack, "oj-burst");
    const ev = await evaluator(o.id, RUBRIC);
    const r = await rule(o.id, ev, 1, 3);
    await db`
      insert into public.ai_requests (org_id, function_name, model, status, latency_ms, input_text, output_text)
      select ${o.id}, 'suggest-answer', 'claude-haiku-4-5', 'ok', 500, 'How do I reset my password?', 'Click Forgot password, then follow the email link.'
      from generate_series(1, 12)`;
    const q = await queued(r);
    expect(q).toHaveLength(12);
    const before = judgeCalls.length;
    const results = await Promise.all(q.map((e) => runOnlineEval(deps, entry(e))));
    expect(judgeCalls.length - before).toBe(3);
    expect(results.filter((x) => x.score !== null)).toHaveLength(3);
    expect(results.filter((x) => x.skipped === "daily_call_cap")).toHaveLength(9);
    const rows = await db`select score, details from public.online_eval_results where rule_id = ${r}`;
    expect(rows).toHaveLength(12);
    const skipped = rows.filter((x) => x.details.skipped === "daily_call_cap");
    expect(skipped).toHaveLength(9);
    expect(skipped[0]!.details.reason).toMatch(/daily cap on judge calls/);
    expect(skipped.every((x) => x.score === null)).toBe(true);
  });
  it("the daily cost cap stops judging too, with its own reason", async () => {
    const o = await createOrg(stack, "oj-cost");
    const ev = await evaluator(o.id, RUBRIC);
    const r = await rule(o.id, ev, 1);
    await liveCall(o.id);
    await drain(r);
    // Today's spend reaches the limit shared/ declares (as if earlier judge calls had cost that much).
    await db`update private.online_judge_calls set cost_usd = ${ONLINE_EVAL_LIMITS.maxJudgeCostUsdPerRuleDay} where rule_id = ${r}`;
    const before = judgeCalls.length;
    await liveCall(o.id);
    const [res] = await drain(r);
    expect(res).toMatchObject({ stored: true, score: null, skipped: "daily_cost_cap" });
    expect(judgeCalls.length).toBe(before);
  });
});

describe("a rubric judge in an experiment", () => {
  it("the worker scores each output on the scale, normalized, through the same provider client; an answer off the scale scores null", async () => {
    const o = await createOrg(stack, "oj-exp");
    const ev = await evaluator(o.id, { ...RUBRIC, scale: { min: 0, max: 10, labels: [] } });
    const [d] = await db`insert into public.datasets (org_id, name) values (${o.id}, 'judge me') returning id`;
    const [v] = await db`insert into public.dataset_versions (org_id, dataset_id, version) values (${o.id}, ${d!.id}, 1) returning id`;
    await db`insert into public.dataset_items (org_id, version_id, position, query, expected) values
      (${o.id}, ${v!.id}, 0, 'How do I reset my password?', 'Forgot password on the sign-in page.'),
      (${o.id}, ${v!.id}, 1, 'Can I get a refund?', null),
      (${o.id}, ${v!.id}, 2, 'Where is my invoice?', null)`;
    await db`update public.dataset_versions set status = 'published', item_count = 3 where id = ${v!.id}`;
    const [job] = await db`
      insert into public.jobs (org_id, kind, name, status, config) values (${o.id}, 'experiment', 'judge exp', 'running', ${db.json({
        datasetVersionId: v!.id, variants: [{ model: "claude-haiku-4-5", label: "claude" }], evaluatorIds: [ev], baseline: 0,
      })}) returning id`;
    judgeReplies.length = 0;
    judgeReplies.push(valid(7), valid(10), valid(42), valid(43));
    const before = judgeCalls.length;
    const ctx = { signal: new AbortController().signal, progress: async () => {}, saveCheckpoint: async () => {}, checkpoint: null, attempt: 1, log: silentLogger } as never;
    await runExperiment(deps, { ...entry({ id: "1", payload: { jobId: job!.id } }), task: "experiment", jobId: job!.id }, ctx);
    const rows = await db`
      select i.position, r.scores, r.score_details from public.experiment_results r join public.dataset_items i on i.id = r.item_id
       where r.experiment_id = (select id from public.experiments where job_id = ${job!.id}) order by i.position`;
    const name = (await db`select name from public.evaluators where id = ${ev}`)[0]!.name as string;
    const got = rows.map((r) => r.scores[name]).sort();
    // The raw value is kept next to the normalized score; the malformed one keeps the reason.
    for (const r of rows) {
      const d = r.score_details[name];
      if (r.scores[name] === null) expect(d.reason).toMatch(/no valid answer/);
      else expect(r.scores[name]).toBeCloseTo(d.raw / 10, 9);
    }
    // The comparison view's page carries each result's details, read as a member under RLS.
    const [x] = await db`select id from public.experiments where job_id = ${job!.id}`;
    const page = await o.users.admin.client.rpc("experiment_comparison_page", { p_experiment_id: x!.id, p_variant: 0, p_metric: name });
    expect(page.error).toBeNull();
    expect((page.data as Array<{ item_position: number; results: Array<{ score_details?: Record<string, unknown> }> }>).map((p) => p.results[0]!.score_details?.[name]))
      .toEqual(rows.map((r) => r.score_details[name]));
    // Three outputs, judged concurrently: 7 and 10 on a 0–10 scale, and one asked twice off the scale.
    expect(got).toEqual([0.7, 1, null].sort());
    expect(judgeCalls.length - before).toBe(4);
    // The item with an expected answer was judged with it.
    expect(judgeCalls.slice(before).some((c) => c.json.messages.at(-1).content.includes("Forgot password on the sign-in page."))).toBe(true);
    await deps.llm.flushLog?.();
    const [logged] = await db`select count(*)::int as n from public.ai_requests where org_id = ${o.id} and function_name = 'worker:experiment-judge'`;
    expect(logged!.n).toBe(4);
  });
});

describe("who may put a judge on live traffic (the database decides)", () => {
  it("a reviewer cannot attach one; another tenant cannot attach one to this organization or with its evaluator", async () => {
    const ev = await evaluator(org.id, RUBRIC);
    const asReviewer = await org.users.reviewer.client.from("online_evaluators").insert({ org_id: org.id, evaluator_id: ev, sampling_rate: 1 }).select("id");
    expect(asReviewer.error).not.toBeNull();
    const intoOrg = await other.users.admin.client.from("online_evaluators").insert({ org_id: org.id, evaluator_id: ev, sampling_rate: 1 }).select("id");
    expect(intoOrg.error).not.toBeNull();
    const theirEvaluatorOurOrg = await other.users.admin.client.from("online_evaluators").insert({ org_id: other.id, evaluator_id: ev, sampling_rate: 1 }).select("id");
    expect(theirEvaluatorOurOrg.error).not.toBeNull();
    // Raising the cap past the limit, or reading another tenant's judge spend, is refused too.
    const mine = await org.users.curator.client.from("online_evaluators").insert({ org_id: org.id, evaluator_id: ev, sampling_rate: 0.1 }).select("id, judge_calls_per_day").single();
    expect(mine.error).toBeNull();
    expect(mine.data!.judge_calls_per_day).toBe(200);
    const over = await org.users.curator.client.from("online_evaluators").update({ judge_calls_per_day: 100000 }).eq("id", mine.data!.id).select("id");
    expect(over.error?.message).toMatch(/at most 2000 judge calls a day/);
    const spy = await other.users.admin.client.rpc("online_judge_usage", { p_org: org.id });
    expect(spy.error).not.toBeNull();
    // Nor can anyone but the worker take judge slots.
    const claim = await org.users.admin.client.schema("private" as never).rpc("online_judge_claim" as never, { p_rule: mine.data!.id, p_request: randomUUID() } as never);
    expect(claim.error).not.toBeNull();
    await db`delete from public.online_evaluators where id = ${mine.data!.id}`;
  });

  it("pairwise and reference judges are refused on live traffic with the reason", async () => {
    for (const [mode, why] of [["pairwise", /needs a baseline output/], ["reference", /needs an expected answer/]] as const) {
      const ev = await evaluator(org.id, { mode });
      const res = await org.users.admin.client.from("online_evaluators").insert({ org_id: org.id, evaluator_id: ev, sampling_rate: 0.5 }).select("id");
      expect(res.error?.message).toMatch(why);
    }
  });
});
