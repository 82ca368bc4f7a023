import pg from "pg";
import type { Logger } from "./log.ts";

/**
 * Whether the gateway's database answers. While it does not, the gateway answers 503 at once, in the
 * shape each API uses (gateway.ts), instead of letting every request find out by itself, and Postgres's
 * supervisor (postgres.ts) or a probe every half second says when it is back.
 *
 * Fed from two sides: the supervisor of the embedded Postgres reports its exit and its restart; any
 * request that meets a connection error, or a 5xx from lite, asks `check()`, which probes once (shared
 * by concurrent callers) and marks it down if the probe fails. That second side covers a DATABASE_URL
 * Postgres, which nothing supervises here.
 */
export class DatabaseStatus {
  private reason: string | null = null;
  private since = 0;
  private probing: Promise<boolean> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
  ) {}

  get available(): boolean {
    return this.reason === null;
  }

  /** Why it is down, for error details; null while up. */
  get downReason(): string | null {
    return this.reason;
  }

  down(reason: string) {
    if (this.closed) return;
    if (this.reason === null) {
      this.since = Date.now();
      this.log.warn(`database unavailable (${reason}); answering 503 until it is back`);
    }
    this.reason = reason;
    this.schedule();
  }

  up() {
    if (this.reason === null) return;
    this.log.info(`database available again after ${Date.now() - this.since} ms`);
    this.reason = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** After a failure that may be the database's: whether it answers now (marking it down if not). */
  check(): Promise<boolean> {
    this.probing ??= probe(this.connectionString).then(
      () => {
        this.probing = null;
        this.up();
        return true;
      },
      (err: Error) => {
        this.probing = null;
        this.down(err.message);
        return false;
      },
    );
    return this.probing;
  }

  close() {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule() {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.reason !== null) void this.check();
    }, 500);
    this.timer.unref();
  }
}

/** One connection and `select 1`, bounded in time: requests wait on it, so it must always settle. */
async function probe(connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000, query_timeout: 2000 });
  client.on("error", () => undefined);
  try {
    await bounded(
      client.connect().then(() => client.query("select 1")),
      2500,
      "the database did not answer within 2.5 s",
    );
  } finally {
    void endClient(client);
  }
}

/**
 * Ends a pg client without waiting forever: a client whose connection was refused mid-startup (Postgres
 * "starting up") never emits the `end` its end() waits for, which once held every request that asked
 * whether the database was back. After `ms` its socket is destroyed.
 */
export async function endClient(client: pg.Client, ms = 1000): Promise<void> {
  const ended = await bounded(client.end().then(() => true), ms, "").catch(() => false);
  if (!ended) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

function bounded<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ENOENT", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN",
  // postgres.js
  "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT",
  // SQLSTATE: admin_shutdown, crash_shutdown, cannot_connect_now
  "57P01", "57P02", "57P03",
]);

/**
 * Whether an error means the connection to Postgres failed or was lost (as opposed to an error the
 * database answered with): PostgREST's PGRST000/PGRST001 cases, where it answers 503.
 */
export function isConnectionError(err: unknown): boolean {
  if (!err || typeof err !== "object") return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === "string" && (CONNECTION_CODES.has(e.code) || e.code.startsWith("08"))) return true;
  if (typeof e.message === "string" && /^Connection terminated|not queryable|terminating connection due to/.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== err && isConnectionError(e.cause);
}
