import { createHash, randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { DeterministicCheck, runDeterministic } from "@review/shared/datasets/evaluators";
import { isExcludedFromOnlineEval, ONLINE_EVAL_LIMITS } from "@review/shared/datasets/online";
import { evaluateAlerts } from "@review/worker/features/alerts/evaluate";
import { runOnlineEval } from "@review/worker/features/online-eval/handler";
import { parseWorkerEnv } from "@review/worker";
import { createWorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import type { ClaimedJob } from "@review/worker/queue/types";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack } from "../helpers/stack.ts";

// Online evaluation as a user of the product meets it: a rule samples new LLM calls (by rate and
// filters, the same calls every time), the worker scores them with the experiments' evaluator code,
// the boards show the trend, and a falling score raises the default alert. Each scenario has its own
// organization; the worker's handler runs here on the queue entries the trigger wrote.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
let db: postgres.Sql;

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "online-eval"), createOrg(stack, "online-eval-other")]);
  db = postgres(stack.dbUrl, { onnotice: () => {}, max: 3 });
});
afterAll(async () => {
  await db?.end({ timeout: 1 });
});

async function newOrg(label: string): Promise<string> {
  const [o] = await db`insert into public.organizations (name, slug) values (${label}, ${`${label}-${randomUUID().slice(0, 8)}`}) returning id`;
  return o!.id;
}

async function evaluator(orgId: string, config: unknown, kind = "deterministic"): Promise<string> {
  const [e] = await db`insert into public.evaluators (org_id, name, kind, config) values (${orgId}, ${`ev-${randomUUID().slice(0, 8)}`}, ${kind}, ${db.json(config as never)}) returning id`;
  return e!.id;
}

async function rule(orgId: string, evaluatorId: string, rate: number, filters: Partial<{ function_name: string; model: string; prompt_version_id: string }> = {}): Promise<string> {
  const [r] = await db`
    insert into public.online_evaluators (org_id, evaluator_id, sampling_rate, function_name, model, prompt_version_id)
    values (${orgId}, ${evaluatorId}, ${rate}, ${filters.function_name ?? null}, ${filters.model ?? null}, ${filters.prompt_version_id ?? null}) returning id`;
  return r!.id;
}

type Call = Partial<{ function_name: string; model: string; status: string; output_text: string; input_text: string; latency_ms: number; created_at: Date }>;
async function calls(orgId: string, n: number, c: Call = {}): Promise<string[]> {
  const rows = await db`
    insert into public.ai_requests (org_id, function_name, model, status, latency_ms, input_text, output_text, created_at)
    select ${orgId}, ${c.function_name ?? "suggest-answer"}, ${c.model ?? "offline-fast-1"}, ${c.status ?? "ok"}, ${c.latency_ms ?? 700},
           ${c.input_text ?? "How do I reset my password?"}, ${c.output_text ?? "Click Forgot password on the sign-in page."}, ${c.created_at ?? new Date()}
    from generate_series(1, ${n}) returning id`;
  return rows.map((r) => r.id as string);
}

async function queued(ruleId: string) {
  return db<{ id: string; payload: { ruleId: string; aiRequestId: string } }[]>`
    select id, payload from public.job_queue where task = 'online_eval' and payload ->> 'ruleId' = ${ruleId} order by id`;
}

const entry = (q: { id: string; payload: unknown }): ClaimedJob => ({
  id: String(q.id), task: "online_eval", payload: q.payload, jobId: null, orgId: null, attempt: 1, maxAttempts: 3, checkpoint: null,
  cancelRequested: false, createdAt: new Date(), runAt: new Date(),
});

/** The worker's handler over every entry the trigger queued for a rule (as the queue would run them). */
async function score(ruleId: string) {
  const out = [];
  for (const q of await queued(ruleId)) {
    out.push(await runOnlineEval({ sql: db }, entry(q)));
    await db`delete from public.job_queue where id = ${q.id}`;
  }
  return out;
}

/** The hash the trigger samples by, computed here independently: md5(request:rule), 60 bits, in [0, 1). */
const bucket = (request: string, ruleId: string) =>
  Number(BigInt(`0x${createHash("md5").update(`${request}:${ruleId}`).digest("hex").slice(0, 15)}`)) / 2 ** 60;

