import type { Logger } from "../log.ts";

/** A queue entry this worker holds. (id, attempt) is the lease: every write is fenced on it. */
export type ClaimedJob = {
  id: string;
  task: string;
  payload: unknown;
  jobId: string | null;
  orgId: string | null;
  attempt: number;
  maxAttempts: number | null;
  checkpoint: unknown;
  cancelRequested: boolean;
  createdAt: Date;
  runAt: Date;
};

export type Lease = { id: string; attempt: number };

export type HeldLease = { id: string; cancelRequested: boolean };

/** Everything the runner needs from storage: Postgres in production, an in-memory fake in unit tests. */
export type Completion = { lease: Lease; result: unknown };

export interface QueueStore {
  claim(workerId: string, limit: number, leaseMs: number, tasks: readonly string[]): Promise<ClaimedJob[]>;
  /**
   * Records finished jobs (as `complete`), then claims up to `limit` entries, atomically: the runner's
   * one round trip and one commit between two jobs. `completed` lists the lease ids recorded; one missing
   * had lost its lease. `more`: all `limit` were claimed and further entries are ready. `nextRunAt`
   * (when fewer than `limit` were claimed): when the earliest entry not ready yet becomes ready, if any.
   */
  completeAndClaim(workerId: string, completed: readonly Completion[], limit: number, leaseMs: number, tasks: readonly string[]): Promise<{ completed: string[]; jobs: ClaimedJob[]; more: boolean; nextRunAt: Date | null }>;
  /** Renews the given leases; returns those still held (a missing one was lost). */
  heartbeat(workerId: string, leases: readonly Lease[], leaseMs: number): Promise<HeldLease[]>;
  complete(lease: Lease, result: unknown): Promise<boolean>;
  /** runAt null = give up (park as failed) with `reason`. */
  fail(lease: Lease, error: string, runAt: Date | null, reason: string): Promise<boolean>;
  cancel(lease: Lease, reason: string): Promise<boolean>;
  release(lease: Lease): Promise<boolean>;
  saveCheckpoint(lease: Lease, checkpoint: unknown): Promise<boolean>;
  reapExpired(defaultMaxAttempts: number): Promise<number>;
  progress(job: ClaimedJob, update: ProgressUpdate): Promise<void>;
  /** Subscribes to wake-ups (new work) and cancel requests; resolves to an unsubscribe. */
  listen(handlers: { onWake(): void; onCancel(jobId: string): void }): Promise<() => Promise<void>>;
}

export type ProgressUpdate = { percent?: number; step: string; message?: string; metrics?: Record<string, unknown> };

export type JobContext = {
  job: ClaimedJob;
  attempt: number;
  /** Aborted on cancel, lost lease or shutdown; handlers pass it to I/O and check it between steps. */
  signal: AbortSignal;
  checkpoint: unknown;
  saveCheckpoint(data: unknown): Promise<void>;
  progress(update: ProgressUpdate): Promise<void>;
  log: Logger;
};

export type Handler = (job: ClaimedJob, ctx: JobContext) => Promise<unknown>;

/** A failure retrying cannot fix (bad payload, missing row): parked at once with its message. */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
}

export type AbortReason = "cancelled" | "lease-lost" | "shutdown";

export class JobAbortedError extends Error {
  override readonly name = "JobAbortedError";
  constructor(readonly reason: AbortReason) {
    super(reason === "cancelled" ? "The job was cancelled" : reason === "shutdown" ? "The worker is shutting down" : "The lease on this job was lost");
  }
}
