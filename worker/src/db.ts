import type postgres from "postgres";
import type { WorkerEnv } from "./env.ts";

export type PoolerMode = "direct" | "session" | "transaction";

/**
 * How DATABASE_URL reaches Postgres. Supabase's Connect dialog offers three strings: the direct connection
 * (db.<ref>.supabase.co:5432), the session pooler (Supavisor, <region>.pooler.supabase.com:5432) and the
 * transaction pooler (port 6543, on the pooler host or a dedicated PgBouncer). WORKER_DB_POOLER says which
 * when the URL does not (a pooler of your own, a proxy).
 */
export function poolerMode(env: Pick<WorkerEnv, "DATABASE_URL" | "WORKER_DB_POOLER">): PoolerMode {
  if (env.WORKER_DB_POOLER) return env.WORKER_DB_POOLER;
  const url = new URL(env.DATABASE_URL);
  if (url.port === "6543") return "transaction";
  if (url.hostname.endsWith(".pooler.supabase.com")) return "session";
  return "direct";
}

/**
 * postgres.js options for the worker's pool. A session pooler gives each client connection one server
 * connection for its whole life, so it behaves like a direct one (prepared statements, LISTEN). A
 * transaction pooler hands out a server connection per transaction: a named prepared statement made on one
 * is missing on the next, and a LISTEN stays behind on a connection someone else now uses. So there the
 * worker prepares nothing and does not listen; new work is found by polling (WORKER_POLL_MS) and cancel
 * requests come back with each lease heartbeat. Its pool stays small: each connection is a pooler client,
 * and in session mode also a server connection, which Supabase caps per project (pool size).
 */
export function dbOptions(env: WorkerEnv, workerId: string): { mode: PoolerMode; listen: boolean; options: postgres.Options<Record<string, postgres.PostgresType>> } {
  const mode = poolerMode(env);
  const transaction = mode === "transaction";
  return {
    mode,
    listen: !transaction,
    options: {
      max: Math.min(50, env.WORKER_CONCURRENCY + 4),
      prepare: !transaction,
      onnotice: () => {},
      idle_timeout: 30,
      connection: { application_name: `review-worker ${workerId}` },
    },
  };
}
