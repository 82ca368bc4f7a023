import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import postgres from "postgres";
import type { StackInfo } from "@review/local-supabase";
import { StatementPipeline } from "@review/local-supabase/rest/fast/pipeline";
import { getStack, sql as superuser, waitFor } from "../helpers/stack.ts";

/**
 * The two database clients the gateway answers REST with, when Postgres dies under them. A kill -9 of
 * Postgres under a write load (tests/faults/postgres-kill.db.test.ts) now and then left a REST request
 * unanswered for good, and once crashed the gateway; each case below is one of those, made to happen on
 * demand by a loopback proxy between the client and Postgres instead of by a kill and a race.
 */
let stack: StackInfo;
let target: URL;
const proxies: net.Server[] = [];

beforeAll(async () => {
  stack = await getStack();
  target = new URL(stack.dbUrl);
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => new Promise((resolve) => p.close(resolve))));
});

type Proxy = { url: string; clientSides: Set<net.Socket> };

/**
 * Pipes to Postgres. `onServerData` may rewrite what the server sends to one client connection (the
 * bytes reach the client as one write, so as one read on loopback); `onClientData` may hold back what a
 * client sends (returning null drops it).
 */
async function proxy(
  onServerData?: ((chunk: Buffer, client: net.Socket) => Buffer | null) | null,
  onClientData?: (chunk: Buffer, client: net.Socket) => Buffer | null,
): Promise<Proxy> {
  const clientSides = new Set<net.Socket>();
  const server = net.createServer((client) => {
    clientSides.add(client);
    const upstream = net.connect(Number(target.port), target.hostname);
    client.on("data", (chunk: Buffer) => {
      const out = onClientData ? onClientData(chunk, client) : chunk;
      if (out && !upstream.destroyed) upstream.write(out);
    });
    upstream.on("data", (chunk: Buffer) => {
      const out = onServerData ? onServerData(chunk, client) : chunk;
      if (out && !client.destroyed) client.write(out);
    });
    const drop = () => {
      clientSides.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  proxies.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(stack.dbUrl);
  url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { url: url.toString(), clientSides };
}

/** Settles within `ms`, or says it did not: a hang must fail the test, not time it out. */
function settledWithin<T>(p: Promise<T>, ms: number): Promise<"resolved" | "rejected" | "pending"> {
  return Promise.race([
    p.then(() => "resolved" as const, () => "rejected" as const),
    new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), ms)),
  ]);
}

/** Postgres's last words to a backend's client when the postmaster died: FATAL 57P01, as an ErrorResponse. */
function postmasterExitMessage(): Buffer {
  const field = (code: string, value: string) => Buffer.concat([Buffer.from(code), Buffer.from(value), Buffer.from([0])]);
  const body = Buffer.concat([
    field("S", "FATAL"),
    field("V", "FATAL"),
    field("C", "57P01"),
    field("M", "terminating connection due to unexpected postmaster exit"),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write("E", 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

describe("postgres.js (lite's client) when its socket is reset mid-transaction", () => {
  it("rejects a ROLLBACK sent between the socket's error and its close, and the pool goes on", async () => {
    // lite runs each request in a transaction on a reserved connection (Kysely). A dying server's socket
    // reports an error (ECONNRESET) before it closes; the statement in flight is rejected at the error,
    // and Kysely answers that with a ROLLBACK on the same connection, written before the close. Stock
    // postgres.js left that ROLLBACK pending forever, and the REST request with it
    // (patches/postgres+3.4.9.patch).
    const { url, clientSides } = await proxy();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const reserved = await sql.reserve();
      await reserved`begin`;
      let rollback: Promise<unknown> | null = null;
      const inFlight = reserved`select pg_sleep(30) as lost_connection_probe`.catch((err: Error) => {
        rollback = reserved`rollback`;
        rollback.catch(() => undefined);
        throw err;
      });
      inFlight.catch(() => undefined);
      // Once Postgres is running the select, reset the client's side.
      await waitFor(async () => (await superuser(stack)`select 1 from pg_stat_activity where state = 'active' and query like 'select pg_sleep(30) as lost_connection_probe%'`).length > 0, { message: "the select running" });
      expect(clientSides.size).toBe(1);
      for (const s of clientSides) s.resetAndDestroy();

      expect(await settledWithin(inFlight, 5_000)).toBe("rejected");
      expect(rollback).not.toBeNull();
      expect(await settledWithin(rollback!, 5_000)).toBe("rejected");
      reserved.release();

      // The pool reconnects and answers.
      expect(await sql`select 1 as ok`).toEqual([{ ok: 1 }]);
    } finally {
      expect(await settledWithin(sql.end({ timeout: 1 }), 5_000)).toBe("resolved");
    }
  });
});

describe("postgres.js when its socket is reset while it fetches the array types", () => {
  it("settles the waiting query without an unhandled rejection, and fetches the types on the reconnect", async () => {
    // Each new connection first asks pg_type for the array types. Postgres restarting under that query
    // rejected it with nobody listening: an unhandled rejection, which ends the gateway's process
    // (it failed a CI run from tests/faults/postgres-kill-repeated), and the reconnect never asked again,
    // so arrays came back as text.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    let resets = 0;
    const { url } = await proxy(null, (chunk, client) => {
      if (resets > 0 || !chunk.includes("pg_catalog.pg_type")) return chunk;
      resets++;
      client.resetAndDestroy();
      return null;
    });
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const first = sql`select '{1,2}'::int[] as a`;
      expect(await settledWithin(first, 5_000)).not.toBe("pending");
      expect(resets).toBe(1);

      expect(await sql`select '{1,2}'::int[] as a`).toEqual([{ a: [1, 2] }]);
      // An unhandled rejection is reported after the microtasks of the turn it happened in.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      expect(await settledWithin(sql.end({ timeout: 1 }), 5_000)).toBe("resolved");
    }
  });
});

describe("pg (the REST fast path's client) when a new connection dies as it opens", () => {
  it("answers the request with the lost connection instead of an uncaught error", async () => {
    // A backend that finished its startup as the postmaster died sends ReadyForQuery and then, in the
    // same read, FATAL 57P01. pg-pool hands the client out at the ReadyForQuery, but `await
    // pool.connect()` resumes only after the rest of that read, in which the client emitted `error`
    // with nobody listening: an uncaught exception, the gateway's crash.
    let injected = 0;
    const started = new WeakSet<net.Socket>();
    const { url } = await proxy((chunk, client) => {
      // Postgres's answer to the startup message ends in ReadyForQuery ('Z', length 5, status).
      const z = chunk.length >= 6 ? chunk.subarray(chunk.length - 6) : null;
      if (!z || z[0] !== 0x5a || z.readInt32BE(1) !== 5 || started.has(client)) return chunk;
      started.add(client);
      injected++;
      setImmediate(() => client.end());
      return Buffer.concat([chunk, postmasterExitMessage()]);
    });
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const pipeline = new StatementPipeline(pool);
    try {
      const run = pipeline.run([{ text: "select 1", values: [] }]);
      expect(await settledWithin(run, 5_000)).toBe("rejected");
      await expect(run).rejects.toThrow(/not queryable|terminat/);
      expect(injected).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
