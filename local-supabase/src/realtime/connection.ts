import { randomUUID } from "node:crypto";
import type { WebSocket } from "ws";
import { checkToken, dbRole, type ChannelPolicy, type Claims } from "./auth.ts";
import type { ChangeSubscriber, PgBinding } from "./changes.ts";
import { bindingId, parseFilter, parseParams } from "./filters.ts";
import { filterParseError, subscriptionError } from "./subscription-errors.ts";
import type { Hub } from "./hub.ts";
import {
  decodeMessage,
  encodeFrame,
  encodeUserBroadcast,
  payloadSize,
  ProtocolError,
  userBroadcastFrame,
  type Frame,
  type UserBroadcast,
  type Vsn,
} from "./protocol.ts";

export type Limits = {
  /** Incoming events per second per connection (token bucket, burst = 2x). */
  maxEventsPerSecond: number;
  /** Largest broadcast/presence payload accepted, bytes. */
  maxPayloadBytes: number;
  /** Largest websocket frame; above it ws closes the socket with 1009. */
  maxFrameBytes: number;
  maxChannelsPerConnection: number;
  /** A client that cannot keep up beyond this much queued output is disconnected. */
  maxBufferedBytes: number;
};

export const defaultLimits: Limits = {
  maxEventsPerSecond: 100,
  maxPayloadBytes: 256 * 1024,
  maxFrameBytes: 1024 * 1024,
  maxChannelsPerConnection: 100,
  maxBufferedBytes: 16 * 1024 * 1024,
};

/** One phx_join'ed topic on one socket. */
export class Channel implements ChangeSubscriber {
  readonly subTopic: string;
  readonly presenceKey: string;
  /** The client chose the key (config.presence.key) rather than getting a random one. */
  readonly presenceKeyChosen: boolean;
  policy: ChannelPolicy | null = null;
  pgBindings: PgBinding[] = [];
  tracked = false;
  expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly conn: Connection,
    readonly topic: string,
    readonly joinRef: string | null,
    readonly isPrivate: boolean,
    public claims: Claims,
    readonly self: boolean,
    readonly ack: boolean,
    presenceKey: string,
  ) {
    this.subTopic = topic.replace(/^realtime:/i, "");
    this.presenceKeyChosen = presenceKey !== "";
    this.presenceKey = presenceKey || randomUUID();
  }

  get topicKey(): string {
    return topicKey(this.isPrivate, this.topic);
  }

  push(event: string, payload: unknown): void {
    this.conn.send({ join_ref: this.joinRef, ref: null, topic: this.topic, event, payload });
  }

  pushPostgresChange(payload: unknown): void {
    this.push("postgres_changes", payload);
  }

  system(extension: string, status: "ok" | "error", message: string): void {
    this.push("system", { extension, status, message, channel: this.subTopic });
  }
}

export function topicKey(isPrivate: boolean, topic: string): string {
  return `${isPrivate ? "private" : "public"}|${topic}`;
}

type Bucket = { tokens: number; at: number; strikes: number };

export class Connection {
  readonly channels = new Map<string, Channel>();
  private lastSeen = Date.now();
  private queue: Promise<void> = Promise.resolve();
  private bucket: Bucket;
  private closed = false;
  readonly id = randomUUID();

  constructor(
    private ws: WebSocket,
    readonly vsn: Vsn,
    private apiKeyClaims: Claims,
    readonly apiKey: string,
    private hub: Hub,
  ) {
    this.bucket = { tokens: hub.limits.maxEventsPerSecond * 2, at: Date.now(), strikes: 0 };
    ws.on("message", (data, isBinary) => this.onMessage(toBuffer(data), isBinary));
    ws.on("close", () => this.onClose());
    ws.on("error", () => this.onClose());
  }

  get idleMs(): number {
    return Date.now() - this.lastSeen;
  }

  send(frame: Frame): void {
    this.sendRaw(encodeFrame(this.vsn, frame));
  }

