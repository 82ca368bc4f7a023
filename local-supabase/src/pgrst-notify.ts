import type { Logger } from "./log.ts";
import { listenDurably } from "./pg-listen.ts";

/**
 * PostgREST's `pgrst` notification channel, answered as PostgREST answers it: `reload schema` (which
 * Supabase's DDL watch sends after every DDL statement, bootstrap/15-schema-watch.sql) rereads the
 * schema, `reload config` rereads the roles' settings, and an empty payload does both. So a table
 * created while the stack runs is served at once, as on Supabase, not after a restart. The REST fast
 * path keeps its own listener: it must also know when it missed a notification (rest/fast/index.ts).
 *
 * The listener survives a Postgres restart (pg-listen.ts); what changed while it was not listening is
 * caught up by rereading both when it listens again, as PostgREST does when its listener reconnects.
 */
export async function listenPgrst(connectionString: string, reload: { schema(): Promise<unknown>; config(): Promise<unknown> }, log: Logger) {
  const schema = coalesced(reload.schema, (err) => log.warn(`schema not reloaded: ${err.message}`));
  const config = coalesced(reload.config, (err) => log.warn(`role settings not reloaded: ${err.message}`));
  const listener = listenDurably({
    connectionString,
    channels: ["pgrst"],
    name: "schema listener (pgrst)",
    log,
    onNotification: (_channel, payload) => {
      if (payload === "" || payload === "reload schema") schema.request();
      if (payload === "" || payload === "reload config") config.request();
    },
    onReconnect: () => {
      schema.request();
      config.request();
    },
  });
  await listener.ready;
  /** Stops listening and waits for a reload under way: lite's connection must not close under one (it hangs). */
  return async () => {
    await listener.close();
    await Promise.all([schema.settled(), config.settled()]);
  };
}

/**
 * A migration sends one notification per DDL statement; rereading the schema for each would run
 * dozens of introspections back to back. One runs at a time, and notifications that arrive meanwhile
 * make one more run after it, which sees all their changes.
 */
function coalesced(run: () => Promise<unknown>, onError: (err: Error) => void) {
  let current: Promise<void> | null = null;
  let again = false;
  const go = async () => {
    do {
      again = false;
      await run().catch(onError);
    } while (again);
    current = null;
  };
  return {
    request() {
      if (current) again = true;
      else current = go();
    },
    settled: () => current ?? Promise.resolve(),
  };
}
