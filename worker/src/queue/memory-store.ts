import type { ClaimedJob, Completion, HeldLease, Lease, ProgressUpdate, QueueStore } from "./types.ts";

export type MemoryEntry = {
  id: string;
  task: string;
  payload: unknown;
  jobId: string | null;
  state: "queued" | "running" | "failed" | "done" | "cancelled";
  priority: number;
  runAt: number;
  attempts: number;
  maxAttempts: number | null;
  lockedBy: string | null;
  lockedUntil: number;
  lastError: string | null;
  reason: string | null;
  checkpoint: unknown;
  cancelRequested: boolean;
  result?: unknown;
  progress: ProgressUpdate[];
};

/**
 * The queue's semantics (fenced leases, ready order, reaping) in memory, with an injectable clock: the
 * runner's ordering, backoff and give-up behaviour are unit tested against it without a database.
 */
export class MemoryStore implements QueueStore {
  entries = new Map<string, MemoryEntry>();
  private seq = 0;
  private wake?: () => void;
  private cancelCb?: (jobId: string) => void;
  constructor(public now: () => number = Date.now) {}

  add(task: string, payload: unknown = {}, o: Partial<Pick<MemoryEntry, "priority" | "runAt" | "maxAttempts" | "jobId">> = {}): MemoryEntry {
    const id = String(++this.seq);
    const e: MemoryEntry = {
      id, task, payload, jobId: o.jobId ?? null, state: "queued", priority: o.priority ?? 0, runAt: o.runAt ?? this.now(),
      attempts: 0, maxAttempts: o.maxAttempts ?? null, lockedBy: null, lockedUntil: 0, lastError: null, reason: null,
      checkpoint: null, cancelRequested: false, progress: [],
    };
    this.entries.set(id, e);
    this.wake?.();
    return e;
  }

  requestCancel(jobId: string) {
    for (const e of this.entries.values()) if (e.jobId === jobId) e.cancelRequested = true;
    this.cancelCb?.(jobId);
  }

  private held(l: Lease) {
    const e = this.entries.get(l.id);
    return e && e.state === "running" && e.attempts === l.attempt ? e : undefined;
  }

  async claim(workerId: string, limit: number, leaseMs: number, tasks: readonly string[]): Promise<ClaimedJob[]> {
    const t = this.now();
    const ready = [...this.entries.values()]
      .filter((e) => e.state === "queued" && e.runAt <= t && tasks.includes(e.task))
      .sort((a, b) => b.priority - a.priority || a.runAt - b.runAt || Number(a.id) - Number(b.id))
      .slice(0, limit);
    return ready.map((e) => {
      Object.assign(e, { state: "running", lockedBy: workerId, lockedUntil: t + leaseMs, attempts: e.attempts + 1 });
      return {
        id: e.id, task: e.task, payload: e.payload, jobId: e.jobId, orgId: null, attempt: e.attempts, maxAttempts: e.maxAttempts,
        checkpoint: e.checkpoint, cancelRequested: e.cancelRequested, createdAt: new Date(t), runAt: new Date(e.runAt),
      };
    });
  }
  async completeAndClaim(workerId: string, completed: readonly Completion[], limit: number, leaseMs: number, tasks: readonly string[]) {
    const done: string[] = [];
    for (const c of completed) if (await this.complete(c.lease, c.result)) done.push(c.lease.id);
    const jobs = limit > 0 ? await this.claim(workerId, limit, leaseMs, tasks) : [];
    const t = this.now();
    const more = limit > 0 && jobs.length === limit && [...this.entries.values()].some((e) => e.state === "queued" && e.runAt <= t && tasks.includes(e.task));
    return { completed: done, jobs, more, nextRunAt: limit > 0 && jobs.length < limit ? this.nextRunAt(tasks) : null };
  }
  async heartbeat(workerId: string, leases: readonly Lease[], leaseMs: number): Promise<HeldLease[]> {
    const out: HeldLease[] = [];
    for (const l of leases) {
      const e = this.held(l);
      if (e && e.lockedBy === workerId) {
        e.lockedUntil = this.now() + leaseMs;
        out.push({ id: e.id, cancelRequested: e.cancelRequested });
      }
    }
    return out;
  }
  async complete(l: Lease, result: unknown) {
    const e = this.held(l);
    if (!e) return false;
    Object.assign(e, { state: "done", result, lockedBy: null });
    return true;
  }
  async fail(l: Lease, error: string, runAt: Date | null, reason: string) {
    const e = this.held(l);
    if (!e) return false;
    Object.assign(e, { lastError: error, reason, lockedBy: null, state: runAt ? "queued" : "failed", runAt: runAt ? runAt.getTime() : e.runAt });
    if (runAt) this.wake?.();
    return true;
  }
  async cancel(l: Lease, reason: string) {
    const e = this.held(l);
    if (!e) return false;
    Object.assign(e, { state: "cancelled", reason, lockedBy: null });
    return true;
  }
  async release(l: Lease) {
    const e = this.held(l);
    if (!e) return false;
    Object.assign(e, { state: "queued", attempts: e.attempts - 1, lockedBy: null, runAt: this.now() });
    return true;
  }
  async saveCheckpoint(l: Lease, checkpoint: unknown) {
    const e = this.held(l);
    if (!e) return false;
    e.checkpoint = checkpoint;
    return true;
  }
  async reapExpired(defaultMax: number) {
    let n = 0;
    for (const e of this.entries.values()) {
      if (e.state === "running" && e.lockedUntil < this.now()) {
        const give = e.attempts >= (e.maxAttempts ?? defaultMax);
        Object.assign(e, { state: give ? "failed" : "queued", lastError: "lease expired", lockedBy: null, runAt: this.now() });
        n++;
      }
    }
    return n;
  }
  private nextRunAt(tasks: readonly string[]) {
    const t = this.now();
    const times = [...this.entries.values()].filter((e) => e.state === "queued" && e.runAt > t && tasks.includes(e.task)).map((e) => e.runAt);
    return times.length ? new Date(Math.min(...times)) : null;
  }
  async progress(job: ClaimedJob, u: ProgressUpdate) {
    this.entries.get(job.id)?.progress.push(u);
  }
  async listen(h: { onWake(): void; onCancel(jobId: string): void }) {
    this.wake = h.onWake;
    this.cancelCb = h.onCancel;
    return async () => {
      this.wake = undefined;
      this.cancelCb = undefined;
    };
  }
}
