/**
 * `npm run bench:queue` — the job queue against graphile-worker on the same Postgres, side by side in
 * the same run:
 *   1. no-op throughput (jobs/s) with 3,000 and 20,000 jobs queued, at concurrency 1 and 16;
 *   2. insert → handler start latency (p50/p95) with idle workers, sequential jobs;
 *   3. (full mode) A/B evaluation throughput with a simulated LLM of fixed latency, against the limit
 *      concurrency / latency (calls/s).
 * Every point is measured BENCH_RUNS times (default 3), the two systems back to back and in alternating
 * order, each from a vacuumed table; the summary gives medians and the per-run ratios (the machine this
 * runs on is shared, so only ratios measured side by side mean much).
 *
 * BENCH_QUICK=1: throughput over the first BENCH_SAMPLE_JOBS (2,000) jobs of each backlog instead of
 * draining it (the claim then always works against the full backlog), 100 latency samples, no A/B eval.
 * Starts its own embedded stack in .data/bench-queue (or uses DATABASE_URL). Results: bench/README-queue.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { createRequire } from "node:module";
import { freePort, createLogger, startStack, type Stack } from "@review/local-supabase";
import { startWorker, type WorkerHandle } from "@review/worker";
import type { WorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import { quantile } from "@review/shared/stats/index";

const QUICK = process.env.BENCH_QUICK === "1";
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BACKLOGS = (process.env.BENCH_BACKLOGS ?? "3000,20000").split(",").filter(Boolean).map(Number);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? "1,16").split(",").map(Number);
/** Jobs timed per throughput point: all of the backlog, or (quick) the first N of it. */
const SAMPLE_JOBS = QUICK ? Number(process.env.BENCH_SAMPLE_JOBS ?? 2000) : Infinity;
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? (QUICK ? 100 : 200));
const EVAL = process.env.BENCH_EVAL ? process.env.BENCH_EVAL === "1" : !QUICK;
const root = path.resolve(import.meta.dirname, "..");
// graphile-worker is a devDependency of the worker workspace (the peer it is compared with), so it is
// resolved from there.
type Graphile = typeof import("graphile-worker");
const graphile = createRequire(path.join(root, "worker", "package.json"))("graphile-worker") as Graphile;
const runGraphile = graphile.run;
const GraphileLogger = graphile.Logger;
type GraphileRunner = Awaited<ReturnType<Graphile["run"]>>;
const PEER = "graphile-worker 0.16";

type Sample = { bench: string; point: string; system: string; run: number; value: Record<string, number> };
const samples: Sample[] = [];

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
  const evalRows: Record<string, string | number>[] = [];
  try {
    // graphile-worker installs its schema on first run.
    const g = await runGraphile({ connectionString: dbUrl, concurrency: 1, taskList: { noop: async () => {} }, noHandleSignals: true, logger: quietGraphileLogger() });
    await g.stop();

    for (let run = 1; run <= RUNS; run++) {
      // Alternate who goes first, so a drift in the machine's load does not favour one system.
      const pair = <T,>(a: T, b: T) => (run % 2 ? [a, b] : [b, a]);
      for (const backlog of BACKLOGS) {
        for (const concurrency of CONCURRENCIES) {
          for (const [system, measure] of pair(["ours", oursThroughput] as const, [PEER, graphileThroughput] as const)) {
            await resetQueues(sql);
            const value = await measure(sql, dbUrl, concurrency, backlog);
            samples.push({ bench: "no-op throughput", point: `${backlog} queued, c${concurrency}`, system, run, value });
            log(`run ${run}: ${system}, ${backlog} queued, c${concurrency}: ${value["jobs/s"]} jobs/s`);
          }
        }
      }
      for (const concurrency of CONCURRENCIES) {
        for (const [system, measure] of pair(["ours", oursLatency] as const, [PEER, graphileLatency] as const)) {
          await resetQueues(sql);
          const value = await measure(sql, dbUrl, concurrency);
          samples.push({ bench: "insert→start", point: `idle, c${concurrency}`, system, run, value });
          log(`run ${run}: ${system}, insert→start c${concurrency}: p50 ${value.p50_ms!.toFixed(1)} ms, p95 ${value.p95_ms!.toFixed(1)} ms`);
        }
      }
    }
    if (EVAL) {
      for (const [concurrency, latencyMs] of [[8, 50], [32, 50]] as const) {
        evalRows.push({ bench: "A/B eval, simulated LLM", system: "ours", concurrency, ...(await evalThroughput(sql, dbUrl, concurrency, latencyMs)) });
      }
    }
  } finally {
    await sql.end({ timeout: 2 });
    await stack?.stop();
  }
  console.log(`\nnode ${process.versions.node}, ${os.cpus().length} CPUs, ${RUNS} run(s)${QUICK ? `, quick: first ${SAMPLE_JOBS} jobs of each backlog` : ", each backlog drained"}, ${LATENCY_SAMPLES} latency samples\n`);
  console.log("Per run:");
  console.table(samples.map((s) => ({ bench: s.bench, point: s.point, system: s.system, run: s.run, ...s.value })));
  console.log("Medians over runs (ratio = ours / peer per run, then its median and range; > 1 is ours ahead for jobs/s, < 1 for latency):");
  console.table(summary());
  if (evalRows.length) console.table(evalRows);
}

