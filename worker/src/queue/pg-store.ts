import type postgres from "postgres";
import type { ClaimedJob, Completion, HeldLease, Lease, ProgressUpdate, QueueStore } from "./types.ts";

type ClaimRow = {
  kind: "claimed" | "completed" | "more" | "next";
  id: string;
  task: string;
  payload: unknown;
  job_id: string | null;
  org_id: string | null;
  attempts: number;
  max_attempts: number | null;
  checkpoint: unknown;
  cancel_requested: boolean;
  created_at: Date;
  run_at: Date;
};

const json = (sql: postgres.Sql, v: unknown) => sql.json((v ?? null) as postgres.JSONValue);
/**
 * Arrays travel as jsonb and are unpacked in SQL: postgres.js serializes sql.array() from a type cache
 * filled at connect, which in some setups (e.g. a pool created while the database was starting) sends
 * "a,b" as a malformed literal; a jsonb parameter has no such dependency.
 */
const textArray = (sql: postgres.Sql, xs: readonly string[]) => sql`array(select jsonb_array_elements_text(${json(sql, xs)}))`;

/**
 * The queue over a direct Postgres connection (the worker is trusted like the service role). Each
 * method is one statement calling a function from supabase/migrations/20260101000300_jobs.sql.
 * Progress updates are throttled per job so a chatty handler does not flood Realtime.
 */
