import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { parseWorkerEnv, startWorker, type WorkerHandle } from "@review/worker";
import { runAbEval } from "@review/worker/features/ab-eval/handler";
import type { HandlerDeps } from "@review/worker/features/common";
import { createWorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, waitFor } from "../helpers/stack.ts";
import { newPrompt, promoteDirect, saveVersion, statuses } from "../prompts/helpers.ts";
import { approvedExamples } from "./fixtures.ts";

// The loop's last step without a provider key: two prompt versions of `suggest-answer` are evaluated by
// the worker's real A/B handler against the dev LLM (generation and judge both the offline model, over
// HTTP with the service role key), on 30 approved answers. A prompt that asks for what the approved
// answers have (the facts, a direct answer first, the steps) must win with significance and pass the
// gate; a worse prompt must not.
let stack: StackInfo;
let org: TestOrg;
let db: postgres.Sql;
const workers: WorkerHandle[] = [];

const TEMPLATE = "A customer asked:\n<query>{{query}}</query>\n\nWrite the answer a support agent would give.";
const BARE = "TASK: suggest-answer\nYou are a customer-support agent. Answer the customer's question.";
// What a curator who read the approved answers would write: the policies they rely on, and their shape.
const BETTER = `TASK: suggest-answer
You are a customer-support agent. Use these facts; they are the current policy:
- Refunds: refunds go back to the original payment method within 5 business days. To ask for one, open Orders, choose the order and click Request refund.
- Passwords: click Forgot password on the sign-in page, enter your email and follow the reset link. The link expires after one hour.
- Invoices: go to Settings, Billing, Invoices and click Download next to the invoice. Every invoice is a PDF, kept for seven years.
- Shipping: standard shipping takes 3 to 5 business days, express 1 to 2 business days. The tracking link arrives by email once the parcel leaves the warehouse.
- Cancelling a subscription: open Settings, Plan and click Cancel subscription. Access continues until the end of the paid period, with no further charge.
- Data export: open Settings, Privacy and choose Export data. We email a ZIP of CSV files within 24 hours.
- Two-factor authentication: go to Settings, Security, Two-factor authentication, scan the QR code with an authenticator app and enter the six digit code.
- Team members: open Team, click Invite member and enter their email address; they join after signing up from the invitation email.
- Delivery address: open Account, Addresses and edit it. For an order that has not shipped, use Change address on the order page.
- Dark mode: open Settings, Appearance and pick Dark, or System to follow the device setting.
Start with the direct answer, then the steps. Keep answers under 120 words. End with the next step.`;
// Friendly and short, but without the facts: reads well, answers little.
const WORSE = "TASK: suggest-answer\nYou are a customer-support agent. Be friendly and keep it short.";

beforeAll(async () => {
  stack = await getStack();
  org = await createOrg(stack, "offline-ab");
  db = postgres(stack.dbUrl, { onnotice: () => {}, max: 6 });
  const examples = approvedExamples({ perTopic: 3 });
  expect(examples).toHaveLength(30);
  for (const e of examples) {
    await db`insert into public.training_examples (org_id, query, answer, tags, created_by) values (${org.id}, ${e.query}, ${e.answer}, ${e.tags}, ${org.users.curator.id})`;
  }
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(2000)));
  await db?.end({ timeout: 1 });
});

/** Runs the job's queue entry on a worker of our own, under a task name only it claims, with the real LLM client. */
async function runEvaluation(jobId: string) {
  const task = `ab_eval_offline_${randomUUID().slice(0, 8)}`;
  // Renamed while still queued, so no ab_eval worker of another suite on the shared stack takes it.
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
  }, { timeout: 90_000, message: `job ${jobId} finished` });
}

async function evaluate(name: string, a: string, b: string) {
  const started = await callFunction(stack, "start-job", {
    kind: "ab_eval",
    orgId: org.id,
    name,
    config: {
      variantA: { promptVersionId: a },
      variantB: { promptVersionId: b },
      evalSet: { source: "training_examples" },
      promote: true,
    },
  }, org.users.admin.accessToken);
  expect(started.status).toBe(201);
  const job = await runEvaluation(started.body.job.id);
  expect(job.error).toBeNull();
  expect(job.status).toBe("completed");
  return { jobId: started.body.job.id as string, ...(job.result as { analysis: any; decision: any }) };
}

describe("offline A/B: a better prompt wins", () => {
  it("the prompt with the approved answers' facts and shape beats the bare prompt with significance, and the gate promotes it; a worse one does not pass", async () => {
    const prompt = await newPrompt(stack, org, `suggest-answer-${randomUUID().slice(0, 6)}`);
    const bare = await saveVersion(stack, org, prompt.id, TEMPLATE, { systemTemplate: BARE, model: "offline-strong-1" });
    await promoteDirect(stack, bare.id);
    const better = await saveVersion(stack, org, prompt.id, TEMPLATE, { systemTemplate: BETTER, model: "offline-strong-1" });

    const win = await evaluate("better vs bare", bare.id, better.id);
    expect(win.analysis.n).toBe(30);
    expect(win.analysis.pValue).toBeLessThan(0.05);
    expect(win.analysis.meanDelta).toBeGreaterThan(0.5);
    expect(win.analysis.ci95.lower).toBeGreaterThan(0);
    expect(win.analysis.winRateB).toBeGreaterThan(0.8);
    // The reference metrics agree with the judge: B's answers share more with the approved answers.
    expect(win.analysis.deltas.f1).toBeGreaterThan(0.2);
    expect(win.analysis.gate.passed).toBe(true);
    expect(win.decision.promoted).toBe(true);
    expect(await statuses(stack, prompt.id)).toEqual({ 1: "retired", 2: "production" });

    // What a reviewer sees in the drill-down: B states the policy, A does not, and the judge says why.
    const [refund] = await db`
      select output_a, output_b, judge from public.eval_results
      where job_id = ${win.jobId} and query = 'How do I get a refund for my order?'`;
    expect(refund!.output_b).toMatch(/^Refunds go back to the original payment method within 5 business days\./);
    expect(refund!.output_b).toContain("Steps:\n1. Open Orders.");
    expect(refund!.output_b).toMatch(/Next step: open Orders\.$/);
    expect(refund!.output_a).not.toContain("5 business days");
    expect((refund!.judge as Array<{ order: string; winner: string; reason: string }>).map((j) => [j.order, j.winner])).toEqual([["AB", "B"], ["BA", "A"]]);
    expect((refund!.judge as Array<{ reason: string }>)[0]!.reason).toMatch(/reference's facts/);

    // The reverse: a friendlier but fact-free candidate against the new production version.
    const worse = await saveVersion(stack, org, prompt.id, TEMPLATE, { systemTemplate: WORSE, model: "offline-strong-1" });
    const lose = await evaluate("worse vs better", better.id, worse.id);
    expect(lose.analysis.n).toBe(30);
    expect(lose.analysis.meanDelta).toBeLessThan(0);
    expect(lose.analysis.winRateB).toBeLessThan(0.5);
    expect(lose.analysis.gate.passed).toBe(false);
    expect(lose.decision.promoted).toBe(false);
    expect(await statuses(stack, prompt.id)).toEqual({ 1: "retired", 2: "production", 3: "candidate" });
  }, 180_000);
});
