import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import { ObservableV2 } from "lib0/observable";
import { rpcPersistence, type DocPersistence, type RpcClient } from "./persistence.ts";
import { Throttle } from "./throttle.ts";
import type { UnsentStore } from "./unsent.ts";
import { MSG_AWARENESS, MSG_HELLO, MSG_SYNC, encodeAwareness, encodeUpdate, frame, isEmptyStep1, isEmptyStep2, readSections, toArrayBuffer } from "./wire.ts";

/**
 * The parts of supabase-js the provider uses, kept structural so shared/ needs no supabase-js
 * dependency and tests can hand in any client.
 */
export type RealtimeChannelLike = {
  on(type: "broadcast", filter: { event: string }, cb: (msg: { payload: unknown }) => void): RealtimeChannelLike;
  on(type: "presence", filter: { event: "leave" }, cb: (msg: { key: string; leftPresences: Record<string, unknown>[] }) => void): RealtimeChannelLike;
  on(type: "presence", filter: { event: "sync" }, cb: () => void): RealtimeChannelLike;
  presenceState?(): Record<string, Record<string, unknown>[]>;
  subscribe(cb: (status: string, err?: Error) => void): RealtimeChannelLike;
  send(msg: { type: "broadcast"; event: string; payload: unknown }): Promise<unknown>;
  track(payload: Record<string, unknown>): Promise<unknown>;
  unsubscribe(): Promise<unknown>;
  state?: string;
};
export type SupabaseLike = RpcClient & {
  channel(name: string, opts: { config: Record<string, unknown> }): RealtimeChannelLike;
  removeChannel(ch: RealtimeChannelLike): Promise<unknown>;
  /** The signed-in user, whose id is this client's Realtime presence key. */
  auth?: { getSession(): Promise<{ data: { session: { user: { id: string } } | null } }> };
};

export type SupabaseYjsProviderOptions = {
  /** Realtime topic; private. Default `doc:<id>` (the topic the doc_updates migration's policies cover). */
  channel?: string;
  /** Document id in doc_updates. */
  id: string;
  /** Kept for y-supabase's constructor shape; persistence is the append-only log, not this column. */
  tableName?: string;
  columnName?: string;
  awareness?: awarenessProtocol.Awareness;
  persistence?: DocPersistence | false;
  /**
   * The send window, ms (SPEC Y3). A change after a quiet spell goes at once; while changes keep coming
   * (typing), they are merged and sent at most once per window, edits and our cursor in one message.
   * Hosted Realtime bills per message and caps a project's messages per second, so the default keeps a
   * typing editor at 4 messages a second or fewer (propagation p95 about 250 ms, see bench/README.md).
   * Teams that prefer latency to cost set it lower: 0 sends every change at once (what one event
   * handler changes together, e.g. an edit and the cursor move, still goes as one message).
   */
  sendWindowMs?: number;
  /** Where our unstored edits are kept when the page goes away (see flush()); applied again after the first load. */
  unsent?: UnsentStore;
  /** Coalescing window for appends to the database, ms. */
  persistMs?: number;
  /** Re-run the state-vector handshake every so often (0 = only on (re)join). */
  resyncIntervalMs?: number;
  connect?: boolean;
  /**
   * The signed-in user's id (default: from `supabase.auth.getSession()`). It is the channel's presence
   * key, which the server admits only as the token's own subject, so peers learn which user each Yjs
   * client belongs to from Realtime presence rather than from what a client writes in its awareness.
   */
  userId?: string;
};

export type ProviderStatus = "connecting" | "connected" | "disconnected";

type Events = {
  status: (e: { status: ProviderStatus }) => void;
  synced: (synced: boolean) => void;
  persisted: () => void;
  error: (err: Error) => void;
  /** Which user each peer's Yjs client belongs to changed (see userOf). */
  peers: () => void;
};

