import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { judgeVsHuman } from "@review/shared/review/judge";
import type { Rubric } from "@review/shared/review/report";
import { parseWorkerEnv, startWorker, type WorkerHandle } from "@review/worker";
import type { HandlerDeps } from "@review/worker/features/common";
import { runReviewJudge, type ReviewJudgeResult } from "@review/worker/features/review-judge/handler";
import { createWorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import { addFeedback, callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, waitFor } from "../helpers/stack.ts";
import { TOPICS } from "./fixtures.ts";

// Judge vs human against the dev LLM: people score a queue of good and poor support answers, the
// worker's review_judge handler asks the offline model the rubric prompt for every item and rubric, and
// the job reports the judge's agreement with the human consensus: the same numbers judge.ts gives from
// the stored rows.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
let db: postgres.Sql;
const workers: WorkerHandle[] = [];

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "judge"), createOrg(stack, "judge-other")]);
  db = postgres(stack.dbUrl, { onnotice: () => {}, max: 4 });
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(2000)));
  await db?.end({ timeout: 1 });
});

async function rubric(o: TestOrg, fields: Record<string, unknown>) {
  const { data, error } = await o.users.curator.client.from("score_configs").insert({ org_id: o.id, ...fields }).select().single();
  if (error) throw error;
  return data as Rubric & { id: string };
}

async function queueOf(o: TestOrg, rubricIds: string[], answers: Array<{ query: string; response: string }>) {
  const ids: string[] = [];
  for (const a of answers) ids.push(await addFeedback(stack, o.id, a));
  const { data, error } = await o.users.curator.client
    .from("review_queues")
    .insert({ org_id: o.id, name: "Judge me", source_kind: "feedback", source: { feedback_ids: ids }, score_config_ids: rubricIds, overlap: 2 })
    .select()
    .single();
  if (error) throw error;
  return data as { id: string };
}

/** Runs the job's queue entry on a worker of our own (a task name only it claims), with the real LLM client. */
async function runJudge(jobId: string) {
  const task = `review_judge_${randomUUID().slice(0, 8)}`;
  const moved = await db`update public.job_queue set task = ${task} where job_id = ${jobId} and state = 'queued' returning id`;
  expect(moved).toHaveLength(1);
  const env = parseWorkerEnv({
    DATABASE_URL: stack.dbUrl,
    SUPABASE_URL: stack.apiUrl,
    SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
    WORKER_SCHEDULER: "false",
    LLM_REQUESTS_PER_MINUTE: "100000",
    LOG_LEVEL: "error",
  });
  const deps: HandlerDeps = { sql: db, llm: createWorkerLlm(env, db, silentLogger), env, log: silentLogger };
  expect(deps.llm.route.offline).toBe(true);
  workers.push(await startWorker({ env: { ...env, WORKER_TASKS: task, WORKER_POLL_MS: 100 } as never, handlers: { [task]: (job, ctx) => runReviewJudge(deps, job, ctx) }, log: silentLogger }));
  return waitFor(async () => {
    const [j] = await db`select status::text, result, error from public.jobs where id = ${jobId}`;
    return j && ["completed", "failed"].includes(j.status as string) ? j : null;
  }, { timeout: 90_000, message: `job ${jobId} finished` });
}