describe("limits", () => {
  it("the database enforces the numbers shared/ declares", async () => {
    const [l] = await db`select private.online_eval_limits() as l`;
    expect(l!.l).toEqual({ ...ONLINE_EVAL_LIMITS });
    const o = await newOrg("oe-limits");
    const ev = await evaluator(o, { type: "length", min: 1 });
    await expect(rule(o, ev, ONLINE_EVAL_LIMITS.maxSamplingRate + 0.01)).rejects.toThrow(/check constraint|at most/);
    await expect(rule(o, ev, -0.1)).rejects.toThrow(/check constraint/);
    for (let i = 0; i < ONLINE_EVAL_LIMITS.maxEnabledRulesPerOrg; i++) await rule(o, ev, 0);
    await expect(rule(o, ev, 0)).rejects.toThrow(/at most 10 enabled online evaluators/);
    // A disabled one does not count, and cannot be switched on past the limit either.
    const [off] = await db`insert into public.online_evaluators (org_id, evaluator_id, sampling_rate, enabled) values (${o}, ${ev}, 0, false) returning id`;
    await expect(db`update public.online_evaluators set enabled = true where id = ${off!.id}`).rejects.toThrow(/at most 10/);
  });

  it("the database never samples the same calls shared/ says are never sampled", async () => {
    const names = ["suggest-answer", "create-improvement-case", "regenerate-suggestion", "worker:experiment", "worker:ab-eval", "worker:ab-eval-judge", "judge-pairwise", "worker:online-eval", "worker:online-eval-judge", "worker:themes"];
    const rows = await db<{ name: string; excluded: boolean }[]>`select n as name, private.online_eval_excluded(n) as excluded from unnest(${names}::text[]) n`;
    expect(Object.fromEntries(rows.map((r) => [r.name, r.excluded]))).toEqual(Object.fromEntries(names.map((n) => [n, isExcludedFromOnlineEval(n)])));
  });

  it("a pairwise LLM judge cannot run on live traffic (no baseline there)", async () => {
    const o = await newOrg("oe-judge");
    const judge = await evaluator(o, { mode: "pairwise" }, "llm_judge");
    await expect(rule(o, judge, 1)).rejects.toThrow(/A pairwise judge cannot run on live traffic: it needs a baseline output/);
  });
});