const EVENT = "y";
/** Hellos arriving within this window get one awareness reply. */
const AWARENESS_REPLY_MS = 30;
/** 4 messages a second at most, with room for the leading one: 1 + 10 s / 260 ms < 40 in 10 s of typing. */
export const DEFAULT_SEND_WINDOW_MS = 260;
/** Realtime presence (a track) at most once a second per client: presence is capped apart from, and below, messages. */
const TRACK_WINDOW_MS = 1000;

/**
 * Yjs over a private Supabase Realtime channel (SPEC Y1-Y6).
 *
 * The handshake, updates and awareness use y-protocols' encodings; the transport is broadcast, so
 * every peer hears every message and duplicate application is harmless (Yjs updates are idempotent).
 * Persistence appends this client's own batched updates through an RPC; loading merges the latest
 * snapshot and the tail.
 */
export class SupabaseYjsProvider extends ObservableV2<Events> {
  readonly awareness: awarenessProtocol.Awareness;
  readonly topic: string;
  status: ProviderStatus = "disconnected";
  synced = false;
  private channel: RealtimeChannelLike | null = null;
  private joined = false;
  /** Local edits and awareness changes waiting for the send window. */
  private outgoing: Uint8Array[] = [];
  private outgoingAwareness = new Set<number>();
  private readonly outbox: Throttle;
  private readonly tracker: Throttle;
  private awarenessReplyTimer: ReturnType<typeof setTimeout> | null = null;
  private unpersisted: Uint8Array[] = [];
  private persisting: Promise<void> | null = null;
  /** The batch an append is storing right now (kept by flush() too: the request may die with the page). */
  private inflight: Uint8Array | null = null;
  private keptUnsent = false;
  private restored = false;
  private readonly restoreOrigin = Symbol("supabase-yjs-unsent");
  private persistTimer: ReturnType<typeof setTimeout> | null = null;
  private persistFailures = 0;
  private resyncTimer: ReturnType<typeof setInterval> | null = null;
  private readonly persistence: DocPersistence | null;
  private readonly loadOrigin = Symbol("supabase-yjs-load");
  private destroyed = false;
  private generation = 0;
  private connecting = false;
  private leaving: Promise<void> = Promise.resolve();
  private userId: string | null = null;
  /** Yjs client id → the user id it is present under (its presence key). */
  private peerUsers = new Map<number, string>();

  constructor(
    readonly doc: Y.Doc,
    readonly supabase: SupabaseLike,
    readonly options: SupabaseYjsProviderOptions,
  ) {
    super();
    this.topic = options.channel ?? `doc:${options.id}`;
    this.awareness = options.awareness ?? new awarenessProtocol.Awareness(doc);
    this.persistence = options.persistence === false ? null : (options.persistence ?? rpcPersistence(supabase));
    this.outbox = new Throttle(() => this.sendOutgoing(), options.sendWindowMs ?? DEFAULT_SEND_WINDOW_MS);
    this.tracker = new Throttle(() => {
      if (this.joined) void this.channel?.track({ client_id: this.doc.clientID }).catch(() => undefined);
    }, TRACK_WINDOW_MS);
    doc.on("update", this.onDocUpdate);
    this.awareness.on("update", this.onAwarenessUpdate);
    if (options.connect !== false) this.connect();
  }

  connect(): void {
    if (this.channel || this.destroyed || this.connecting) return;
    const gen = ++this.generation;
    this.connecting = true;
    this.setStatus("connecting");
    // supabase-js hands back an existing channel of the same topic, so a rejoin must wait until
    // the previous channel is really removed.
    void Promise.all([this.leaving, this.sessionUserId()]).then(([, userId]) => {
      this.connecting = false;
      if (gen !== this.generation || this.destroyed) return;
      this.userId = userId;
      this.open(gen);
    });
  }

  /**
   * The user a Yjs client belongs to: ours from the session, a peer's from its Realtime presence
   * (the key it is present under, with its client id in the presence payload). Undefined until the
   * peer is present, and for a client id two users claim.
   */
  userOf(clientId: number): string | undefined {
    if (clientId === this.doc.clientID) return this.userId ?? undefined;
    return this.peerUsers.get(clientId);
  }

