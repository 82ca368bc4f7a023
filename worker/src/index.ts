import os from "node:os";
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { dbOptions } from "./db.ts";
import { parseWorkerEnv, type WorkerEnv } from "./env.ts";
import type { HandlerDeps } from "./features/common.ts";
import { scheduleDrift } from "./features/drift/handler.ts";
import { scheduleAlertEvaluation } from "./features/alerts/evaluate.ts";
import { scheduleThemes } from "./features/themes/handler.ts";
import { createWorkerLlm, llmStartupProblem, workerLlmEnv, type WorkerLlm } from "./llm.ts";
import { createLogger, type Logger } from "./log.ts";
import { createProcessors } from "./processors.ts";
import { backoffDelay } from "./queue/backoff.ts";
import { createPgStore } from "./queue/pg-store.ts";
import { createRunner, type Outcome } from "./queue/runner.ts";
import { resolveModelRoute } from "@review/shared/llm/routing";
import type { ClaimedJob, Handler } from "./queue/types.ts";

export type StartWorkerOptions = {
  /** Defaults to process.env, parsed with the worker's schema. */
  env?: WorkerEnv | Record<string, string | undefined>;
  log?: Logger;
  /** Replace or add task handlers (tests, the benchmark, the lead's compaction task). */
  handlers?: Record<string, Handler>;
  llm?: WorkerLlm;
  fetch?: typeof fetch;
  onSettled?: (job: ClaimedJob, outcome: Outcome) => void;
};

export type WorkerHandle = { workerId: string; stop(graceMs?: number): Promise<void>; wake(): void };

/**
 * Starts a worker in this process: one Postgres pool, the queue runner, and the drift scheduler. Safe to
 * start several (in one process or many) against one database. `stop()` finishes or releases running jobs.
 */
export async function startWorker(opts: StartWorkerOptions = {}): Promise<WorkerHandle> {
  const env = isParsed(opts.env) ? opts.env : parseWorkerEnv(opts.env ?? process.env);
  const log = opts.log ?? createLogger("worker", env.LOG_LEVEL);
  // Before any connection: a worker that cannot serve its models must not claim jobs only to fail them.
  const route = opts.llm ? opts.llm.route : resolveModelRoute(workerLlmEnv(env));
  if (!opts.llm) {
    const problem = llmStartupProblem(env, route);
    if (problem) throw new WorkerConfigError(problem);
    for (const p of route.problems) log.warn(p);
  }
  const workerId = env.WORKER_ID ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  // Claims, completions and handler queries share the pool; LISTEN (not through a transaction pooler)
  // takes one more dedicated connection.
  const db = dbOptions(env, workerId);
  const sql = postgres(env.DATABASE_URL, db.options);
  const llm = opts.llm ?? createWorkerLlm(env, sql, log.child("llm"), route);
  const deps: HandlerDeps = { sql, llm, env, log, fetch: opts.fetch };
  let handlers: Record<string, Handler> = { ...createProcessors(deps), ...(opts.handlers ?? {}) };
  if (env.WORKER_TASKS) {
    const only = new Set(env.WORKER_TASKS.split(",").map((t) => t.trim()).filter(Boolean));
    handlers = Object.fromEntries(Object.entries(handlers).filter(([k]) => only.has(k)));
  }
  const runner = createRunner({
    store: createPgStore(sql, { listen: db.listen }),
    handlers,
    workerId,
    concurrency: env.WORKER_CONCURRENCY,
    leaseMs: env.WORKER_LEASE_MS,
    pollMs: env.WORKER_POLL_MS,
    maxAttempts: env.WORKER_MAX_ATTEMPTS,
    backoff: (attempt) => backoffDelay(attempt, { baseMs: env.WORKER_BACKOFF_BASE_MS, maxMs: env.WORKER_BACKOFF_MAX_MS }),
    log,
    onSettled: opts.onSettled,
  });
  try {
    await runner.start();
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }

  const schedulers: NodeJS.Timeout[] = [];
  const every = (ms: number, tick: () => Promise<unknown>) => {
    void tick();
    const t = setInterval(() => void tick(), ms);
    t.unref();
    schedulers.push(t);
  };
  if (env.WORKER_SCHEDULER && handlers.drift) {
    every(Math.min(env.DRIFT_INTERVAL_MS, 3_600_000), () =>
      scheduleDrift(deps)
        .then((n) => n && log.info(`scheduled ${n} drift check(s)`))
        .catch((err) => log.warn("drift scheduling failed", { error: String(err) })));
  }
  if (env.WORKER_SCHEDULER && handlers.themes) {
    every(Math.min(env.THEMES_INTERVAL_MS, 3_600_000), () =>
      scheduleThemes(deps)
        .then((n) => n && log.info(`scheduled ${n} theme job(s)`))
        .catch((err) => log.warn("themes scheduling failed", { error: String(err) })));
  }
  if (env.WORKER_SCHEDULER && handlers.alerts_evaluate) {
    // Ticks at a fraction of the interval: the schedule key makes it one evaluation per interval across workers.
    every(Math.max(1_000, Math.floor(env.ALERTS_INTERVAL_MS / 4)), () =>
      scheduleAlertEvaluation(deps, env.ALERTS_INTERVAL_MS).catch((err) => log.warn("alert evaluation scheduling failed", { error: String(err) })));
  }
  log.info(`worker ${workerId} started`, {
    concurrency: env.WORKER_CONCURRENCY,
    tasks: Object.keys(handlers),
    models: { fast: llm.route.fast, strong: llm.route.strong },
    database: db.listen ? `${db.mode} (LISTEN for new work)` : `${db.mode} pooler (no prepared statements, no LISTEN: polls every ${env.WORKER_POLL_MS} ms)`,
  });

  let stopped: Promise<void> | undefined;
  return {
    workerId,
    wake: () => runner.wake(),
    stop(graceMs = env.WORKER_SHUTDOWN_GRACE_MS) {
      stopped ??= (async () => {
        for (const t of schedulers) clearInterval(t);
        await runner.stop(graceMs);
        // A deferred ai_requests row of a call that finished is written before the pool closes.
        await llm.flushLog?.().catch(() => {});
        await sql.end({ timeout: 5 });
        log.info(`worker ${workerId} stopped`);
      })();
      return stopped;
    },
  };
}

/** The configuration cannot work (e.g. no LLM provider against a hosted project); the message says what to set. */
export class WorkerConfigError extends Error {
  override readonly name = "WorkerConfigError";
}

function isParsed(e: StartWorkerOptions["env"]): e is WorkerEnv {
  return Boolean(e && typeof (e as WorkerEnv).WORKER_CONCURRENCY === "number");
}

export { parseWorkerEnv, type WorkerEnv } from "./env.ts";
export { dbOptions, poolerMode, type PoolerMode } from "./db.ts";
export type { Handler, ClaimedJob, JobContext } from "./queue/types.ts";
export { PermanentError } from "./queue/types.ts";
