import type { SupabaseClient } from "@supabase/supabase-js";
import * as Y from "yjs";

/**
 * The current text of a co-edited document, rebuilt from its persisted snapshot and update tail
 * exactly as a provider loads it. Returns null when the document was never edited live.
 */
export async function loadDocText(service: SupabaseClient, docId: string, textName: string): Promise<string | null> {
  const { data, error } = await service.rpc("doc_load", { p_doc_id: docId });
  if (error) {
    // A project without the co-editing tables yet has no live documents.
    if (error.code === "PGRST202" || error.code === "42883") return null;
    throw new Error(`loading ${docId} failed: ${error.message}`);
  }
  const rows = (Array.isArray(data) ? data : data ? [data] : []) as Array<{ kind: "snapshot" | "update"; data: string }>;
  if (rows.length === 0) return null;
  const doc = new Y.Doc();
  // One bad stored row must not stop the document (and an approval) for everyone: it is skipped and
  // reported, and the rest still loads. (Appends are validated in the database; this covers rows
  // written around it.)
  for (const row of rows) {
    try {
      Y.applyUpdate(doc, decodeBytea(row.data));
    } catch (err) {
      console.warn(`${docId}: skipped stored ${row.kind} ${(row as { id?: unknown }).id ?? "?"} that is not a Yjs update (${(err as Error).message})`);
    }
  }
  return doc.getText(textName).toString();
}

/** doc_load sends base64; a PostgREST bytea (`\x<hex>`) is accepted too. */
export function decodeBytea(value: string): Uint8Array {
  if (value.startsWith("\\x")) {
    const hex = value.slice(2);
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    return out;
  }
  return Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0));
}