describe("sampling new ai_requests", () => {
  it("rate 0 samples nothing and keeps no text; rate 1 samples every matching call and keeps its text", async () => {
    const o = await newOrg("oe-rates");
    const ev = await evaluator(o, { type: "length", min: 1 });
    const none = await rule(o, ev, 0);
    const all = await rule(o, ev, 1, { function_name: "suggest-answer" });
    const ids = await calls(o, 25);
    expect(await queued(none)).toHaveLength(0);
    expect((await queued(all)).map((q) => q.payload.aiRequestId).sort()).toEqual([...ids].sort());
    const texts = await db`select count(*) filter (where output_text is not null)::int as kept from public.ai_requests where id = any(${ids}::uuid[])`;
    expect(texts[0]!.kept).toBe(25);
  });

  it("calls outside a rule's filters (function, model, prompt version) are not sampled, and their text is dropped", async () => {
    const o = await newOrg("oe-filters");
    const ev = await evaluator(o, { type: "length", min: 1 });
    const [p] = await db`insert into public.prompts (org_id, slug) values (${o}, 'suggest-answer') returning id`;
    const [v] = await db`insert into public.prompt_versions (org_id, prompt_id, version, template, model) values (${o}, ${p!.id}, 1, 'Answer {{query}}', 'offline-fast-1') returning id`;
    const byFn = await rule(o, ev, 1, { function_name: "create-improvement-case" });
    const byModel = await rule(o, ev, 1, { model: "claude-sonnet-4-5" });
    const byVersion = await rule(o, ev, 1, { prompt_version_id: v!.id });
    const ids = await calls(o, 10, { function_name: "suggest-answer", model: "offline-fast-1" });
    for (const r of [byFn, byModel, byVersion]) expect(await queued(r)).toHaveLength(0);
    const [t] = await db`select count(*) filter (where input_text is not null or output_text is not null)::int as kept from public.ai_requests where id = any(${ids}::uuid[])`;
    expect(t!.kept).toBe(0);
    await calls(o, 3, { function_name: "create-improvement-case" });
    expect(await queued(byFn)).toHaveLength(3);
  });

  it("is deterministic: the calls sampled at 0.5 are exactly those whose hash of (request, rule) falls under 0.5", async () => {
    const o = await newOrg("oe-hash");
    const ev = await evaluator(o, { type: "length", min: 1 });
    const half = await rule(o, ev, 0.5);
    const ids = await calls(o, 200);
    const sampled = new Set((await queued(half)).map((q) => q.payload.aiRequestId));
    const expected = ids.filter((id) => bucket(id, half) < 0.5);
    expect([...sampled].sort()).toEqual(expected.sort());
    expect(sampled.size).toBeGreaterThan(70);
    expect(sampled.size).toBeLessThan(130);
    // Asked again, the database gives the same answer for the same request (a replay is never sampled twice:
    // the queue entry is keyed by rule and request, the result unique per rule and request).
    const again = await db`select count(*)::int as n from unnest(${ids}::uuid[]) r(id) where private.online_eval_bucket(r.id, ${half}) < 0.5`;
    expect(again[0]!.n).toBe(sampled.size);
  });

  it("never samples judge calls, the task's own calls, or failed calls", async () => {
    const o = await newOrg("oe-loop");
    const ev = await evaluator(o, { type: "length", min: 1 });
    const all = await rule(o, ev, 1);
    await calls(o, 2, { function_name: "worker:ab-eval-judge" });
    await calls(o, 2, { function_name: "worker:online-eval" });
    await calls(o, 2, { status: "error" });
    expect(await queued(all)).toHaveLength(0);
    await calls(o, 1, { function_name: "worker:experiment" });
    expect(await queued(all)).toHaveLength(1);
  });
});

describe("the worker scores a sampled call", () => {
  it("a real LLM call through the worker's client is sampled with its text and scored exactly as the evaluator scores it directly; once per rule", async () => {
    const check = { type: "regex", pattern: "password", flags: "i" } as const;
    const ev = await evaluator(org.id, check);
    const r = await rule(org.id, ev, 1, { function_name: "suggest-answer" });
    const env = parseWorkerEnv({ DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl, SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey, WORKER_SCHEDULER: "false", LOG_LEVEL: "error" });
    const llm = createWorkerLlm(env, db, silentLogger);
    const out = await llm.complete({ model: "offline-fast-1", messages: [{ role: "user", content: "How do I reset my password?" }], maxTokens: 200, context: { functionName: "suggest-answer" }, logOrgId: org.id });

    const [q] = await queued(r);
    expect(q).toBeDefined();
    const [logged] = await db`select id, input_text, output_text, latency_ms from public.ai_requests where id = ${q!.payload.aiRequestId}`;
    expect(logged).toMatchObject({ input_text: "How do I reset my password?", output_text: out.text });

    const [res] = await score(r);
    const direct = runDeterministic(DeterministicCheck.parse(check), { output: out.text, expected: null, latencyMs: logged!.latency_ms, costUsd: out.costUsd });
    expect(res).toMatchObject({ stored: true, score: direct });
    const stored = await db`select score, function_name, model, details from public.online_eval_results where rule_id = ${r}`;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ score: direct, function_name: "suggest-answer", model: "offline-fast-1" });
    expect(stored[0]!.details.output).toBe(out.text.slice(0, 500));

    // The same task again (a retry after a lost lease) stores nothing new.
    expect(await runOnlineEval({ sql: db }, entry(q!))).toMatchObject({ stored: false });
    expect(await db`select 1 from public.online_eval_results where rule_id = ${r}`).toHaveLength(1);
  });

  it("scores every sampled call with the same function as experiments (length check over outputs of varied lengths)", async () => {
    const o = await newOrg("oe-worker");
    const check = { type: "length", min: 10, max: 40 } as const;
    const r = await rule(o, await evaluator(o, check), 1);
    const outputs = ["short", "exactly within the bounds", "x".repeat(41), "ten chars!"];
    for (const text of outputs) await calls(o, 1, { output_text: text });
    await score(r);
    const rows = await db`select r.score, q.output_text from public.online_eval_results r join public.ai_requests q on q.id = r.ai_request_id where r.rule_id = ${r}`;
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row.score).toBe(runDeterministic(DeterministicCheck.parse(check), { output: row.output_text, expected: null, latencyMs: 700, costUsd: 0 }));
  });
});

