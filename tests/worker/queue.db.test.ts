import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { parseWorkerEnv, startWorker, type Handler, type WorkerHandle } from "@review/worker";
import { runFineTune } from "@review/worker/features/fine-tune/handler";
import { resolveModelRoute } from "@review/shared/llm/routing";
import { silentLogger } from "@review/worker/log";
import { createPgStore } from "@review/worker/queue/pg-store";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { client, getStack, sql, waitFor } from "../helpers/stack.ts";

// Database-backed queue tests. Each test uses its own task names, so workers of other test files (which
// run against the same database) never claim these entries and these workers never claim theirs.
let stack: StackInfo;
let org: TestOrg;
const workers: WorkerHandle[] = [];

beforeAll(async () => {
  stack = await getStack();
  org = await createOrg(stack, "queue");
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(2000)));
});

function task(label: string) {
  return `t_${label}_${randomUUID().slice(0, 8)}`;
}

async function worker(handlers: Record<string, Handler>, env: Record<string, string> = {}) {
  const w = await startWorker({
    env: {
      DATABASE_URL: stack.dbUrl,
      SUPABASE_URL: stack.apiUrl,
      WORKER_SCHEDULER: "false",
      WORKER_TASKS: Object.keys(handlers).join(","),
      WORKER_POLL_MS: "200",
      WORKER_BACKOFF_BASE_MS: "40",
      WORKER_BACKOFF_MAX_MS: "200",
      ...env,
    },
    handlers,
    log: silentLogger,
  });
  workers.push(w);
  return w;
}

/** A job row plus its queue entry under a test task name (enqueue_job uses the job kind as the task). */
async function jobWithEntry(t: string, opts: { maxAttempts?: number; payload?: unknown } = {}) {
  const db = sql(stack);
  const [job] = await db`insert into public.jobs (org_id, kind, name) values (${org.id}, 'drift', ${t}) returning id`;
  await db`insert into public.job_queue (task, payload, job_id, org_id, max_attempts)
           values (${t}, ${db.json((opts.payload ?? { jobId: job!.id }) as never)}, ${job!.id}, ${org.id}, ${opts.maxAttempts ?? null})`;
  return job!.id as string;
}

