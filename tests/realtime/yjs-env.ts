import * as Y from "yjs";
import * as decoding from "lib0/decoding";
import type { StackInfo } from "@review/local-supabase";
import { SupabaseYjsProvider, mergeLoaded, parseLoadRows, type DocPersistence, type SupabaseLike, type SupabaseYjsProviderOptions } from "@review/shared/yjs/index";
import { toBase64 } from "lib0/buffer";
import postgres from "postgres";
import { closeClients, closeDb, db, getStack, mintJwt, ownRealtime, rtClient, uniq, type OwnRealtime } from "./helpers.ts";
import { preparePlatformDatabase } from "./standalone-setup.ts";

/**
 * The provider's tests run on a database of their own in the stack's cluster, where document access is
 * widened to any signed-in user (standalone-setup.ts), with a realtime server of their own: they
 * exercise the sync and persistence mechanics, and every update the provider writes goes through the
 * database's Yjs check. The RPCs are the same SQL functions, called as the user (no REST hop).
 */
export type YjsEnv = {
  stack: StackInfo;
  ydb: postgres.Sql;
  sqlPersistence(claims: Record<string, unknown>): DocPersistence;
  editor(docId: string, name: string, opts?: EditorOptions): Promise<Editor>;
  loadFromDb(docId: string): Promise<string>;
  close(): Promise<void>;
};

/** One broadcast the provider sent, as the channel saw it. */
export type Sent = { at: number; bytes: number; kind: number; withAwareness: boolean };

export type Editor = {
  doc: Y.Doc;
  provider: SupabaseYjsProvider;
  text: Y.Text;
  /** Every broadcast this editor's provider sent, in order. */
  sent: Sent[];
  /** When the provider tracked its presence (performance.now()). */
  tracks: number[];
  user: string;
  token: string;
  client: ReturnType<typeof rtClient>;
};

export type EditorOptions = Partial<Pick<SupabaseYjsProviderOptions, "sendWindowMs" | "unsent" | "persistence" | "persistMs">> & {
  anonymous?: boolean;
  /** Another session of an earlier editor's user (same presence key, same stored edits). */
  as?: { user: string; token: string };
};

export async function yjsEnv(): Promise<YjsEnv> {
  const base = await getStack();
  const dbName = uniq("yjs").toLowerCase();
  await db(base).unsafe(`create database ${dbName}`);
  const u = new URL(base.dbUrl);
  u.pathname = `/${dbName}`;
  const url = u.toString();
  await preparePlatformDatabase(url);
  let stack: StackInfo = { ...base, dbUrl: url };
  const own: OwnRealtime = await ownRealtime(stack);
  stack = { ...stack, apiUrl: own.apiUrl };
  const ydb = postgres(url, { onnotice: () => undefined, max: 4 });
  const providers: SupabaseYjsProvider[] = [];

  function sqlPersistence(claims: Record<string, unknown>): DocPersistence {
    const sql = ydb;
    const asUser = <T>(fn: (tx: typeof sql) => Promise<T>) =>
      sql.begin(async (tx) => {
        await tx.unsafe("set local role authenticated");
        await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
        return fn(tx as unknown as typeof sql);
      }) as Promise<T>;
    return {
      load: (docId) => asUser(async (tx) => parseLoadRows(await tx`select kind, id, data from public.doc_load(${docId})` as never)),
      append: (docId, update, clientId) => asUser(async (tx) => void (await tx`select public.doc_append_update(${docId}, ${toBase64(update)}, ${clientId})`)),
      // Compaction is the worker's (a direct connection, no end user): a snapshot replaces everyone's edits.
      compact: async (docId, snap, base, ids) => {
        const [r] = await sql`select public.doc_compact(${docId}, ${toBase64(snap)}, ${base}, ${ids}::bigint[]) as id`;
        return r!.id === null ? null : Number(r!.id);
      },
    };
  }

  async function editor(docId: string, name: string, opts: EditorOptions = {}): Promise<Editor> {
    const { anonymous, as, ...providerOpts } = opts;
    const u = as ? { sub: as.user, token: as.token } : await mintJwt(stack);
    const client = rtClient(stack.apiUrl, stack.anonKey, { token: u.token });
    const sent: Sent[] = [];
    const tracks: number[] = [];
    // The real channel, with what the provider sends through it recorded.
    const spy: SupabaseLike = {
      rpc: () => Promise.reject(new Error("persistence goes through sqlPersistence here")) as never,
      removeChannel: (ch) => client.removeChannel(ch as never),
      channel: (topic, o) => {
        const ch = client.channel(topic, o as never);
        const send = ch.send.bind(ch);
        // (track() goes through send() too, with a presence payload)
        ch.send = ((m: { type: string; payload: unknown }) => {
          if (m.type === "broadcast" && m.payload instanceof ArrayBuffer) sent.push(describeFrame(m.payload));
          return send(m as never);
        }) as never;
        const track = ch.track.bind(ch);
        ch.track = ((p: Record<string, unknown>) => (tracks.push(performance.now()), track(p))) as never;
        return ch as never;
      },
    };
    const doc = new Y.Doc();
    const provider = new SupabaseYjsProvider(doc, spy, {
      id: docId,
      userId: u.sub,
      persistence: sqlPersistence({ sub: u.sub, role: "authenticated" }),
      persistMs: 30,
      ...providerOpts,
    });
    if (!anonymous) provider.awareness.setLocalStateField("user", { name, color: "#" + name.length.toString(16).padStart(6, "0") });
    providers.push(provider);
    return { doc, provider, text: doc.getText("t"), sent, tracks, user: u.sub, token: u.token, client };
  }

  async function loadFromDb(docId: string): Promise<string> {
    const u = await mintJwt(stack);
    const loaded = await sqlPersistence({ sub: u.sub, role: "authenticated" }).load(docId);
    const d = new Y.Doc();
    Y.applyUpdate(d, mergeLoaded(loaded));
    return d.getText("t").toString();
  }

  return {
    stack,
    ydb,
    sqlPersistence,
    editor,
    loadFromDb,
    async close() {
      for (const p of providers.splice(0)) p.destroy();
      await closeClients();
      await own.close(); // drops its slot, which would otherwise block dropping the database
      await ydb.end({ timeout: 2 });
      await db(base).unsafe(`drop database if exists ${dbName} with (force)`);
      await closeDb();
    },
  };
}

function describeFrame(payload: ArrayBuffer): Sent {
  const dec = decoding.createDecoder(new Uint8Array(payload));
  const kind = decoding.readVarUint(dec);
  let withAwareness = false;
  if (kind === 0) {
    // [sync type, update] then the version-2 sections, if any (shared/src/yjs/wire.ts)
    decoding.readVarUint(dec);
    decoding.readVarUint8Array(dec);
    withAwareness = decoding.hasContent(dec);
  }
  return { at: performance.now(), bytes: payload.byteLength, kind, withAwareness };
}

/**
 * Drops the client's socket without a leave, as a network failure would; realtime-js reconnects and
 * rejoins its channels. (realtime-js 2.10x keeps the socket inside its phoenix adapter.)
 */
export function dropSocket(client: { realtime: unknown }): boolean {
  type Conn = { close(): void } | null | undefined;
  const rt = client.realtime as { conn?: Conn; socketAdapter?: { socket?: { conn?: Conn } } };
  const conn = rt.socketAdapter?.socket?.conn ?? rt.conn;
  if (!conn) return false; // down already
  conn.close();
  return true;
}