describe("the boards' trend", () => {
  it("mean score and n per rule and day over the board's range; hourly on request", async () => {
    const r = await rule(org.id, await evaluator(org.id, { type: "contains", value: "refund" }), 1, { function_name: "board-trend" });
    const yesterday = new Date(Date.now() - 864e5);
    await calls(org.id, 3, { function_name: "board-trend", output_text: "We refund it.", created_at: yesterday });
    await calls(org.id, 1, { function_name: "board-trend", output_text: "No.", created_at: yesterday });
    await calls(org.id, 2, { function_name: "board-trend", output_text: "A refund is on its way." });
    await score(r);
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const trend = await org.users.manager.client.rpc("board_online_eval", { p_org: org.id, p_from: day(yesterday), p_to: day(new Date()) });
    expect(trend.error).toBeNull();
    const mine = (trend.data as Array<{ bucket: string; rule_id: string; n: number; mean_score: number }>).filter((x) => x.rule_id === r);
    expect(mine.map((x) => [x.bucket.slice(0, 10), Number(x.n), x.mean_score])).toEqual([[day(yesterday), 4, 0.75], [day(new Date()), 2, 1]]);
    const hourly = await org.users.admin.client.rpc("board_online_eval", { p_org: org.id, p_from: day(yesterday), p_to: day(new Date()), p_bucket: "hour" });
    expect((hourly.data as Array<{ rule_id: string; n: number }>).filter((x) => x.rule_id === r).reduce((s, x) => s + Number(x.n), 0)).toBe(6);
  });
});

describe("alerts", () => {
  it("the first online evaluator turns the default rule on; a score under 0.7 over its minimum sample fires it", async () => {
    const o = await newOrg("oe-alert");
    const enabled = async () => (await db`select enabled from public.alert_rules where org_id = ${o} and default_key = 'online_eval'`)[0]!.enabled;
    expect(await enabled()).toBe(false);
    const r = await rule(o, await evaluator(o, { type: "contains", value: "refund" }), 1);
    expect(await enabled()).toBe(true);

    const now = new Date();
    const alertsOf = () => db`select a.status, a.value, a.sample from public.alerts a join public.alert_rules r on r.id = a.rule_id where a.org_id = ${o} and r.default_key = 'online_eval'`;
    // 10 of 15 pass (0.67) but under the minimum sample of 20: no verdict.
    await calls(o, 10, { output_text: "Your refund is on its way." });
    await calls(o, 5, { output_text: "Please contact support." });
    await score(r);
    await evaluateAlerts({ sql: db }, now);
    expect(await alertsOf()).toHaveLength(0);
    // 12 of 24 (0.5) over the sample: it fires, with the value and sample the results give.
    await calls(o, 2, { output_text: "A refund is possible." });
    await calls(o, 7, { output_text: "No idea." });
    await score(r);
    await evaluateAlerts({ sql: db }, new Date(now.getTime() + 60_000));
    const fired = await alertsOf();
    expect(fired).toHaveLength(1);
    expect({ ...fired[0], sample: Number(fired[0]!.sample) }).toMatchObject({ status: "firing", value: 0.5, sample: 24 });
  });

  it("the default rule is per evaluator: a failing check fires under its own name while a passing one cannot hide it", async () => {
    const o = await newOrg("oe-alert-split");
    const [passing, failing] = [await evaluator(o, { type: "length", min: 1 }), await evaluator(o, { type: "contains", value: "refund" })];
    const [rp, rf] = [await rule(o, passing, 1), await rule(o, failing, 1)];
    // 30 calls, each scored by both: the length check passes all, "refund" 6 of 30 (0.2). Averaged
    // together they would read 0.6 — and with one more passing check 0.73, silent.
    await calls(o, 6, { output_text: "Your refund is on its way." });
    await calls(o, 24, { output_text: "Please contact support." });
    await score(rp);
    await score(rf);
    await evaluateAlerts({ sql: db }, new Date());
    const names = Object.fromEntries((await db`select id, name from public.evaluators where org_id = ${o}`).map((e) => [e.id, e.name]));
    const open = await db`select a.scope_key, a.value, a.sample from public.alerts a join public.alert_rules r on r.id = a.rule_id
                          where a.org_id = ${o} and r.default_key = 'online_eval' and a.status = 'firing'`;
    expect(open.map((a) => ({ scope_key: a.scope_key, value: a.value, sample: Number(a.sample) }))).toEqual([{ scope_key: names[failing], value: 0.2, sample: 30 }]);
  });
});