  sendRaw(data: string | Buffer): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.hub.limits.maxBufferedBytes) {
      this.hub.log.warn(`disconnecting a client that stopped reading (${this.ws.bufferedAmount} bytes queued)`);
      this.terminate(1008, "slow consumer");
      return;
    }
    this.ws.send(data);
  }

  /** SPEC B1: vsn 2.0.0 sockets get user broadcasts as binary kind-4 frames, 1.0.0 sockets as JSON. */
  sendBroadcast(b: UserBroadcast, cache: Map<string, string | Buffer>): void {
    let data = cache.get(this.vsn);
    if (data === undefined) {
      if (this.vsn === "2.0.0") data = encodeUserBroadcast(b);
      else if (b.binary) return; // JSON sockets cannot carry raw bytes (SPEC B1)
      else data = encodeFrame(this.vsn, userBroadcastFrame(b));
      cache.set(this.vsn, data);
    }
    this.sendRaw(data);
  }

  terminate(code: number, reason: string): void {
    if (this.closed) return;
    try {
      this.ws.close(code, reason);
    } catch {
      /* already closing */
    }
    setTimeout(() => this.ws.terminate(), 1000).unref();
    this.onClose();
  }

  private reply(f: Frame, status: "ok" | "error", response: Record<string, unknown>): void {
    if (f.ref === null) return;
    this.send({ join_ref: f.join_ref, ref: f.ref, topic: f.topic, event: "phx_reply", payload: { status, response } });
  }

  /** SPEC L1: token bucket; a further second's worth of refused events in a row closes the socket. */
  private allow(): boolean {
    const now = Date.now();
    const rate = this.hub.limits.maxEventsPerSecond;
    this.bucket.tokens = Math.min(rate * 2, this.bucket.tokens + ((now - this.bucket.at) / 1000) * rate);
    this.bucket.at = now;
    if (this.bucket.tokens >= 1) {
      this.bucket.tokens -= 1;
      this.bucket.strikes = 0;
      return true;
    }
    return false;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.lastSeen = Date.now();
    let decoded;
    try {
      decoded = decodeMessage(this.vsn, data, isBinary);
    } catch (err) {
      // SPEC L3: Phoenix closes a socket whose frame it cannot decode; so do we, and only this one.
      this.hub.log.warn(`closing a socket that sent an undecodable frame: ${(err as Error).message}`);
      this.terminate(1007, "invalid frame");
      return;
    }
    const frame = decoded.frame;
    if (!(frame.topic === "phoenix" && frame.event === "heartbeat") && !this.allow()) {
      this.bucket.strikes++;
      this.reply(frame, "error", { reason: "RateLimitExceeded: Too many messages per second" });
      const ch = this.channels.get(frame.topic);
      if (this.bucket.strikes === 1) ch?.system("system", "error", "Too many messages per second");
      // Queued behind what was accepted before, so those events are still handled.
      if (this.bucket.strikes === this.hub.limits.maxEventsPerSecond) this.queue = this.queue.then(() => this.terminate(1008, "rate limit exceeded"));
      return;
    }
    // Joins and token refreshes await the database; later frames of the same socket wait behind them
    // so a broadcast sent right after a join is not handled before the join.
    this.queue = this.queue
      .then(() => this.handle(frame, decoded.kind === "userBroadcastPush" ? decoded.broadcast : null))
      .catch((err) => {
        this.hub.log.error(`realtime: handling ${frame.event} on ${frame.topic} failed`, err);
        this.reply(frame, "error", { reason: "Internal error" });
      });
  }

  private async handle(f: Frame, binaryBroadcast: UserBroadcast | null): Promise<void> {
    // Nothing may register state (join, track) for a closed socket, or it would leave ghosts.
    if (this.closed) return;
    if (f.topic === "phoenix") {
      if (f.event === "heartbeat") this.reply(f, "ok", {});
      return;
    }
    const payload = f.payload as Record<string, unknown>;
    switch (f.event) {
      case "phx_join":
        return this.join(f, payload);
      case "phx_leave": {
        const ch = this.channels.get(f.topic);
        this.reply(f, "ok", {});
        if (ch) {
          this.leave(ch);
          this.send({ join_ref: ch.joinRef, ref: ch.joinRef, topic: f.topic, event: "phx_close", payload: {} });
        }
        return;
      }
    }
    const ch = this.channels.get(f.topic);
    if (!ch) {
      // Phoenix answers pushes to unjoined topics with this reply.
      this.reply(f, "error", { reason: "unmatched topic" });
      return;
    }
    switch (f.event) {
      case "broadcast":
        return this.broadcast(ch, f, binaryBroadcast ?? jsonBroadcast(f));
      case "presence":
        return this.presence(ch, f, payload);
      case "access_token":
        return this.refreshToken(ch, f, payload);
      default:
        this.reply(f, "error", { reason: `unknown event ${f.event}` });
    }
  }

  private async join(f: Frame, payload: Record<string, unknown>): Promise<void> {
    if (!f.topic.startsWith("realtime:")) {
      this.reply(f, "error", { reason: "TopicNameRequired: topics must start with realtime:" });
      return;
    }
    const existing = this.channels.get(f.topic);
    if (existing) {
      // Phoenix replaces a duplicate join of the same topic: the old one is closed first.
      this.leave(existing);
      this.send({ join_ref: existing.joinRef, ref: existing.joinRef, topic: f.topic, event: "phx_close", payload: {} });
    }
    if (this.channels.size >= this.hub.limits.maxChannelsPerConnection) {
      this.reply(f, "error", { reason: "ChannelRateLimitReached: Too many channels" });
      return;
    }
    const config = (payload.config && typeof payload.config === "object" ? payload.config : {}) as Record<string, unknown>;
    const token = payload.access_token ?? this.apiKey;
    const tc = token === this.apiKey ? { ok: true as const, claims: this.apiKeyClaims } : await checkToken(token, this.hub.jwtSecret);
    if (!tc.ok) {
      this.reply(f, "error", { reason: tc.reason });
      return;
    }
    const broadcast = (config.broadcast ?? {}) as Record<string, unknown>;
    const presence = (config.presence ?? {}) as Record<string, unknown>;
    const isPrivate = config.private === true;
    const ch = new Channel(this, f.topic, f.join_ref, isPrivate, tc.claims, broadcast.self === true, broadcast.ack === true, typeof presence.key === "string" ? presence.key : "");

    if (isPrivate) {
      const keyRefused = presenceKeyRefusal(ch, tc.claims);
      if (keyRefused) {
        this.reply(f, "error", { reason: `Unauthorized: ${keyRefused}` });
        return;
      }
      ch.policy = await this.hub.authorize(tc.claims, ch.subTopic);
      if (!ch.policy.broadcastRead && !ch.policy.presenceRead) {
        this.reply(f, "error", { reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${ch.subTopic}` });
        return;
      }
    }

    const rawPg = Array.isArray(config.postgres_changes) ? config.postgres_changes : [];
    const replyPg: Record<string, unknown>[] = [];
    let pgError: string | null = null;
    for (const raw of rawPg) {
      try {
        const params = parseParams(raw);
        const parseError = params.filter ? filterParseError(params.filter) : null;
        const error = parseError ?? (await subscriptionError(this.hub.sql, this.hub.publication, params));
        if (error) {
          pgError ??= error;
          replyPg.push({ ...(raw as Record<string, unknown>), event: params.event, id: bindingId(params) });
          continue;
        }
        const filter = params.filter ? parseFilter(params.filter) : null;
        const id = bindingId(params);
        ch.pgBindings.push({ id, params, filter });
        replyPg.push({ ...(raw as Record<string, unknown>), event: params.event, id });
      } catch (err) {
        pgError ??= `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${JSON.stringify(raw)}. Exception: ${(err as Error).message}`;
        replyPg.push({ ...(raw as Record<string, unknown>), id: 0 });
      }
    }
    // Hosted creates a channel's subscriptions in one transaction: one that fails, none is made.
    if (pgError) ch.pgBindings.length = 0;
    if (this.closed) return;

    this.channels.set(f.topic, ch);
    this.hub.addChannel(ch);
    this.scheduleExpiry(ch);
    this.reply(f, "ok", { postgres_changes: replyPg });
    // SPEC R1: the joiner gets the full presence state right after the join reply.
    ch.push("presence_state", this.hub.presenceState(ch.topicKey));
    if (rawPg.length) {
      if (pgError) ch.system("postgres_changes", "error", pgError);
      else ch.system("postgres_changes", "ok", "Subscribed to PostgreSQL");
    }
  }

  private broadcast(ch: Channel, f: Frame, b: UserBroadcast): void {
    if (typeof b.event !== "string" || !b.event) {
      this.reply(f, "error", { reason: "broadcast needs an event name" });
      return;
    }
    if (payloadSize(b) > this.hub.limits.maxPayloadBytes) {
      this.reply(f, "error", { reason: `PayloadTooLarge: payload exceeds ${this.hub.limits.maxPayloadBytes} bytes` });
      ch.system("system", "error", "Payload too large");
      return;
    }
    if (ch.isPrivate && !ch.policy?.broadcastWrite) {
      this.reply(f, "error", { reason: `Unauthorized: You do not have permissions to write to this Channel topic: ${ch.subTopic}` });
      return;
    }
    this.hub.fanout(ch.topicKey, { ...b, topic: ch.topic }, ch.self ? null : ch);
    if (ch.ack) this.reply(f, "ok", {});
  }

  private presence(ch: Channel, f: Frame, payload: Record<string, unknown>): void {
    const ev = payload.event;
    if (ch.isPrivate && !ch.policy?.presenceWrite) {
      this.reply(f, "error", { reason: `Unauthorized: You do not have permissions to track presence on this Channel topic: ${ch.subTopic}` });
      return;
    }
    if (ev === "track") {
      const meta = payload.payload ?? {};
      if (!meta || typeof meta !== "object" || Array.isArray(meta)) {
        this.reply(f, "error", { reason: "presence payload must be an object" });
        return;
      }
      if (Buffer.byteLength(JSON.stringify(meta)) > this.hub.limits.maxPayloadBytes) {
        this.reply(f, "error", { reason: `PayloadTooLarge: presence payload exceeds ${this.hub.limits.maxPayloadBytes} bytes` });
        return;
      }
      this.hub.track(ch, meta as Record<string, unknown>);
      this.reply(f, "ok", {});
    } else if (ev === "untrack") {
      this.hub.untrack(ch);
      this.reply(f, "ok", {});
    } else {
      this.reply(f, "error", { reason: `unknown presence event ${String(ev)}` });
    }
  }

  private async refreshToken(ch: Channel, f: Frame, payload: Record<string, unknown>): Promise<void> {
    const tc = await checkToken(payload.access_token, this.hub.jwtSecret);
    if (!tc.ok) {
      // SPEC A2: Supabase tells the channel why and closes it.
      this.shutdown(ch, tc.reason);
      return;
    }
    ch.claims = tc.claims;
    if (ch.isPrivate) {
      const keyRefused = presenceKeyRefusal(ch, tc.claims);
      if (keyRefused) return this.shutdown(ch, keyRefused);
      ch.policy = await this.hub.authorize(tc.claims, ch.subTopic);
      if (!ch.policy.broadcastRead && !ch.policy.presenceRead) {
        this.shutdown(ch, `You no longer have permission to read from this Channel topic: ${ch.subTopic}`);
        return;
      }
    }
    this.scheduleExpiry(ch);
    this.reply(f, "ok", {});
  }

  /**
   * Closes a joined channel the way Supabase Realtime shuts one down: a `system` message with status
   * error and the reason (realtime-js reports it as CHANNEL_ERROR), then phx_close (CLOSED). Nothing
   * more reaches the channel, and its presence leaves.
   */
  shutdown(ch: Channel, message: string): void {
    if (this.channels.get(ch.topic) !== ch) return;
    ch.system("system", "error", message);
    this.leave(ch);
    this.send({ join_ref: ch.joinRef, ref: ch.joinRef, topic: ch.topic, event: "phx_close", payload: {} });
  }

  /** SPEC A2: a channel whose token expires is told and closed, as Supabase does. */
  private scheduleExpiry(ch: Channel): void {
    if (ch.expiryTimer) clearTimeout(ch.expiryTimer);
    const exp = typeof ch.claims.exp === "number" ? ch.claims.exp * 1000 : null;
    if (!exp) return;
    const ms = Math.min(exp - Date.now(), 2 ** 31 - 1);
    ch.expiryTimer = setTimeout(() => this.shutdown(ch, "InvalidJWTToken: Token has expired 0 seconds ago"), Math.max(0, ms));
    ch.expiryTimer.unref();
  }

  private leave(ch: Channel): void {
    if (ch.expiryTimer) clearTimeout(ch.expiryTimer);
    if (this.channels.get(ch.topic) === ch) this.channels.delete(ch.topic);
    this.hub.removeChannel(ch);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ch of [...this.channels.values()]) this.leave(ch);
    this.hub.removeConnection(this);
  }
}

/**
 * On a private channel a presence is who the token says it is: a key the client chose must be the
 * token's subject, so nobody can appear under a teammate's id (names and avatars are looked up by the
 * key). Supabase's hosted Realtime does not check this; the service role, which acts for the
 * platform, may use any key. A key left to the server is a random one and impersonates nobody.
 */
function presenceKeyRefusal(ch: Channel, claims: Claims): string | null {
  if (!ch.presenceKeyChosen || dbRole(claims) === "service_role") return null;
  if (typeof claims.sub === "string" && claims.sub !== "" && ch.presenceKey === claims.sub) return null;
  return `The presence key must be your user id (the token's sub) on private Channel topic: ${ch.subTopic}`;
}

function jsonBroadcast(f: Frame): UserBroadcast {
  const p = f.payload as Record<string, unknown>;
  return {
    topic: f.topic,
    event: typeof p.event === "string" ? p.event : "",
    payload: p.payload ?? {},
    binary: false,
    ...(p.meta && typeof p.meta === "object" ? { meta: p.meta as Record<string, unknown> } : {}),
  };
}

function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  return Buffer.from(data as ArrayBuffer);
}

export { ProtocolError };
