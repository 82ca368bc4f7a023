import type http from "node:http";
import type stream from "node:stream";
import postgres from "postgres";
import { WebSocketServer } from "ws";
import type { Logger } from "../log.ts";
import { listenDurably, type DurableListener } from "../pg-listen.ts";
import { authorizeChannel, checkToken } from "./auth.ts";
import { Connection, defaultLimits, type Limits } from "./connection.ts";
import { Hub } from "./hub.ts";
import type { Vsn } from "./protocol.ts";
import { ReplicationReader } from "./replication.ts";

export type { Limits } from "./connection.ts";

export type RealtimeOptions = {
  databaseUrl: string;
  jwtSecret: string;
  log: Logger;
  slotName?: string;
  /** A socket that sends nothing (not even a heartbeat) for this long is closed. Default 60 s. */
  heartbeatTimeoutMs?: number;
  limits?: Partial<Limits>;
  /** Publication read for postgres_changes. Default 'supabase_realtime'. */
  publication?: string;
  /** realtime.messages rows older than this are deleted (hourly). Default 72 h, as Supabase keeps about three days. */
  messageRetentionHours?: number;
  /**
   * Tables (`schema.table`, in the publication) whose updates and deletes re-check every joined private
   * channel's policies (SPEC A4). Default `public.memberships`: who belongs to which organization is
   * what this project's channel policies decide on.
   */
  reauthorizeOn?: string[];
};