describe("attacks", () => {
  it("another organization's admin can neither read, add, change nor remove a rule, nor read results or the trend", async () => {
    const ev = await evaluator(org.id, { type: "length", min: 1 });
    const r = await rule(org.id, ev, 1, { function_name: "attack-target" });
    await calls(org.id, 1, { function_name: "attack-target" });
    await score(r);
    const stranger = other.users.admin.client;
    expect((await stranger.from("online_evaluators").select("id").eq("id", r)).data).toEqual([]);
    expect((await stranger.from("online_eval_results").select("id").eq("rule_id", r)).data).toEqual([]);
    const forged = await stranger.from("online_evaluators").insert({ org_id: org.id, evaluator_id: ev, sampling_rate: 1 });
    expect(forged.error?.code).toBe("42501");
    // Their own organization, pointing at this organization's evaluator: the composite key refuses it.
    const crossRef = await stranger.from("online_evaluators").insert({ org_id: other.id, evaluator_id: ev, sampling_rate: 1 });
    expect(crossRef.error).not.toBeNull();
    await stranger.from("online_evaluators").update({ sampling_rate: 0 }).eq("id", r);
    await stranger.from("online_evaluators").delete().eq("id", r);
    expect((await db`select sampling_rate from public.online_evaluators where id = ${r}`)[0]!.sampling_rate).toBe(1);
    const trend = await stranger.rpc("board_online_eval", { p_org: org.id, p_from: "2026-01-01", p_to: "2026-12-31" });
    expect(trend.error).not.toBeNull();
    expect(trend.data).toBeNull();
  });

  it("a queue entry naming another organization's call scores nothing (the handler reads the call within the rule's organization)", async () => {
    const r = await rule(org.id, await evaluator(org.id, { type: "length", min: 1 }), 0);
    const [theirs] = await calls(other.id, 1);
    const out = await runOnlineEval({ sql: db }, entry({ id: "0", payload: { ruleId: r, aiRequestId: theirs } }));
    expect(out).toMatchObject({ stored: false, skipped: "request gone" });
    expect(await db`select 1 from public.online_eval_results where ai_request_id = ${theirs!}`).toHaveLength(0);
  });

  it("a reviewer cannot attach an evaluator to live traffic, read results, or read the trend; a curator can attach one and see results", async () => {
    const ev = await evaluator(org.id, { type: "length", min: 1 });
    const denied = await org.users.reviewer.client.from("online_evaluators").insert({ org_id: org.id, evaluator_id: ev, sampling_rate: 1 });
    expect(denied.error?.code).toBe("42501");
    const made = await org.users.curator.client.from("online_evaluators").insert({ org_id: org.id, evaluator_id: ev, sampling_rate: 1, function_name: "curator-made" }).select("id, created_by").single();
    expect(made.error).toBeNull();
    expect(made.data!.created_by).toBe(org.users.curator.id);
    await calls(org.id, 2, { function_name: "curator-made" });
    await score(made.data!.id);
    expect((await org.users.curator.client.from("online_eval_results").select("score").eq("rule_id", made.data!.id)).data).toHaveLength(2);
    expect((await org.users.reviewer.client.from("online_eval_results").select("score").eq("rule_id", made.data!.id)).data).toEqual([]);
    const trend = await org.users.reviewer.client.rpc("board_online_eval", { p_org: org.id, p_from: "2026-01-01", p_to: "2026-12-31" });
    expect(trend.error?.code).toBe("42501");
  });
});