const median = (xs: number[]) => quantile(xs, 0.5);
const log = (m: string) => console.error(`[bench] ${m}`);

function summary() {
  const out: Record<string, string | number>[] = [];
  const points = [...new Set(samples.map((s) => `${s.bench}|${s.point}`))];
  for (const key of points) {
    const [bench, point] = key.split("|") as [string, string];
    const of = (system: string) => samples.filter((s) => s.bench === bench && s.point === point && s.system === system);
    const ours = of("ours");
    const peer = of(PEER);
    const metrics = bench === "no-op throughput" ? ["jobs/s"] : ["p50_ms", "p95_ms"];
    for (const m of metrics) {
      const ratios = ours.map((o) => o.value[m]! / peer.find((p) => p.run === o.run)!.value[m]!);
      out.push({
        bench, point, metric: m,
        ours: round(median(ours.map((s) => s.value[m]!))),
        [PEER]: round(median(peer.map((s) => s.value[m]!))),
        "ratio (median)": ratios.length ? median(ratios).toFixed(2) : "",
        "ratio range": ratios.length ? `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}` : "",
        runs: ours.length,
      });
    }
  }
  return out;
}

const round = (x: number) => (x >= 100 ? Math.round(x) : Math.round(x * 10) / 10);

/** Every measurement starts from empty, vacuumed queue tables (a bench leftover must not slow the next). */
async function resetQueues(sql: postgres.Sql) {
  await sql`delete from public.job_queue where task like 'bench\_%'`;
  await sql`delete from graphile_worker._private_jobs`;
  await sql.unsafe("vacuum analyze public.job_queue");
  await sql.unsafe("vacuum analyze graphile_worker._private_jobs");
}

/**
 * Counts handler calls; the clock runs from the first handler to the `target`-th, so connecting and
 * starting a worker is not part of the throughput.
 */
function counter(target: number) {
  let done = 0;
  let first = 0;
  let finish!: (ms: number) => void;
  const finished = new Promise<number>((r) => (finish = r));
  return {
    finished,
    tick() {
      const t = performance.now();
      if (done === 0) first = t;
      if (++done === target) finish(t - first);
    },
    jobsPerSecond: (ms: number) => Math.round(((target - 1) / ms) * 1000),
  };
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

async function oursThroughput(sql: postgres.Sql, dbUrl: string, concurrency: number, backlog: number) {
  const task = `bench_noop_${concurrency}`;
  await sql`insert into public.job_queue (task, payload) select ${task}, '{}'::jsonb from generate_series(1, ${backlog})`;
  const c = counter(Math.min(backlog, SAMPLE_JOBS));
  const w = await benchWorker(dbUrl, concurrency, { [task]: async () => c.tick() });
  const ms = await c.finished;
  await w.stop(1000);
  return { "jobs/s": c.jobsPerSecond(ms) };
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

async function graphileThroughput(sql: postgres.Sql, dbUrl: string, concurrency: number, backlog: number) {
  await sql`select graphile_worker.add_job('noop', '{}'::json) from generate_series(1, ${backlog})`;
  const c = counter(Math.min(backlog, SAMPLE_JOBS));
  const runner: GraphileRunner = await runGraphile({
    connectionString: dbUrl,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: quietGraphileLogger(),
    taskList: { noop: async () => c.tick() },
  });
  const ms = await c.finished;
  await runner.stop();
  return { "jobs/s": c.jobsPerSecond(ms) };
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
  return { p50_ms: quantile(samples, 0.5), p95_ms: quantile(samples, 0.95) };
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
  return { "LLM calls/s": Math.round(perSecond), "limit calls/s": Math.round(limit), "% of limit": `${Math.round((perSecond / limit) * 100)}%` };
}


main().catch((err) => {
  console.error(err);
  process.exit(1);
});