export function createPgStore(sql: postgres.Sql, opts: { progressMinIntervalMs?: number; listen?: boolean } = {}): QueueStore {
  const minInterval = opts.progressMinIntervalMs ?? 250;
  const lastProgress = new Map<string, number>();

  // The runner claims one call at a time, so claims get a connection of their own while the worker is
  // listening (a direct or session connection): the server keeps claim_jobs compiled and planned there,
  // and a claim never waits for a new connection or behind a handler's query. Through a transaction
  // pooler a held connection would pin nothing, so claims use the pool. A broken connection is dropped
  // and the next claim takes a new one.
  let claimConn: Promise<postgres.ReservedSql> | null = null;
  const claimSql = async (): Promise<postgres.Sql> => {
    if (opts.listen === false) return sql;
    claimConn ??= sql.reserve();
    return claimConn.catch(() => {
      claimConn = null;
      return sql;
    });
  };
  const dropClaimConn = () => {
    const c = claimConn;
    claimConn = null;
    void c?.then((r) => r.release()).catch(() => {});
  };

  const completeAndClaim: QueueStore["completeAndClaim"] = async (workerId, completed: readonly Completion[], limit, leaseMs, tasks) => {
    for (const c of completed) lastProgress.delete(c.lease.id);
    const done = completed.map((c) => ({ id: c.lease.id, attempt: c.lease.attempt, result: c.result ?? null }));
    const db = await claimSql();
    const rows = await db<ClaimRow[]>`
      select * from private.claim_jobs(${workerId}, ${limit}, ${leaseMs}, ${textArray(sql, tasks)}, ${json(sql, done)})`.catch((err: unknown) => {
      if (db !== sql) dropClaimConn();
      throw err;
    });
    return {
      more: rows.some((r) => r.kind === "more"),
      nextRunAt: rows.find((r) => r.kind === "next")?.run_at ?? null,
      completed: rows.filter((r) => r.kind === "completed").map((r) => String(r.id)),
      jobs: rows.filter((r) => r.kind === "claimed").map(
        (r): ClaimedJob => ({
          id: String(r.id),
          task: r.task,
          payload: r.payload,
          jobId: r.job_id,
          orgId: r.org_id,
          attempt: r.attempts,
          maxAttempts: r.max_attempts,
          checkpoint: r.checkpoint,
          cancelRequested: r.cancel_requested,
          createdAt: r.created_at,
          runAt: r.run_at,
        }),
      ),
    };
  };

  return {
    async claim(workerId, limit, leaseMs, tasks) {
      return (await completeAndClaim(workerId, [], limit, leaseMs, tasks)).jobs;
    },
    completeAndClaim,
    async heartbeat(workerId, leases, leaseMs) {
      const rows = await sql<{ id: string; cancel_requested: boolean }[]>`
        select * from private.heartbeat_jobs(${workerId}, array(select jsonb_array_elements_text(${sql.json(leases.map((l) => l.id))}))::bigint[],
          array(select jsonb_array_elements_text(${sql.json(leases.map((l) => l.attempt))}))::int[], ${leaseMs})`;
      return rows.map((r): HeldLease => ({ id: String(r.id), cancelRequested: r.cancel_requested }));
    },
    async complete(lease: Lease, result) {
      lastProgress.delete(lease.id);
      const [row] = await sql<{ ok: boolean }[]>`select private.complete_job(${lease.id}, ${lease.attempt}, ${json(sql, result)}) as ok`;
      return Boolean(row?.ok);
    },
    async fail(lease, error, runAt, reason) {
      const [row] = await sql<{ ok: boolean }[]>`select private.fail_job(${lease.id}, ${lease.attempt}, ${error}, ${runAt}, ${reason}) as ok`;
      return Boolean(row?.ok);
    },
    async cancel(lease, reason) {
      const [row] = await sql<{ ok: boolean }[]>`select private.cancel_claimed_job(${lease.id}, ${lease.attempt}, ${reason}) as ok`;
      return Boolean(row?.ok);
    },
    async release(lease) {
      const [row] = await sql<{ ok: boolean }[]>`select private.release_job(${lease.id}, ${lease.attempt}) as ok`;
      return Boolean(row?.ok);
    },
    async saveCheckpoint(lease, checkpoint) {
      const [row] = await sql<{ ok: boolean }[]>`select private.save_job_checkpoint(${lease.id}, ${lease.attempt}, ${json(sql, checkpoint)}) as ok`;
      return Boolean(row?.ok);
    },
    async reapExpired(defaultMaxAttempts) {
      const [row] = await sql<{ n: number }[]>`select private.reap_expired_jobs(${defaultMaxAttempts}) as n`;
      return row?.n ?? 0;
    },
    async progress(job, u: ProgressUpdate) {
      if (!job.jobId) return;
      // An update with a message is a line of the event log, always written; one without only moves
      // the progress bar, at a bounded rate (a log line that says nothing is noise to whoever reads it).
      const t = Date.now();
      const throttled = u.percent !== undefined && u.percent < 100 && t - (lastProgress.get(job.id) ?? 0) < minInterval && !u.message;
      if (throttled) return;
      lastProgress.set(job.id, t);
      if (!u.message && u.percent === undefined) return;
      await sql.begin(async (tx) => {
        if (u.percent !== undefined) {
          await tx`update public.jobs set progress = ${Math.max(0, Math.min(100, u.percent))} where id = ${job.jobId} and status = 'running'`;
        }
        if (u.message) {
          await tx`insert into public.job_events (job_id, org_id, step, message, metrics)
                   values (${job.jobId}, ${job.orgId}, ${u.step}, ${u.message}, ${json(sql, u.metrics ?? {})})`;
        }
      });
    },
    async listen({ onWake, onCancel }) {
      // Through a transaction pooler (src/db.ts) nothing listens: the runner polls, and heartbeats carry
      // cancel requests.
      if (opts.listen === false) return async () => {};
      // postgres.js keeps LISTEN on its own connection and re-issues it after a reconnect; the
      // onlisten callback runs then too, so work enqueued while disconnected is picked up.
      const a = await sql.listen("job_queue", () => onWake(), () => onWake());
      const b = await sql.listen("job_cancel", (jobId) => onCancel(jobId));
      return async () => {
        await a.unlisten().catch(() => {});
        await b.unlisten().catch(() => {});
        dropClaimConn();
      };
    },
  };
}
