/**
 * `npm run bench:queue` — the job queue against graphile-worker on the same Postgres, in the same run:
 *   1. no-op throughput (jobs/s) at concurrency 1 and 16, 3000 jobs pre-inserted;
 *   2. insert → handler start latency (p50/p95) with idle workers, 200 sequential jobs;
 *   3. A/B evaluation throughput with a simulated LLM of fixed latency, against the limit
 *      concurrency / latency (calls/s).
 * Starts its own embedded stack in .data/bench-queue (or uses DATABASE_URL). Results: bench/README-queue.md.
 */
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { createRequire } from "node:module";
import { freePort, createLogger, startStack, type Stack } from "@review/local-supabase";
import { startWorker, type WorkerHandle } from "@review/worker";
import type { WorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import { quantile } from "@review/shared/stats/index";

const JOBS = Number(process.env.BENCH_JOBS ?? 3000);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 200);
const root = path.resolve(import.meta.dirname, "..");
// graphile-worker is a devDependency of the worker workspace (the peer it is compared with), so it is
// resolved from there.
type Graphile = typeof import("graphile-worker");
const graphile = createRequire(path.join(root, "worker", "package.json"))("graphile-worker") as Graphile;
const runGraphile = graphile.run;
const GraphileLogger = graphile.Logger;
type GraphileRunner = Awaited<ReturnType<Graphile["run"]>>;

type Row = Record<string, string | number>;
const rows: Row[] = [];

async function main() {
  let stack: Stack | undefined;
  let dbUrl = process.env.DATABASE_URL;
  if (!dbUrl) {
    const dataDir = path.join(root, ".data", "bench-queue");
    fs.rmSync(dataDir, { recursive: true, force: true });
    stack = await startStack({ dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger("bench", "warn") });
    dbUrl = stack.dbUrl;
  }
  const sql = postgres(dbUrl, { onnotice: () => {}, max: 4 });
  try {
    // graphile-worker installs its schema on first run.
    const g = await runGraphile({ connectionString: dbUrl, concurrency: 1, taskList: { noop: async () => {} }, noHandleSignals: true, logger: quietGraphileLogger() });
    await g.stop();

    for (const concurrency of [1, 16]) {
      rows.push({ bench: "no-op throughput", system: "ours", concurrency, ...(await oursThroughput(sql, dbUrl, concurrency)) });
      rows.push({ bench: "no-op throughput", system: "graphile-worker 0.16", concurrency, ...(await graphileThroughput(sql, dbUrl, concurrency)) });
    }
    for (const concurrency of [1, 16]) {
      rows.push({ bench: "insert→start latency", system: "ours", concurrency, ...(await oursLatency(sql, dbUrl, concurrency)) });
      rows.push({ bench: "insert→start latency", system: "graphile-worker 0.16", concurrency, ...(await graphileLatency(sql, dbUrl, concurrency)) });
    }
    for (const [concurrency, latencyMs] of [[8, 50], [32, 50]] as const) {
      rows.push({ bench: "A/B eval, simulated LLM", system: "ours", concurrency, ...(await evalThroughput(sql, dbUrl, concurrency, latencyMs)) });
    }
  } finally {
    await sql.end({ timeout: 2 });
    await stack?.stop();
  }
  console.log(`\nnode ${process.versions.node}, ${(await import("node:os")).cpus().length} CPUs, ${JOBS} jobs, ${LATENCY_SAMPLES} latency samples\n`);
  console.table(rows);
}

// ---- ours ----------------------------------------------------------------------------------------

function benchWorker(dbUrl: string, concurrency: number, handlers: Parameters<typeof startWorker>[0]["handlers"], extra: Record<string, string> = {}, llm?: WorkerLlm): Promise<WorkerHandle> {
  return startWorker({
    env: { DATABASE_URL: dbUrl, WORKER_CONCURRENCY: String(concurrency), WORKER_SCHEDULER: "false", WORKER_TASKS: Object.keys(handlers!).join(","), WORKER_POLL_MS: "1000", ...extra },
    handlers,
    log: silentLogger,
    llm,
  });
}

async function oursThroughput(sql: postgres.Sql, dbUrl: string, concurrency: number) {
  const task = `bench_noop_${concurrency}`;
  await sql`insert into public.job_queue (task, payload) select ${task}, '{}'::jsonb from generate_series(1, ${JOBS})`;
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const started = performance.now();
  const w = await benchWorker(dbUrl, concurrency, { [task]: async () => { if (++done === JOBS) finish(); } });
  await all;
  const ms = performance.now() - started;
  await w.stop(1000);
  return { "jobs/s": Math.round((JOBS / ms) * 1000), p50_ms: "", p95_ms: "" };
}

async function oursLatency(sql: postgres.Sql, dbUrl: string, concurrency: number) {
  const task = `bench_latency_${concurrency}`;
  let onStart: ((t: number) => void) | null = null;
  const w = await benchWorker(dbUrl, concurrency, { [task]: async () => void onStart?.(performance.now()) });
  const samples = await measureLatency(async () => {
    await sql`insert into public.job_queue (task) values (${task})`;
  }, (cb) => (onStart = cb));
  await w.stop(1000);
  return latencyRow(samples);
}

