import * as Y from "yjs";
import { fromBase64, toBase64 } from "lib0/buffer";

/** How a provider stores a document: an append-only log plus compacted snapshots (see the doc_updates migration). */
export interface DocPersistence {
  load(docId: string): Promise<LoadedDoc>;
  append(docId: string, update: Uint8Array, clientId: number): Promise<void>;
  /** Returns the new snapshot id, or null when another compaction won the race. */
  compact(docId: string, snapshot: Uint8Array, baseSnapshotId: number | null, mergedIds: number[]): Promise<number | null>;
}

export type LoadedDoc = { snapshot: { id: number; data: Uint8Array } | null; updates: { id: number; data: Uint8Array }[] };

/** The minimal part of a SupabaseClient the RPC persistence uses (kept structural so shared/ stays dependency-free). */
export type RpcClient = {
  rpc(fn: string, args: Record<string, unknown>): PromiseLike<{ data: unknown; error: { message: string } | null }>;
};

type LoadRow = { kind: "snapshot" | "update"; id: number | string; data: string };

export function parseLoadRows(rows: LoadRow[]): LoadedDoc {
  const out: LoadedDoc = { snapshot: null, updates: [] };
  for (const r of rows) {
    const item = { id: Number(r.id), data: fromBase64(r.data) };
    if (r.kind === "snapshot") out.snapshot = item;
    else out.updates.push(item);
  }
  return out;
}

/** Persistence through the RPCs, as the browser uses it (RLS and can_access_doc decide). */
export function rpcPersistence(supabase: RpcClient): DocPersistence {
  const call = async (fn: string, args: Record<string, unknown>) => {
    const { data, error } = await supabase.rpc(fn, args);
    if (error) throw new Error(`${fn}: ${error.message}`);
    return data;
  };
  return {
    async load(docId) {
      return parseLoadRows(((await call("doc_load", { p_doc_id: docId })) ?? []) as LoadRow[]);
    },
    async append(docId, update, clientId) {
      await call("doc_append_update", { p_doc_id: docId, p_update: toBase64(update), p_client_id: clientId });
    },
    async compact(docId, snapshot, baseSnapshotId, mergedIds) {
      const id = await call("doc_compact", { p_doc_id: docId, p_snapshot: toBase64(snapshot), p_base_snapshot_id: baseSnapshotId, p_merged_ids: mergedIds });
      return id === null || id === undefined ? null : Number(id);
    },
  };
}

/** The document's whole state as one update: snapshot and tail merged. */
export function mergeLoaded(doc: LoadedDoc): Uint8Array {
  const parts = [...(doc.snapshot ? [doc.snapshot.data] : []), ...doc.updates.map((u) => u.data)];
  return parts.length ? Y.mergeUpdates(parts) : Y.encodeStateAsUpdate(new Y.Doc());
}

/**
 * Folds the current tail into a snapshot. Safe to run from any editor or the worker at any time:
 * the RPC deletes only the rows merged here and refuses if another snapshot landed meanwhile.
 */
export async function compactDoc(persistence: DocPersistence, docId: string, minUpdates = 1): Promise<{ compacted: boolean; merged: number }> {
  const loaded = await persistence.load(docId);
  if (loaded.updates.length < minUpdates) return { compacted: false, merged: 0 };
  return compactLoaded(persistence, docId, loaded);
}

/**
 * compactDoc for a document already loaded (the worker loads once for the snapshot and the text copy).
 * `applied` is a Y.Doc holding exactly `loaded` (docFromLoaded's), to skip rebuilding it.
 */
export async function compactLoaded(persistence: DocPersistence, docId: string, loaded: LoadedDoc, applied?: Y.Doc): Promise<{ compacted: boolean; merged: number }> {
  // Through a Y.Doc rather than Y.mergeUpdates alone, so deleted content is garbage-collected.
  // (encodeStateAsUpdate also carries updates still pending on missing ones, so none is dropped.)
  let d = applied;
  if (!d) {
    d = new Y.Doc();
    Y.applyUpdate(d, mergeLoaded(loaded));
  }
  const snapshot = Y.encodeStateAsUpdate(d);
  if (!applied) d.destroy();
  const id = await persistence.compact(docId, snapshot, loaded.snapshot?.id ?? null, loaded.updates.map((u) => u.id));
  return { compacted: id !== null, merged: id !== null ? loaded.updates.length : 0 };
}

/**
 * The document a load describes, applied row by row: a row that is not a Yjs update (appends are
 * checked in the database; this covers rows written around it) is skipped and reported, so one bad
 * row cannot stop the rest. Callers must not compact when `skipped` is not empty.
 */
export function docFromLoaded(loaded: LoadedDoc): { doc: Y.Doc; skipped: number[] } {
  const doc = new Y.Doc();
  const skipped: number[] = [];
  for (const row of [...(loaded.snapshot ? [loaded.snapshot] : []), ...loaded.updates]) {
    try {
      Y.applyUpdate(doc, row.data);
    } catch {
      skipped.push(row.id);
    }
  }
  return { doc, skipped };
}

/** When the update log's tail (the rows not yet in a snapshot) is long enough to fold. */
export type CompactionBounds = { maxTailUpdates: number; maxTailBytes: number };
export const DEFAULT_COMPACTION_BOUNDS: CompactionBounds = { maxTailUpdates: 200, maxTailBytes: 512 * 1024 };

export function tailOf(loaded: LoadedDoc): { updates: number; bytes: number } {
  return { updates: loaded.updates.length, bytes: loaded.updates.reduce((n, u) => n + u.data.byteLength, 0) };
}

export function tailExceeds(loaded: LoadedDoc, bounds: CompactionBounds): boolean {
  const tail = tailOf(loaded);
  return tail.updates > bounds.maxTailUpdates || tail.bytes > bounds.maxTailBytes;
}

/**
 * Which shared Y.Text of a document holds its text, by the document's kind (`case:<id>` answers,
 * `prompt:<version id>` templates): the editors bind to it, and the server reads it. A dataset draft
 * (`dataset:<version id>`) holds one text per item and field instead: see dataset.ts.
 */
export const DOC_TEXT_FIELDS = { case: "answer", prompt: "template" } as const;

export function docTextField(docId: string): string | null {
  const kind = docId.split(":", 1)[0] as keyof typeof DOC_TEXT_FIELDS;
  return Object.hasOwn(DOC_TEXT_FIELDS, kind) ? DOC_TEXT_FIELDS[kind] : null;
}

export { toBase64, fromBase64 };
