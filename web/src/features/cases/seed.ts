import * as Y from "yjs";

/** FNV-1a, 32-bit: a stable Yjs client id from a string. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The first content of a case's answer document, as a Yjs update with a client id derived from the
 * document and the text. Two curators who open an empty document at the same moment both seed it;
 * their updates are byte-identical (same client, same clock), so Yjs keeps the text once instead of
 * twice. A different text gets a different client id, so no two seeds ever share item ids.
 */
export function seedUpdate(docId: string, field: string, text: string): Uint8Array {
  const d = new Y.Doc();
  d.clientID = hash32(`${docId}\u0000${text}`);
  d.getText(field).insert(0, text);
  const update = Y.encodeStateAsUpdate(d);
  d.destroy();
  return update;
}

/** Replaces the whole text in one transaction (a regenerated suggestion the curators chose to use). */
export function replaceText(ytext: Y.Text, text: string, origin: unknown): void {
  ytext.doc!.transact(() => {
    ytext.delete(0, ytext.length);
    ytext.insert(0, text);
  }, origin);
}