// ---- graphile-worker -----------------------------------------------------------------------------

function quietGraphileLogger() {
  // graphile's Logger wants a factory; keep errors visible, drop the chatter.
  return new GraphileLogger(() => (level, message) => {
    if (level === "error") console.error(`[graphile] ${message}`);
  });
}

async function graphileThroughput(sql: postgres.Sql, dbUrl: string, concurrency: number) {
  await sql`select graphile_worker.add_job('noop', '{}'::json) from generate_series(1, ${JOBS})`;
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const started = performance.now();
  const runner: GraphileRunner = await runGraphile({
    connectionString: dbUrl,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: quietGraphileLogger(),
    taskList: { noop: async () => { if (++done === JOBS) finish(); } },
  });
  await all;
  const ms = performance.now() - started;
  await runner.stop();
  return { "jobs/s": Math.round((JOBS / ms) * 1000), p50_ms: "", p95_ms: "" };
}

async function graphileLatency(sql: postgres.Sql, dbUrl: string, concurrency: number) {
  let onStart: ((t: number) => void) | null = null;
  const runner = await runGraphile({
    connectionString: dbUrl,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: quietGraphileLogger(),
    taskList: { lat: async () => void onStart?.(performance.now()) },
  });
  const samples = await measureLatency(async () => {
    await sql`select graphile_worker.add_job('lat', '{}'::json)`;
  }, (cb) => (onStart = cb));
  await runner.stop();
  return latencyRow(samples);
}

// ---- shared --------------------------------------------------------------------------------------

/** Sequential: insert one job (timed from before the INSERT), wait for its handler to start, repeat. */
async function measureLatency(insert: () => Promise<void>, setOnStart: (cb: (t: number) => void) => void): Promise<number[]> {
  const out: number[] = [];
  // A few warm-up jobs so connection setup is not measured.
  for (let i = 0; i < LATENCY_SAMPLES + 5; i++) {
    const t0 = performance.now();
    const started = new Promise<number>((r) => setOnStart(r));
    await insert();
    const t1 = await started;
    if (i >= 5) out.push(t1 - t0);
  }
  return out;
}

function latencyRow(samples: number[]) {
  return { "jobs/s": "", p50_ms: quantile(samples, 0.5).toFixed(1), p95_ms: quantile(samples, 0.95).toFixed(1) };
}

/**
 * The real A/B handler (worker/src/features/ab-eval) over curated items, with an LLM that answers after
 * exactly `latencyMs`. Each item is 4 calls (A, B, judge AB, judge BA); the ceiling is concurrency/latency.
 */
async function evalThroughput(sql: postgres.Sql, dbUrl: string, concurrency: number, latencyMs: number) {
  const items = Array.from({ length: 100 }, (_, i) => ({ query: `Question number ${i} about refunds and invoices?`, reference: `Answer ${i}: open Billing.` }));
  let calls = 0;
  let first = 0;
  let last = 0;
  const llm: WorkerLlm = {
    route: { fast: "sim", strong: "sim", offline: true, apiKey: "x", baseURL: undefined },
    async complete(req) {
      if (!first) first = performance.now();
      await new Promise((r) => setTimeout(r, latencyMs));
      calls++;
      last = performance.now();
      const judge = req.system?.includes("TASK: judge-pairwise");
      const text = judge ? JSON.stringify({ winner: calls % 3 === 0 ? "A" : "B", reason: "simulated" }) : `Simulated answer ${calls}: open Billing.`;
      return { text, model: req.model, servedModel: req.model, stopReason: "end_turn", usage: { inputTokens: 20, outputTokens: 10, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 }, costUsd: 0, latencyMs, traceId: "", requestId: null, flags: [] };
    },
  };
  const [org] = await sql`insert into public.organizations (name, slug) values ('bench', ${`bench-${Date.now()}-${concurrency}`}) returning id`;
  const w = await benchWorker(dbUrl, 1, {}, { WORKER_TASKS: "ab_eval", LLM_REQUESTS_PER_MINUTE: "1000000" }, llm);
  const [job] = await sql`select * from public.enqueue_job(${org!.id}, 'ab_eval', 'bench', ${sql.json({
    variantA: { model: "sim-a" }, variantB: { model: "sim-b" }, evalSet: { source: "curated", items }, concurrency, gate: { minSamples: 10 },
  } as never)})`;
  for (;;) {
    const [j] = await sql`select status, error from public.jobs where id = ${job!.id}`;
    if (j!.status === "completed" || j!.status === "failed") {
      if (j!.status === "failed") throw new Error(`bench eval failed: ${j!.error}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await w.stop(1000);
  const perSecond = (calls / (last - first)) * 1000;
  const limit = (concurrency / latencyMs) * 1000;
  return { "jobs/s": "", p50_ms: "", p95_ms: "", "LLM calls/s": Math.round(perSecond), "limit calls/s": Math.round(limit), "% of limit": `${Math.round((perSecond / limit) * 100)}%` };
}


main().catch((err) => {
  console.error(err);
  process.exit(1);
});