  private async sessionUserId(): Promise<string | null> {
    if (this.options.userId) return this.options.userId;
    try {
      return (await this.supabase.auth?.getSession())?.data.session?.user.id ?? null;
    } catch {
      return null;
    }
  }

  private open(gen: number): void {
    // Our awareness says which user we are (peers trust the presence key for that, see userOf). It
    // also moves the state past its initial clock 0, which peers would otherwise ignore (y-protocols
    // applies only a newer clock), so we show up in the room before we move the cursor.
    const local = this.awareness.getLocalState();
    if (this.userId && local !== null && (local.user as { userId?: unknown } | undefined)?.userId !== this.userId) {
      this.awareness.setLocalStateField("user", { ...((local.user as object | undefined) ?? {}), userId: this.userId });
    }
    const ch = this.supabase.channel(this.topic, {
      config: { private: true, broadcast: { self: false, ack: false }, ...(this.userId ? { presence: { key: this.userId } } : {}) },
    });
    this.channel = ch;
    ch.on("broadcast", { event: EVENT }, (msg) => this.onMessage(msg.payload));
    // Realtime presence tells us when a peer's socket is gone, even without a goodbye (SPEC Y4). A
    // user with two tabs is one key with two metas; only the metas that left are gone.
    ch.on("presence", { event: "leave" }, ({ leftPresences }) => {
      const ids = leftPresences.map((m) => Number(m.client_id)).filter((id) => Number.isSafeInteger(id) && id !== this.doc.clientID);
      if (ids.length) awarenessProtocol.removeAwarenessStates(this.awareness, ids, this);
    });
    ch.on("presence", { event: "sync" }, () => this.onPresenceSync(ch));
    ch.subscribe((status, err) => {
      if (gen !== this.generation) return;
      if (status === "SUBSCRIBED") void this.onJoined(gen);
      else {
        this.joined = false;
        this.setStatus(status === "CLOSED" ? "disconnected" : "connecting");
        if (err) this.emit("error", [err]);
      }
    });
    if (this.options.resyncIntervalMs) {
      this.resyncTimer = setInterval(() => this.joined && this.sendHello(), this.options.resyncIntervalMs);
    }
  }

