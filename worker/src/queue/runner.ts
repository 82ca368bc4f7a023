import { silentLogger, type Logger } from "../log.ts";
import { decideFailure } from "./backoff.ts";
import { JobAbortedError, type AbortReason, type ClaimedJob, type Completion, type Handler, type JobContext, type Lease, type QueueStore } from "./types.ts";

export type RunnerOptions = {
  store: QueueStore;
  handlers: Readonly<Record<string, Handler>>;
  workerId: string;
  concurrency: number;
  leaseMs: number;
  /** Lease renewal period; a third of the lease leaves two chances before it expires. */
  heartbeatMs?: number;
  /** Fallback poll when no notification arrives. */
  pollMs: number;
  /** Expired-lease sweep period (every worker sweeps; SKIP LOCKED makes that safe). */
  reapMs?: number;
  maxAttempts: number;
  backoff: (attempt: number) => number;
  now?: () => number;
  log?: Logger;
  /** Called after every finished attempt (tests and metrics). */
  onSettled?: (job: ClaimedJob, outcome: Outcome) => void;
};

export type Outcome = "completed" | "retry" | "failed" | "cancelled" | "released" | "lost";

type Running = { job: ClaimedJob; controller: AbortController; reason: AbortReason | null; done: Promise<void> };

type PendingCompletion = Completion & { resolve(ok: boolean): void; reject(err: unknown): void };

export type Runner = {
  start(): Promise<void>;
  /** Stops claiming, waits up to graceMs for running jobs, then aborts and releases the rest. */
  stop(graceMs?: number): Promise<void>;
  /** Claims right away (e.g. after enqueueing in-process). */
  wake(): void;
  readonly inflight: number;
};

/**
 * The queue loop. It only decides and sequences; every state change goes through the store in one
 * atomic, lease-fenced call, so several processes (or several runners in one) can share a queue.
 */