export type RealtimeServer = {
  start(): Promise<void>;
  handleUpgrade(req: http.IncomingMessage, socket: stream.Duplex, head: Buffer): void;
  handleHttp(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<boolean>;
  close(): Promise<void>;
  /** Counters for logs, tests and the bench. */
  stats(): { connections: number; channels: number; pgBindings: number };
  /** Deletes realtime.messages rows past the retention; returns how many. Runs hourly by itself. */
  pruneMessages(): Promise<number>;
};

const PRUNE_EVERY_MS = 60 * 60 * 1000;

const WS_PATH = /^\/realtime\/v1\/websocket\/?$/;
const BROADCAST_PATH = /^\/realtime\/v1\/api\/broadcast\/?$/;
const BROADCAST_ONE_PATH = /^\/realtime\/v1\/api\/broadcast\/([^/]+)\/events\/([^/]+)\/?$/;

export function createRealtimeServer(opts: RealtimeOptions): RealtimeServer {
  const log = opts.log;
  const limits: Limits = { ...defaultLimits, ...opts.limits };
  const heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? 60_000;
  const sql = postgres(opts.databaseUrl, { max: 8, onnotice: () => undefined, idle_timeout: 60, connection: { application_name: "local-supabase-realtime" } });
  const hub = new Hub(sql, opts.jwtSecret, limits, log, opts.reauthorizeOn ?? ["public.memberships"]);
  hub.publication = opts.publication ?? "supabase_realtime";
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, perMessageDeflate: false });
  const replication = new ReplicationReader({
    databaseUrl: opts.databaseUrl,
    slotName: opts.slotName ?? "local_supabase_realtime",
    publication: opts.publication ?? "supabase_realtime",
    sql,
    log,
    onTransaction: (changes) => hub.onTransaction(changes),
  });
  let sweep: NodeJS.Timeout | null = null;
  let pruner: NodeJS.Timeout | null = null;
  const retentionHours = opts.messageRetentionHours ?? 72;

  // Every realtime.send() and broadcast_changes() row stays in realtime.messages; Supabase drops its
  // daily partitions after a few days. Without this the table only grows.
  async function pruneMessages(): Promise<number> {
    const gone = await sql`delete from realtime.messages where inserted_at < now() - make_interval(hours => ${retentionHours})`;
    return gone.count;
  }
  let broadcasts: DurableListener | null = null;

  // NOTIFY keeps nothing for a listener that is gone, but realtime.messages does: after the listener
  // reconnects (Postgres restarted), the rows inserted since the last one delivered go out, so a
  // realtime.send() made while the listener was down is late rather than lost, as on hosted Realtime,
  // which reads the table through replication. The 5 s look-back covers transactions that began (and
  // took their inserted_at) before the last delivery but committed after it; `delivered` keeps the
  // recent ids so none goes out twice.
  // inserted_at is a timestamp without time zone: kept as Postgres's text so no client time zone shifts it
  // (that text orders correctly as a string).
  let watermark: string | null = null;
  const delivered = new Set<string>();
  function remember(id: string, at: string) {
    delivered.add(id);
    if (delivered.size > 2000) delivered.delete(delivered.values().next().value as string);
    if (!watermark || at > watermark) watermark = at;
  }
  async function catchUp(): Promise<void> {
    const rows = await sql<{ id: string }[]>`
      select id::text from realtime.messages where inserted_at >= ${watermark ?? "-infinity"}::timestamp - interval '5 seconds' order by inserted_at, id limit 1000`;
    for (const r of rows) if (!delivered.has(r.id)) await deliverDbMessage(r.id);
  }

  async function deliverDbMessage(id: string): Promise<void> {
    if (delivered.has(id)) return;
    const [m] = await sql<{ topic: string; event: string | null; payload: unknown; binary_payload: Buffer | null; private: boolean | null; inserted_at: string }[]>`
      select topic, event, payload, binary_payload, private, inserted_at::text from realtime.messages where id = ${id}::uuid`;
    if (!m) return;
    remember(id, m.inserted_at);
    // realtime.send_binary() stores bytes, which go out as binary broadcasts (vsn 2.0.0 sockets).
    if (m.binary_payload) hub.broadcastTo(m.topic, m.private !== false, m.event ?? "", m.binary_payload, true);
    else hub.broadcastTo(m.topic, m.private !== false, m.event ?? "", m.payload ?? {});
  }

  function rejectUpgrade(socket: stream.Duplex, status: number, message: string): void {
    const body = JSON.stringify({ message });
    socket.end(`HTTP/1.1 ${status} ${status === 403 ? "Forbidden" : "Bad Request"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }

  return {
    async start() {
      // Its own connection, re-established after a Postgres restart (postgres.js's listen gives up if
      // Postgres is still down when it tries again once).
      broadcasts = listenDurably({
        connectionString: opts.databaseUrl,
        channels: ["realtime_broadcast"],
        name: "realtime.send() listener",
        log,
        onNotification: (_channel, id) => {
          deliverDbMessage(id).catch((err) => log.error("delivering a realtime.send() message failed", err));
        },
        onReconnect: () => {
          catchUp().catch((err) => log.error("delivering the realtime.send() messages sent while the listener was down failed", err));
        },
      });
      await broadcasts.ready;
      // Messages from before this start are history, not news.
      const [start] = await sql<{ now: string }[]>`select now()::timestamp::text as now`;
      watermark = start!.now;
      await replication.start();
      void hub.reauth.checkPublication(opts.publication ?? "supabase_realtime").catch((err) => log.warn(`checking the publication failed: ${(err as Error).message}`));
      sweep = setInterval(
        () => {
          for (const c of hub.connections) if (c.idleMs > heartbeatTimeoutMs) c.terminate(1000, "heartbeat timeout");
        },
        Math.max(50, Math.min(5000, heartbeatTimeoutMs / 4)),
      );
      sweep.unref();
      const prune = () => void pruneMessages().then(
        (n) => n && log.info(`removed ${n} realtime.messages rows older than ${retentionHours} h`),
        (err) => log.warn(`pruning realtime.messages failed: ${(err as Error).message}`),
      );
      prune();
      pruner = setInterval(prune, PRUNE_EVERY_MS);
      pruner.unref();
      log.info(`realtime ready (slot ${opts.slotName ?? "local_supabase_realtime"})`);
    },

    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (!WS_PATH.test(url.pathname)) return rejectUpgrade(socket, 400, "unknown websocket path");
      const vsnParam = url.searchParams.get("vsn") ?? "1.0.0";
      if (vsnParam !== "1.0.0" && vsnParam !== "2.0.0") return rejectUpgrade(socket, 400, `unsupported vsn ${vsnParam}`);
      const apiKey = url.searchParams.get("apikey") ?? (req.headers["apikey"] as string | undefined) ?? "";
      socket.on("error", () => undefined);
      // SPEC A1: the API key must be a valid project JWT; the socket is refused before the upgrade otherwise.
      checkToken(apiKey, opts.jwtSecret).then(
        (tc) => {
          if (!tc.ok) return rejectUpgrade(socket, 403, tc.reason);
          wss.handleUpgrade(req, socket, head, (ws) => {
            const conn = new Connection(ws, vsnParam as Vsn, tc.claims, apiKey, hub);
            hub.connections.add(conn);
          });
        },
        () => rejectUpgrade(socket, 403, "InvalidJWTToken"),
      );
    },

    async handleHttp(req, res, body) {
      const url = new URL(req.url ?? "/", "http://localhost");
      const many = BROADCAST_PATH.test(url.pathname);
      const one = BROADCAST_ONE_PATH.exec(url.pathname);
      if (!many && !one) return false;
      const send = (status: number, payload?: unknown) => {
        res.writeHead(status, payload === undefined ? {} : { "content-type": "application/json" });
        res.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      if (req.method !== "POST") {
        send(405, { message: "method not allowed" });
        return true;
      }
      const auth = req.headers.authorization;
      const token = auth?.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : ((req.headers["apikey"] as string | undefined) ?? "");
      const tc = await checkToken(token, opts.jwtSecret);
      if (!tc.ok) {
        send(401, { message: tc.reason });
        return true;
      }
      // SPEC H1/H2: messages are validated first and delivered all-or-nothing.
      type Msg = { topic: string; event: string; payload: unknown; private: boolean; binary: boolean };
      const msgs: Msg[] = [];
      if (one) {
        const isBinary = (req.headers["content-type"] ?? "").startsWith("application/octet-stream");
        let payload: unknown;
        if (isBinary) payload = body;
        else {
          try {
            payload = JSON.parse(body.toString("utf8") || "{}");
          } catch {
            send(400, { message: "body must be JSON" });
            return true;
          }
        }
        msgs.push({ topic: decodeURIComponent(one[1]!), event: decodeURIComponent(one[2]!), payload, private: url.searchParams.get("private") === "true", binary: isBinary });
      } else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString("utf8"));
        } catch {
          send(400, { message: "body must be JSON" });
          return true;
        }
        const list = (parsed as { messages?: unknown })?.messages;
        if (!Array.isArray(list) || list.length === 0 || list.length > 100) {
          send(400, { message: "messages must be an array of 1 to 100 messages" });
          return true;
        }
        for (const m of list as Record<string, unknown>[]) {
          if (!m || typeof m.topic !== "string" || !m.topic || typeof m.event !== "string" || !m.event) {
            send(400, { message: "each message needs a topic and an event" });
            return true;
          }
          msgs.push({ topic: m.topic, event: m.event, payload: m.payload ?? {}, private: m.private === true, binary: false });
        }
      }
      for (const m of msgs) {
        const size = m.binary ? (m.payload as Buffer).length : Buffer.byteLength(JSON.stringify(m.payload));
        if (size > limits.maxPayloadBytes) {
          send(413, { message: `PayloadTooLarge: payload exceeds ${limits.maxPayloadBytes} bytes` });
          return true;
        }
      }
      const checked = new Map<string, boolean>();
      for (const m of msgs) {
        if (!m.private) continue;
        if (!checked.has(m.topic)) checked.set(m.topic, (await hub.authorize(tc.claims, m.topic)).broadcastWrite);
        if (!checked.get(m.topic)) {
          send(403, { message: `Unauthorized: You do not have permissions to write to this Channel topic: ${m.topic}` });
          return true;
        }
      }
      for (const m of msgs) hub.broadcastTo(m.topic, m.private, m.event, m.payload, m.binary);
      send(202);
      return true;
    },

    async close() {
      if (sweep) clearInterval(sweep);
      if (pruner) clearInterval(pruner);
      for (const c of [...hub.connections]) c.terminate(1001, "server shutting down");
      wss.close();
      await replication.stop();
      await broadcasts?.close();
      await sql.end({ timeout: 2 });
    },

    pruneMessages,

    stats() {
      let channels = 0;
      for (const c of hub.connections) channels += c.channels.size;
      return { connections: hub.connections.size, channels, pgBindings: hub.changes.bindingCount };
    },
  };
}