describe("job queue", () => {
  it("two workers drain 500 jobs: each runs exactly once, none is lost", async () => {
    const t = task("drain");
    const runs = new Map<number, number>();
    const byWorker = new Map<string, number>();
    const handler = (name: string): Handler => async (job) => {
      const n = (job.payload as { n: number }).n;
      runs.set(n, (runs.get(n) ?? 0) + 1);
      byWorker.set(name, (byWorker.get(name) ?? 0) + 1);
    };
    await worker({ [t]: handler("w1") }, { WORKER_CONCURRENCY: "8" });
    await worker({ [t]: handler("w2") }, { WORKER_CONCURRENCY: "8" });
    await sql(stack)`insert into public.job_queue (task, payload) select ${t}, jsonb_build_object('n', g) from generate_series(1, 500) g`;
    await waitFor(() => [...runs.values()].reduce((s, x) => s + x, 0) >= 500, { timeout: 60_000, message: "500 jobs run" });
    await waitFor(async () => (await sql(stack)`select count(*)::int as n from public.job_queue where task = ${t}`)[0]!.n === 0, { message: "queue drained" });
    expect(runs.size).toBe(500);
    expect([...runs.values()].every((c) => c === 1)).toBe(true);
    // Both workers took part (SKIP LOCKED spreads the work instead of serializing it).
    expect(byWorker.get("w1")).toBeGreaterThan(0);
    expect(byWorker.get("w2")).toBeGreaterThan(0);
  });

  it("retries with backoff, then parks the job as failed with a readable reason", async () => {
    const t = task("flaky");
    const attempts: number[] = [];
    await worker({ [t]: async (_j, ctx) => { attempts.push(ctx.attempt); throw new Error(`upstream answered 503 (attempt ${ctx.attempt})`); } });
    const jobId = await jobWithEntry(t, { maxAttempts: 3 });
    const job = await waitFor(async () => {
      const [j] = await sql(stack)`select status, error from public.jobs where id = ${jobId}`;
      return j?.status === "failed" ? j : null;
    }, { timeout: 15_000, message: "job parked" });
    expect(attempts).toEqual([1, 2, 3]);
    expect(job.error).toBe("Gave up after 3 attempts. Last error: upstream answered 503 (attempt 3)");
    const [entry] = await sql(stack)`select state, attempts, last_error from public.job_queue where job_id = ${jobId}`;
    expect(entry).toMatchObject({ state: "failed", attempts: 3, last_error: "upstream answered 503 (attempt 3)" });
    const events = await sql(stack)`select step from public.job_events where job_id = ${jobId} order by id`;
    expect(events.map((e) => e.step)).toEqual(["retry", "retry", "failed"]);
  });

  it("fails a malformed job at once with a clear error and keeps serving the queue", async () => {
    const db = sql(stack);
    const t = task("malformed");
    // A fine-tune config no client could send through the function (tags is not a list), run by the real
    // fine-tune handler under a task name only this test's worker serves.
    const [bad] = await db`insert into public.jobs (org_id, kind, name, config) values (${org.id}, 'fine_tune', 'malformed', ${db.json({ tags: 5 } as never)}) returning id`;
    await db`insert into public.job_queue (task, payload, job_id, org_id) values (${t}, ${db.json({ jobId: bad!.id } as never)}, ${bad!.id}, ${org.id})`;
    await db`insert into public.job_queue (task, payload) values (${t}, ${db.json({ jobId: "not-a-uuid" } as never)})`;
    const next = task("after");
    let ranGood = false;
    const env = parseWorkerEnv({ DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl });
    const deps = { sql: db, env, log: silentLogger, llm: { route: resolveModelRoute({ SUPABASE_URL: stack.apiUrl }), complete: () => Promise.reject(new Error("not used")) } };
    await worker({ [t]: (job, ctx) => runFineTune(deps, job, ctx), [next]: async () => { ranGood = true; } });
    await db`insert into public.job_queue (task, payload) values (${next}, '{}')`;
    const job = await waitFor(async () => {
      const [j] = await db`select status, error from public.jobs where id = ${bad!.id}`;
      return j?.status === "failed" ? j : null;
    }, { message: "malformed job failed" });
    expect(job.error).toBe("Failed without retrying: The job's configuration is invalid: tags: Invalid input: expected array, received number");
    const [entry] = await db`select attempts from public.job_queue where job_id = ${bad!.id}`;
    expect(entry!.attempts).toBe(1);
    const [orphan] = await waitFor(async () => {
      const rows = await db`select state, last_error from public.job_queue where task = ${t} and job_id is null and state = 'failed'`;
      return rows.length ? rows : null;
    }, { message: "malformed payload parked" });
    expect(orphan!.last_error).toMatch(/^The queue entry's payload is malformed: jobId: Invalid UUID/);
    await waitFor(() => ranGood, { message: "the next job ran" });
  });

  it("cancels a waiting job at once and a running one through its worker", async () => {
    const t = task("cancel");
    // An admin cancels as themselves; the database checks the role and records who.
    const admin = client(stack, stack.anonKey, org.users.admin.accessToken);
    // Waiting: no worker for this task yet.
    const waiting = await jobWithEntry(t);
    const r1 = await admin.rpc("cancel_job", { p_job_id: waiting });
    expect(r1.error).toBeNull();
    expect(r1.data).toBe("cancelled");
    expect((await sql(stack)`select count(*)::int as n from public.job_queue where job_id = ${waiting}`)[0]!.n).toBe(0);

    let aborted = false;
    await worker({ [t]: (_j, ctx) => new Promise((_res, rej) => ctx.signal.addEventListener("abort", () => { aborted = true; rej(ctx.signal.reason); })) });
    const running = await jobWithEntry(t);
    await waitFor(async () => (await sql(stack)`select status from public.jobs where id = ${running}`)[0]?.status === "running", { message: "running" });
    const r2 = await admin.rpc("cancel_job", { p_job_id: running });
    expect(r2.data).toBe("running");
    await waitFor(async () => (await sql(stack)`select status from public.jobs where id = ${running}`)[0]?.status === "cancelled", { message: "cancelled" });
    expect(aborted).toBe(true);
    const audit = await sql(stack)`select action, actor_id from public.audit_logs where entity_id = ${running} and action = 'job.cancel_requested'`;
    expect(audit).toEqual([{ action: "job.cancel_requested", actor_id: org.users.admin.id }]);
  });

  it("a claim records the completions handed in, fenced on their leases, and says what is left", async () => {
    const t = task("settle");
    const db = sql(stack);
    const store = createPgStore(db, { listen: false });
    const withJob = await jobWithEntry(t);
    await db`insert into public.job_queue (task) select ${t} from generate_series(1, 2)`;
    const later = new Date(Date.now() + 3_600_000);
    await db`insert into public.job_queue (task, run_at) values (${t}, ${later})`;

    const first = await store.completeAndClaim("w1", [], 2, 30_000, [t]);
    expect(first.jobs).toHaveLength(2);
    expect(first.more).toBe(true);
    const [a, b] = first.jobs;
    // One completion with its lease, one with a stale attempt (its lease was lost): only the first counts.
    const second = await store.completeAndClaim("w1", [
      { lease: { id: a!.id, attempt: a!.attempt }, result: { ok: 1 } },
      { lease: { id: b!.id, attempt: b!.attempt + 1 }, result: null },
    ], 2, 30_000, [t]);
    expect(second.completed).toEqual([a!.id]);
    expect(second.jobs).toHaveLength(1);
    expect(second.more).toBe(false);
    // Fewer than asked for: the answer says when the entry scheduled for later becomes ready.
    expect(second.nextRunAt?.getTime()).toBe(later.getTime());
    const left = await db`select id::text, state from public.job_queue where task = ${t} order by id`;
    expect(left.map((r) => r.id)).not.toContain(a!.id);
    expect(left.find((r) => r.id === b!.id)?.state).toBe("running");
    const [job] = await db`select status, result from public.jobs where id = ${withJob}`;
    expect(job).toEqual({ status: "completed", result: { ok: 1 } });
  });

  it("is not reachable by users: no queue rows, no enqueue, no cancel", async () => {
    const t = task("hidden");
    await jobWithEntry(t);
    const admin = client(stack, stack.anonKey, org.users.admin.accessToken);
    const rows = await admin.from("job_queue").select("id").eq("task", t);
    expect(rows.data ?? []).toEqual([]);
    // The internal enqueue (schedule keys, priorities) is not exposed at all; starting goes through start_job.
    const enq = await admin.rpc("enqueue_job", { p_org_id: org.id, p_kind: "drift", p_name: "sneaky" });
    expect(enq.error?.code).toBe("PGRST202");
    const byCurator = await client(stack, stack.anonKey, org.users.curator.accessToken).rpc("start_job", { p_org_id: org.id, p_kind: "drift", p_name: "sneaky" });
    expect(byCurator.error?.code).toBe("42501");
    const anon = client(stack);
    const cancel = await anon.rpc("cancel_job", { p_job_id: randomUUID() });
    expect(cancel.error).not.toBeNull();
  });
});