export function createRunner(opts: RunnerOptions): Runner {
  const log = opts.log ?? silentLogger;
  const now = opts.now ?? Date.now;
  const tasks = Object.keys(opts.handlers);
  const heartbeatMs = opts.heartbeatMs ?? Math.max(50, Math.floor(opts.leaseMs / 3));
  const reapMs = opts.reapMs ?? Math.max(100, Math.floor(opts.leaseMs / 2));
  const running = new Map<string, Running>();

  let started = false;
  let stopping = false;
  let filling = false;
  let refill = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let reapTimer: NodeJS.Timeout | undefined;
  let unlisten: (() => Promise<void>) | undefined;

  const abort = (r: Running, reason: AbortReason) => {
    if (r.reason) return;
    r.reason = reason;
    r.controller.abort(new JobAbortedError(reason));
  };

  const lease = (j: ClaimedJob): Lease => ({ id: j.id, attempt: j.attempt });

  // When the wake timer fires (performance.now() clock); a new timer only ever moves it earlier, unless
  // it already fired.
  let wakeAt = Infinity;
  function scheduleWake(ms: number) {
    if (stopping) return;
    const at = performance.now() + Math.max(0, ms);
    if (at >= wakeAt) return;
    clearTimeout(wakeTimer);
    wakeAt = at;
    wakeTimer = setTimeout(() => {
      wakeAt = Infinity;
      void fill();
    }, Math.max(0, ms));
    wakeTimer.unref?.();
  }

  // Finished jobs whose completion rides on the next claim (one commit for both, see
  // private.claim_jobs); a claim always follows, since finishing frees a slot.
  const completions: PendingCompletion[] = [];
  // Whether the last claim left ready entries behind. With a backlog, one commit per job is what bounds
  // throughput, so completions ride on the next claim. Otherwise they are recorded at once and on their
  // own, so the claim a new job's notification triggers stays read-only and starts that job without
  // waiting for a commit.
  let backlogged = false;

  function recordCompletion(job: ClaimedJob, result: unknown): Promise<boolean> {
    if (stopping || !backlogged) return opts.store.complete(lease(job), result);
    return new Promise((resolve, reject) => completions.push({ lease: lease(job), result, resolve, reject }));
  }

  async function completeAndClaim(want: number): Promise<ClaimedJob[]> {
    const done = completions.splice(0);
    try {
      const r = await opts.store.completeAndClaim(opts.workerId, done, want, opts.leaseMs, tasks);
      if (want > 0) backlogged = r.more;
      // A retry scheduled before the poll: sleep exactly until it (the claim answers this when it ran dry).
      if (r.nextRunAt) scheduleWake(r.nextRunAt.getTime() - now() + 5);
      const recorded = new Set(r.completed);
      for (const c of done) c.resolve(recorded.has(c.lease.id));
      return r.jobs;
    } catch (err) {
      // The claim failed, so its transaction recorded nothing: record each completion on its own.
      for (const c of done) opts.store.complete(c.lease, c.result).then(c.resolve, c.reject);
      throw err;
    }
  }

  async function fill(): Promise<void> {
    if (stopping) return;
    if (filling) {
      refill = true;
      return;
    }
    filling = true;
    try {
      do {
        refill = false;
        while (!stopping && running.size < opts.concurrency) {
          const want = opts.concurrency - running.size;
          const jobs = await completeAndClaim(want);
          if (stopping) {
            // stop() began while this claim was in flight: hand the entries straight back.
            await Promise.all(jobs.map((j) => opts.store.release(lease(j)).catch(() => false)));
            return;
          }
          for (const j of jobs) startJob(j);
          if (jobs.length < want) break;
        }
      } while (refill && !stopping);
      // Completions that came in while every slot was taken again (or that no claim carried).
      if (completions.length) await completeAndClaim(0);
      // The poll fallback; sooner if a retry is scheduled before it.
      scheduleWake(opts.pollMs);
    } catch (err) {
      log.error("claiming failed; will retry", { error: String(err) });
      scheduleWake(opts.pollMs);
    } finally {
      filling = false;
    }
    if (refill && !stopping) void fill();
  }

  // Jobs whose handler returned and whose outcome is being recorded; stop() waits for these too.
  const settling = new Set<Promise<void>>();

  function startJob(job: ClaimedJob) {
    const controller = new AbortController();
    const r: Running = { job, controller, reason: null, done: Promise.resolve() };
    running.set(job.id, r);
    r.done = runJob(r).finally(() => {
      // runJob freed the slot already (and claimed again) unless it threw before that.
      if (running.get(job.id) !== r) return;
      running.delete(job.id);
      if (!stopping) void fill();
    });
  }

  /**
   * Frees the job's slot as soon as its handler is done, so the next claim overlaps with recording this
   * outcome (one round trip instead of two between jobs). Recording stays fenced on the lease.
   */
  function freeSlot(r: Running, record: Promise<void>) {
    settling.add(record);
    void record.finally(() => settling.delete(record));
    running.delete(r.job.id);
    if (!stopping) void fill();
  }

  async function runJob(r: Running): Promise<void> {
    const { job } = r;
    const jlog = log.child(`${job.task}#${job.id}`);
    if (job.cancelRequested) abort(r, "cancelled");
    const ctx: JobContext = {
      job,
      attempt: job.attempt,
      signal: r.controller.signal,
      checkpoint: job.checkpoint,
      saveCheckpoint: async (data) => {
        if (!(await opts.store.saveCheckpoint(lease(job), data))) {
          abort(r, "lease-lost");
          throw new JobAbortedError("lease-lost");
        }
        ctx.checkpoint = data;
      },
      progress: (u) => opts.store.progress(job, u),
      log: jlog,
    };
    let record: Promise<Outcome>;
    try {
      const handler = opts.handlers[job.task];
      if (!handler) throw new Error(`This worker has no handler for task "${job.task}"`);
      r.controller.signal.throwIfAborted();
      const result = await handler(job, ctx);
      // Finished, even if a cancel arrived at the very end: the work is done and stored.
      record = recordCompletion(job, result ?? null).then(
        (ok) => {
          if (!ok) jlog.warn("finished, but the lease had been lost; the result was not recorded as completion");
          return ok ? ("completed" as const) : ("lost" as const);
        },
        (err) => {
          jlog.error("could not record completion; the lease will expire and the job run again", { error: String(err) });
          return "lost" as const;
        },
      );
    } catch (err) {
      record = settleFailure(r, err, jlog);
    }
    const recorded = record.then((outcome) => opts.onSettled?.(job, outcome));
    freeSlot(r, recorded);
    await recorded;
  }

  async function settleFailure(r: Running, err: unknown, jlog: Logger): Promise<Outcome> {
    const { job } = r;
    try {
      if (r.reason === "cancelled") {
        return (await opts.store.cancel(lease(job), "Cancelled by request")) ? "cancelled" : "lost";
      }
      if (r.reason === "lease-lost") {
        jlog.warn("stopped: another worker owns this job now");
        return "lost";
      }
      if (r.reason === "shutdown") {
        return (await opts.store.release(lease(job))) ? "released" : "lost";
      }
      const d = decideFailure({ error: err, attempt: job.attempt, maxAttempts: job.maxAttempts ?? opts.maxAttempts, now: now(), backoff: opts.backoff });
      jlog.warn(d.reason);
      const ok = await opts.store.fail(lease(job), d.error, d.kind === "retry" ? d.runAt : null, d.reason);
      return ok ? (d.kind === "retry" ? "retry" : "failed") : "lost";
    } catch (storeErr) {
      // The store is unreachable: the lease will expire and the reaper re-queues the entry.
      jlog.error("could not record the job's failure; its lease will expire", { error: String(storeErr) });
      return "lost";
    }
  }

  async function heartbeat() {
    const snapshot = [...running.values()].filter((r) => !r.reason);
    if (!snapshot.length) return;
    try {
      const held = await opts.store.heartbeat(opts.workerId, snapshot.map((r) => lease(r.job)), opts.leaseMs);
      const byId = new Map(held.map((h) => [h.id, h]));
      for (const r of snapshot) {
        const h = byId.get(r.job.id);
        if (!h) abort(r, "lease-lost");
        else if (h.cancelRequested) abort(r, "cancelled");
      }
    } catch (err) {
      log.warn("heartbeat failed; will try again", { error: String(err) });
    }
  }

  async function reap() {
    try {
      const n = await opts.store.reapExpired(opts.maxAttempts);
      if (n > 0) {
        log.info(`re-queued ${n} job(s) whose worker stopped renewing its lease`);
        void fill();
      }
    } catch (err) {
      log.warn("lease sweep failed", { error: String(err) });
    }
  }

  return {
    get inflight() {
      return running.size;
    },
    wake: () => void fill(),
    async start() {
      if (started) return;
      started = true;
      unlisten = await opts.store.listen({
        onWake: () => void fill(),
        onCancel: (jobId) => {
          for (const r of running.values()) if (r.job.jobId === jobId) abort(r, "cancelled");
        },
      });
      heartbeatTimer = setInterval(() => void heartbeat(), heartbeatMs);
      reapTimer = setInterval(() => void reap(), reapMs);
      heartbeatTimer.unref?.();
      reapTimer.unref?.();
      await reap();
      await fill();
    },
    async stop(graceMs = 20_000) {
      if (stopping) return;
      stopping = true;
      clearTimeout(wakeTimer);
      wakeAt = Infinity;
      // Let a claim that is in flight finish (and release what it got) before counting running jobs.
      while (filling) await new Promise((r) => setTimeout(r, 5));
      if (completions.length) await completeAndClaim(0).catch(() => {});
      clearInterval(reapTimer);
      const all = () => Promise.all([...[...running.values()].map((r) => r.done), ...settling]);
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), graceMs)));
      if ((await Promise.race([all().then(() => "done" as const), graceOver])) === "timeout") {
        log.info(`releasing ${running.size} unfinished job(s) back to the queue`);
        for (const r of running.values()) abort(r, "shutdown");
        // Leases keep being renewed while handlers unwind; a handler that ignores its signal is cut off
        // after another grace period and its lease left to expire.
        await Promise.race([all(), new Promise((res) => setTimeout(res, Math.max(1000, graceMs)).unref?.())]);
      }
      clearTimeout(timer);
      clearInterval(heartbeatTimer);
      await unlisten?.();
    },
  };
}
