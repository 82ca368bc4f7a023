import http from "node:http";
import { randomUUID } from "node:crypto";
import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import { SignJWT } from "jose";
import postgres from "postgres";
import ws from "ws";
import { createLogger, type StackInfo } from "@review/local-supabase";
import { createRealtimeServer, type RealtimeOptions, type RealtimeServer } from "@review/local-supabase/realtime/index";
import { getStack, waitFor } from "../helpers/stack.ts";

export { getStack, waitFor };
export type Vsn = "1.0.0" | "2.0.0";

/** A user JWT as GoTrue would mint it; the realtime server only checks signature, role and exp. */
export async function mintJwt(stack: Pick<StackInfo, "jwtSecret">, claims: Record<string, unknown> = {}, expiresInSeconds = 3600): Promise<{ token: string; sub: string }> {
  const sub = (claims.sub as string | undefined) ?? randomUUID();
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ role: "authenticated", email: `${sub.slice(0, 8)}@test.example.com`, ...claims, sub })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(new TextEncoder().encode(stack.jwtSecret));
  return { token, sub };
}

const clients: SupabaseClient[] = [];

/** supabase-js as an app creates it, talking to `apiUrl`'s /realtime/v1 (the gateway, or a server of our own). */
export function rtClient(apiUrl: string, anonKey: string, opts: { token?: string; vsn?: Vsn; heartbeatIntervalMs?: number } = {}): SupabaseClient {
  const c = createClient(apiUrl, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    ...(opts.token ? { global: { headers: { Authorization: `Bearer ${opts.token}` } } } : {}),
    realtime: { transport: ws as never, vsn: opts.vsn ?? "2.0.0", ...(opts.heartbeatIntervalMs ? { heartbeatIntervalMs: opts.heartbeatIntervalMs } : {}) } as never,
  });
  if (opts.token) void c.realtime.setAuth(opts.token);
  clients.push(c);
  return c;
}

export async function closeClients(): Promise<void> {
  const all = clients.splice(0);
  await Promise.all(all.map((c) => c.removeAllChannels().catch(() => undefined)));
  for (const c of all) c.realtime.disconnect();
}

/** Subscribes and resolves on SUBSCRIBED; rejects with the server's reason otherwise. */
export function subscribe(ch: RealtimeChannel, timeoutMs = 10_000): Promise<RealtimeChannel> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("subscribe timed out")), timeoutMs);
    ch.subscribe((status, err) => {
      if (status === "SUBSCRIBED") {
        clearTimeout(t);
        resolve(ch);
      } else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") {
        clearTimeout(t);
        reject(err ?? new Error(status));
      }
    });
  });
}

export function uniq(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

let sqlConn: postgres.Sql | undefined;
export function db(stack: StackInfo): postgres.Sql {
  sqlConn ??= postgres(stack.dbUrl, { onnotice: () => undefined, max: 4 });
  return sqlConn;
}

export async function closeDb(): Promise<void> {
  await sqlConn?.end({ timeout: 2 });
  sqlConn = undefined;
}

export type OwnRealtime = { apiUrl: string; server: RealtimeServer; slotName: string; start(): Promise<void>; close(opts?: { dropSlot?: boolean }): Promise<void> };

/**
 * A realtime server of the test's own on the stack's database, for what the shared gateway can't
 * be configured for (a short heartbeat timeout, small limits, a restart). Its own replication slot.
 */
export async function ownRealtime(stack: StackInfo, opts: Partial<RealtimeOptions> & { deferStart?: boolean } = {}): Promise<OwnRealtime> {
  const slotName = opts.slotName ?? uniq("rt_test");
  const server = createRealtimeServer({ databaseUrl: stack.dbUrl, jwtSecret: stack.jwtSecret, log: createLogger("rt-test", "warn"), ...opts, slotName });
  if (!opts.deferStart) await server.start();
  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      server.handleHttp(req, res, Buffer.concat(chunks)).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
  });
  httpServer.on("upgrade", (req, socket, head) => server.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => httpServer.listen(0, "127.0.0.1", r));
  const port = (httpServer.address() as { port: number }).port;
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    server,
    slotName,
    start: () => server.start(),
    async close({ dropSlot = true } = {}) {
      await server.close();
      httpServer.closeAllConnections();
      await new Promise((r) => httpServer.close(r));
      if (dropSlot) {
        const sql = db(stack);
        await waitFor(async () => {
          const rows = await sql`select active from pg_replication_slots where slot_name = ${slotName}`;
          if (rows.length === 0) return true;
          if (rows[0]!.active) return false;
          await sql`select pg_drop_replication_slot(${slotName})`;
          return true;
        }, { message: "replication slot released" });
      }
    },
  };
}

/** Collects what a listener receives, for waitFor-style assertions. */
export function collector<T = unknown>(): { items: T[]; push: (x: T) => void } {
  const items: T[] = [];
  return { items, push: (x: T) => items.push(x) };
}