describe("review_judge: an LLM judge against the human consensus", () => {
  it("stores a valid judge value per item and rubric, and its agreement equals judge.ts over the stored rows", async () => {
    const quality = await rubric(org, { name: "Quality", kind: "ordinal", levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: `L${v}` })) });
    const escalate = await rubric(org, { name: "Needs escalation", kind: "boolean", description: "Would a human need to follow up on this conversation?" });
    const note = await rubric(org, { name: "Note", kind: "text" });
    // Six answers curators approved and four that fail the customer.
    const good = TOPICS.slice(0, 6).map((t) => ({ query: t.questions[0]!, response: t.answer }));
    const poor = TOPICS.slice(6).map((t, i) => ({ query: t.questions[0]!, response: i % 2 ? "I don't know, sorry." : "Thanks for reaching out! We will look into it." }));
    const q = await queueOf(org, [quality.id, escalate.id, note.id], [...good, ...poor]);

    // Two people score every item; they agree except on one good answer, which an admin settles.
    const goodQueries = new Set(good.map((g) => g.query));
    for (const who of [org.users.curator, org.users.reviewer]) {
      for (;;) {
        const { data: claimed, error } = await who.client.rpc("claim_next_review_item", { p_queue: q.id });
        expect(error).toBeNull();
        if (!claimed) break;
        const item = (claimed as { item: { id: string; query: string } }).item;
        const isGood = goodQueries.has(item.query);
        const value = isGood ? (who === org.users.reviewer && item.query === good[0]!.query ? 5 : 4) : 1;
        const sub = await who.client.rpc("submit_scores", { p_item: item.id, p_scores: { [quality.id]: value, [escalate.id]: !isGood } });
        expect(sub.error).toBeNull();
      }
    }
    const [split] = await db`select i.id from public.review_items i where i.queue_id = ${q.id} and i.query = ${good[0]!.query}`;
    const adj = await org.users.admin.client.rpc("adjudicate", { p_item: split!.id, p_score_config: quality.id, p_value: 5, p_reason: "States the policy and the steps" });
    expect(adj.error).toBeNull();

    // Attacks: a reviewer may not spend the judge budget; a queue of another organization is refused.
    const asReviewer = await callFunction(stack, "start-job", { kind: "review_judge", orgId: org.id, name: "sneaky", config: { queueId: q.id } }, org.users.reviewer.accessToken);
    expect(asReviewer.status).toBe(403);
    const foreign = await callFunction(stack, "start-job", { kind: "review_judge", orgId: other.id, name: "cross-tenant", config: { queueId: q.id } }, other.users.admin.accessToken);
    expect(foreign.status).toBe(400);
    expect(JSON.stringify(foreign.body)).toMatch(/queueId/);

    const started = await callFunction(stack, "start-job", { kind: "review_judge", orgId: org.id, name: "Judge vs human", config: { queueId: q.id } }, org.users.curator.accessToken);
    expect(started.status).toBe(201);
    const job = await runJudge(started.body.job.id);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    const result = job.result as ReviewJudgeResult;

    // 10 items × the two rubrics a judge can answer (free text is skipped, and says so).
    const rows = await db<{ item_id: string; score_config_id: string; value: unknown; model: string }[]>`
      select item_id, score_config_id, value, model from public.judge_scores where job_id = ${started.body.job.id} order by id`;
    expect(rows).toHaveLength(20);
    expect(result.judged).toBe(20);
    expect(result.failed).toBe(0);
    expect(result.skipped.join(" ")).toMatch(/Note/);
    for (const r of rows.filter((x) => x.score_config_id === quality.id)) expect([1, 2, 3, 4, 5]).toContain(r.value);
    for (const r of rows.filter((x) => x.score_config_id === escalate.id)) expect(typeof r.value).toBe("boolean");

    // The same numbers as a direct computation over the stored rows.
    const scores = await db`select item_id, reviewer_id, score_config_id, value from public.scores where queue_id = ${q.id} order by id`;
    const adjudications = await db`select item_id, score_config_id, value from public.adjudications where queue_id = ${q.id}`;
    const direct = judgeVsHuman([quality, escalate], scores as never, adjudications as never, rows, { seed: q.id, resamples: 1000 });
    expect(result.agreement.map((a) => [a.rubricName, a.n])).toEqual([["Quality", 10], ["Needs escalation", 10]]);
    for (const [i, d] of direct.entries()) {
      const a = result.agreement[i]!;
      expect(a.alpha.estimate).toBeCloseTo(d.alpha.estimate, 4);
      expect(a.alpha.lower).toBeCloseTo(d.alpha.lower, 4);
      expect(a.alpha.upper).toBeCloseTo(d.alpha.upper, 4);
      expect(a.kappa).toBeCloseTo(d.kappa!, 4);
    }
    // The offline judge tells the approved answers from the poor ones, as the people did.
    expect(result.agreement[0]!.alpha.estimate).toBeGreaterThan(0.5);

    // Every call is logged like the others.
    const [calls] = await db`select count(*)::int as n from public.ai_requests where org_id = ${org.id} and function_name = 'worker:review-judge'`;
    expect(calls!.n).toBeGreaterThanOrEqual(20);

    // Read with review:report only: the reviewer and another organization's admin see nothing.
    const asCurator = await org.users.curator.client.from("judge_scores").select("id").eq("queue_id", q.id);
    expect(asCurator.data).toHaveLength(20);
    const asManager = await org.users.manager.client.from("judge_scores").select("id").eq("queue_id", q.id);
    expect(asManager.data).toHaveLength(20);
    const peek = await org.users.reviewer.client.from("judge_scores").select("id").eq("queue_id", q.id);
    expect(peek.data).toEqual([]);
    const cross = await other.users.admin.client.from("judge_scores").select("id").eq("queue_id", q.id);
    expect(cross.data).toEqual([]);
  }, 180_000);

  it("the database refuses a judge value the rubric does not allow, or an item of another queue", async () => {
    const r = await rubric(org, { name: "Scale", kind: "ordinal", levels: [1, 2, 3].map((v) => ({ value: v, label: `L${v}` })) });
    const q = await queueOf(org, [r.id], [{ query: "q1", response: "a1" }]);
    const q2 = await queueOf(org, [r.id], [{ query: "q2", response: "a2" }]);
    const [{ id: jobId }] = (await db`insert into public.jobs (org_id, kind, name, config) values (${org.id}, 'review_judge', 't', ${db.json({ queueId: q.id })}) returning id`) as never as [{ id: string }];
    const [item] = await db`select id from public.review_items where queue_id = ${q.id}`;
    const [item2] = await db`select id from public.review_items where queue_id = ${q2.id}`;
    const insert = (itemId: string, value: unknown) =>
      db`insert into public.judge_scores (org_id, job_id, queue_id, item_id, score_config_id, value, model) values (${org.id}, ${jobId}, ${q.id}, ${itemId}, ${r.id}, ${db.json(value as never)}, 'm')`;
    await expect(insert(item!.id, 7)).rejects.toThrow(/valid ordinal/);
    await expect(insert(item2!.id, 2)).rejects.toThrow(/not one of this queue/);
    await insert(item!.id, 2);
  });
});
