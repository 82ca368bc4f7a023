import pg from "pg";
import type { Logger } from "./log.ts";
import { endClient } from "./db-status.ts";

export type DurableListener = {
  /** Resolves once the first LISTEN is in place (rejects if that first connection fails). */
  ready: Promise<void>;
  close(): Promise<void>;
};

/**
 * LISTEN on one connection that is re-established whenever it is lost (Postgres restarted, a network
 * blip), with backoff from 250 ms to 2 s. postgres.js's own `listen` reconnects once when its connection
 * closes, but drops the listener for good if that one attempt fails, as it does while Postgres is still
 * down; so the listeners that must survive a restart use this instead.
 *
 * Notifications sent while the connection was down are lost (Postgres keeps none for a session that is
 * gone): `onReconnect` runs after every re-established LISTEN, so the caller can catch up, as PostgREST
 * reloads its schema cache when its listener reconnects.
 */
export function listenDurably(opts: {
  connectionString: string;
  channels: string[];
  onNotification(channel: string, payload: string): void;
  onReconnect?(): void;
  log: Logger;
  /** What the log calls it: "schema listener". */
  name: string;
}): DurableListener {
  const { log } = opts;
  let client: pg.Client | null = null;
  let closed = false;
  let lostSince = 0;
  let timer: NodeJS.Timeout | null = null;
  let delay = 250;
  let first = true;
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });

  const connect = async () => {
    if (closed) return;
    // Named, so pg_stat_activity shows which listener a connection is (and a test can cut it).
    const c = new pg.Client({ connectionString: opts.connectionString, connectionTimeoutMillis: 5000, application_name: `local-supabase ${opts.name}` });
    client = c;
    let lost = false;
    const onLost = (why: string) => {
      if (lost || closed || client !== c) return;
      lost = true;
      client = null;
      void endClient(c);
      if (first) {
        first = false;
        rejectReady(new Error(`${opts.name} could not listen: ${why}`));
      } else if (!lostSince) {
        lostSince = Date.now();
        log.warn(`${opts.name} lost its connection (${why}); reconnecting`);
      }
      timer = setTimeout(() => {
        timer = null;
        void connect();
      }, delay);
      timer.unref();
      delay = Math.min(delay * 2, 2000);
    };
    c.on("error", (err) => onLost(err.message));
    c.on("end", () => onLost("connection closed"));
    c.on("notification", (n) => opts.onNotification(n.channel, n.payload ?? ""));
    try {
      await c.connect();
      for (const channel of opts.channels) await c.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      return onLost((err as Error).message);
    }
    if (closed || client !== c) return;
    delay = 250;
    if (first) {
      first = false;
      resolveReady();
      return;
    }
    log.info(`${opts.name} listening again${lostSince ? ` after ${Date.now() - lostSince} ms` : ""}`);
    lostSince = 0;
    opts.onReconnect?.();
  };
  void connect();
  ready.catch(() => undefined);

  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      if (c) await endClient(c);
    },
  };
}