  disconnect(): Promise<void> {
    this.generation++;
    this.connecting = false;
    const ch = this.channel;
    this.channel = null;
    const wasJoined = this.joined;
    this.joined = false;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = null;
    if (this.awarenessReplyTimer) clearTimeout(this.awarenessReplyTimer);
    this.awarenessReplyTimer = null;
    this.setStatus("disconnected");
    if (this.peerUsers.size) {
      this.peerUsers = new Map();
      this.emit("peers", []);
    }
    // What waits for the send window goes now, with the goodbye; unsent edits otherwise reach peers
    // through the handshake when either side joins again, and the database through persistence.
    const pending = this.takeOutgoing();
    this.tracker.cancel();
    if (!ch) return this.leaving;
    if (wasJoined) {
      // Tell peers our cursor is gone before leaving; presence leave covers a crash. Sent now, while
      // the channel is joined: later (e.g. right after the socket was closed) realtime-js would fall
      // back to a REST broadcast, which the server authorizes against Postgres per request.
      try {
        const goodbye = awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID], new Map());
        const payload = pending.update ? encodeUpdate(pending.update, goodbye) : encodeAwareness(goodbye);
        void ch.send({ type: "broadcast", event: EVENT, payload }).catch(() => undefined);
      } catch {
        /* best effort */
      }
    }
    this.leaving = this.leaving.then(async () => {
      await this.supabase.removeChannel(ch).catch(() => undefined);
    });
    return this.leaving;
  }

  /** Resolves when every local edit so far is stored (SPEC Y5). */
  async whenPersisted(): Promise<void> {
    if (!this.persistence) return;
    for (;;) {
      if (this.persistTimer) {
        clearTimeout(this.persistTimer);
        this.persistTimer = null;
      }
      if (this.persisting) await this.persisting.catch(() => undefined);
      else if (this.unpersisted.length) await this.flushPersist().catch(() => undefined);
      else return;
      if (this.unpersisted.length && this.persistFailures) await sleep(Math.min(2000, 50 * 2 ** this.persistFailures));
    }
  }

  get hasUnpersisted(): boolean {
    return this.unpersisted.length > 0 || this.persisting !== null;
  }

  /**
   * The page is going away (pagehide, hidden): send what waits for the send window now, start storing
   * our unstored edits now, and keep them in the `unsent` store in case neither request outlives the page.
   */
  flush(): void {
    if (this.destroyed) return;
    this.outbox.runNow();
    if (this.persistTimer) {
      clearTimeout(this.persistTimer);
      this.persistTimer = null;
      void this.flushPersist().catch(() => undefined);
    }
    this.keepUnsent();
  }

  /** Changes the send window from now on (SPEC Y3). */
  setSendWindow(ms: number): void {
    this.outbox.windowMs = Math.max(0, ms);
  }

  get sendWindowMs(): number {
    return this.outbox.windowMs;
  }

  private keepUnsent(): void {
    const store = this.options.unsent;
    if (!store || !this.persistence) return;
    const parts = [...(this.inflight ? [this.inflight] : []), ...this.unpersisted];
    if (!parts.length) {
      if (this.keptUnsent) store.save(null);
      this.keptUnsent = false;
      return;
    }
    store.save(parts.length === 1 ? parts[0]! : Y.mergeUpdates(parts));
    this.keptUnsent = true;
  }

  /**
   * Edits an earlier session kept (flush()) are ours again: applied as local, so they are sent and
   * stored. Only after the document is loaded: they build on what was stored before them, and applied
   * to an empty document they would wait for it (Yjs keeps them pending) and then count as loaded.
   */
  private restoreUnsent(): void {
    const store = this.options.unsent;
    if (!store || !this.persistence || this.restored) return;
    this.restored = true;
    const kept = store.load();
    if (!kept) return;
    this.keptUnsent = true;
    const before = this.unpersisted.length;
    try {
      Y.applyUpdate(this.doc, kept, this.restoreOrigin);
    } catch (err) {
      store.save(null);
      this.keptUnsent = false;
      this.emit("error", [new Error(`${this.options.id}: dropped kept edits that do not decode: ${(err as Error).message}`)]);
      return;
    }
    // Nothing new in it (stored already by the time the page went): nothing to store again.
    if (this.unpersisted.length === before) {
      store.save(null);
      this.keptUnsent = false;
    }
  }

  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    // Storing goes on after destroy; the unsent store holds the edits in case the page does not last that long.
    this.keepUnsent();
    void this.whenPersisted();
    void this.disconnect();
    this.doc.off("update", this.onDocUpdate);
    this.awareness.off("update", this.onAwarenessUpdate);
    if (!this.options.awareness) this.awareness.destroy();
    super.destroy();
  }

  private setStatus(status: ProviderStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.emit("status", [{ status }]);
  }

  /** SPEC Y2: on every (re)join: reload snapshot + tail, then the state-vector handshake. */
  private async onJoined(gen: number): Promise<void> {
    if (this.persistence) {
      try {
        const loaded = await this.persistence.load(this.options.id);
        if (gen !== this.generation) return;
        // A stored row that does not decode is skipped and reported; the rest of the document loads.
        const skipped: number[] = [];
        Y.transact(
          this.doc,
          () => {
            for (const row of [...(loaded.snapshot ? [loaded.snapshot] : []), ...loaded.updates]) {
              try {
                Y.applyUpdate(this.doc, row.data, this.loadOrigin);
              } catch {
                skipped.push(row.id);
              }
            }
          },
          this.loadOrigin,
        );
        if (skipped.length) this.emit("error", [new Error(`${this.options.id}: skipped ${skipped.length} stored update(s) that do not decode (ids ${skipped.join(", ")})`)]);
        this.restoreUnsent();
      } catch (err) {
        this.emit("error", [err instanceof Error ? err : new Error(String(err))]);
      }
    }
    if (gen !== this.generation) return;
    this.joined = true;
    this.setStatus("connected");
    this.sendHello();
    if (this.unpersisted.length) this.schedulePersist();
    // Edits that were waiting go with our awareness, in one message (peers also get them as step2).
    if (this.awareness.getLocalState() !== null) this.outgoingAwareness.add(this.doc.clientID);
    this.outbox.request();
    this.outbox.runNow();
    this.tracker.request();
    if (!this.synced) {
      this.synced = true;
      this.emit("synced", [true]);
    }
  }

  private onPresenceSync(ch: RealtimeChannelLike): void {
    if (ch !== this.channel) return;
    const next = new Map<number, string>();
    const contested = new Set<number>();
    for (const [key, metas] of Object.entries(ch.presenceState?.() ?? {})) {
      for (const m of metas) {
        const id = Number(m.client_id);
        if (!Number.isSafeInteger(id)) continue;
        const seen = next.get(id);
        if (seen !== undefined && seen !== key) contested.add(id);
        else next.set(id, key);
      }
    }
    // Someone tracking another user's client id must not lend that client their name, or theirs to it.
    for (const id of contested) next.delete(id);
    const changed = next.size !== this.peerUsers.size || [...next].some(([id, user]) => this.peerUsers.get(id) !== user);
    this.peerUsers = next;
    if (changed) this.emit("peers", []);
  }

  private sendHello(): void {
    this.send(frame(MSG_HELLO, (e) => syncProtocol.writeSyncStep1(e, this.doc)));
  }

  private send(payload: ArrayBuffer): void {
    if (!this.joined || !this.channel) return;
    void this.channel.send({ type: "broadcast", event: EVENT, payload }).catch(() => undefined);
  }

  private onMessage(payload: unknown): void {
    if (!(payload instanceof ArrayBuffer) && !ArrayBuffer.isView(payload)) return;
    const bytes = payload instanceof ArrayBuffer ? new Uint8Array(payload) : new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    try {
      const dec = decoding.createDecoder(bytes);
      const kind = decoding.readVarUint(dec);
      if (kind === MSG_SYNC) {
        const reply = encoding.createEncoder();
        encoding.writeVarUint(reply, MSG_SYNC);
        syncProtocol.readSyncMessage(dec, reply, this.doc, this);
        // The awareness change that goes with an update comes after it (wire.ts), so a cursor is
        // applied only once the edit it points into is.
        const sections = readSections(dec);
        if (sections?.awareness) awarenessProtocol.applyAwarenessUpdate(this.awareness, sections.awareness, this);
        // A step2 that carries nothing is not sent: on a broadcast transport every peer answers every
        // step1, and those (usually empty) answers fanned out to everyone made joins O(n^3).
        if (encoding.length(reply) > 1) this.sendUnlessEmptyStep2(encoding.toUint8Array(reply));
      } else if (kind === MSG_HELLO) {
        // A joiner whose document is empty has nothing to send back, so it needs no step1 from us.
        const joinerHasContent = !isEmptyStep1(bytes.subarray(dec.pos));
        const reply = encoding.createEncoder();
        encoding.writeVarUint(reply, MSG_SYNC);
        syncProtocol.readSyncMessage(dec, reply, this.doc, this); // writes our step2 for the joiner
        this.sendUnlessEmptyStep2(encoding.toUint8Array(reply));
        // and our step1, so the joiner sends us what it wrote while away
        if (joinerHasContent) this.send(frame(MSG_SYNC, (e) => syncProtocol.writeSyncStep1(e, this.doc)));
        this.scheduleAwarenessReply();
      } else if (kind === MSG_AWARENESS) {
        awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(dec), this);
      }
    } catch (err) {
      this.emit("error", [new Error(`ignored a malformed document message: ${(err as Error).message}`)]);
    }
  }

  /**
   * Our awareness for joiners, once per window however many hellos arrived in it: every peer hears
   * every reply, so when n editors join together per-hello replies cost n^2 broadcasts fanned out to n.
   */
  private scheduleAwarenessReply(): void {
    if (this.awarenessReplyTimer) return;
    this.awarenessReplyTimer = setTimeout(() => {
      this.awarenessReplyTimer = null;
      if (this.awareness.getLocalState() === null) return;
      // Through the outbox, so that a cursor never leaves ahead of the edit it follows.
      this.outgoingAwareness.add(this.doc.clientID);
      this.outbox.request();
      this.outbox.runNow();
    }, AWARENESS_REPLY_MS);
  }

  private sendUnlessEmptyStep2(msg: Uint8Array): void {
    if (isEmptyStep2(msg)) return;
    this.send(toArrayBuffer(msg));
  }

  private onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this || origin === this.loadOrigin) return;
    // SPEC Y3: only what changed travels, merged per send window.
    this.outgoing.push(update);
    this.outbox.request();
    if (this.persistence) {
      this.unpersisted.push(update);
      this.schedulePersist();
    }
  };

  private takeOutgoing(): { update: Uint8Array | null; awareness: Uint8Array | null } {
    this.outbox.cancel();
    const updates = this.outgoing;
    const clients = [...this.outgoingAwareness];
    this.outgoing = [];
    this.outgoingAwareness = new Set();
    let awareness: Uint8Array | null = null;
    if (clients.length) {
      try {
        awareness = awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients);
      } catch {
        awareness = null; // a client id the awareness no longer knows: nothing to say about it
      }
    }
    return { update: updates.length === 0 ? null : updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates), awareness };
  }

  /** The send window's run: our edits and awareness changes since the last one, as one message. */
  private sendOutgoing(): void {
    const { update, awareness } = this.takeOutgoing();
    // Not joined: peers get the edits through the handshake after the rejoin, and our awareness is
    // sent on join; no need to queue them here.
    if (!this.joined) return;
    if (update) this.send(encodeUpdate(update, awareness));
    else if (awareness) this.send(encodeAwareness(awareness));
  }

  private schedulePersist(): void {
    if (!this.persistence || this.persistTimer || this.persisting) return;
    const delay = this.persistFailures ? Math.min(5000, 100 * 2 ** this.persistFailures) : (this.options.persistMs ?? 250);
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      void this.flushPersist().catch(() => undefined);
    }, delay);
  }

  private flushPersist(): Promise<void> {
    if (!this.persistence || this.persisting || !this.unpersisted.length) return this.persisting ?? Promise.resolve();
    const batch = this.unpersisted;
    this.unpersisted = [];
    const merged = batch.length === 1 ? batch[0]! : Y.mergeUpdates(batch);
    this.inflight = merged;
    this.persisting = this.persistence
      .append(this.options.id, merged, this.doc.clientID)
      .then(
        () => {
          this.inflight = null;
          this.persistFailures = 0;
          if (this.keptUnsent) this.keepUnsent(); // what is kept shrinks to what is still unstored
          this.emit("persisted", []);
        },
        (err: unknown) => {
          // Keep the batch (in front, to keep order) and retry with backoff: an edit is never dropped.
          this.inflight = null;
          this.unpersisted = [merged, ...this.unpersisted];
          this.persistFailures++;
          this.emit("error", [err instanceof Error ? err : new Error(String(err))]);
          throw err;
        },
      )
      .finally(() => {
        this.persisting = null;
        if (this.unpersisted.length && !this.destroyed) this.schedulePersist();
      });
    return this.persisting;
  }

  private onAwarenessUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void => {
    if (origin === this) return;
    const changed = [...added, ...updated, ...removed];
    if (!changed.length) return;
    // Waits with the edits, so a cursor set right after an edit goes in the same message, after it.
    for (const id of changed) this.outgoingAwareness.add(id);
    this.outbox.request();
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
