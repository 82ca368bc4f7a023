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
 * The first content of a text of a document (a case's answer, a dataset draft's item field), as a Yjs
 * update with a client id derived from the document, the field and the text. Two curators who open an
 * empty field at the same moment both seed it; their updates are byte-identical (same client, same
 * clock), so Yjs keeps the text once instead of twice. A different field or text gets a different client
 * id, so no two seeds share item ids: Yjs drops an item whose id it already holds, so two fields of one
 * document seeded with the same text under one client id would leave the second one empty.
 */
export function seedUpdate(docId: string, field: string, text: string): Uint8Array {
  const d = new Y.Doc();
  d.clientID = hash32(`${docId}\u0000${field}\u0000${text}`);
  d.getText(field).insert(0, text);
  const update = Y.encodeStateAsUpdate(d);
  d.destroy();
  return update;
}

/**
 * Replaces the whole text with a regenerated suggestion the curators chose to use, in one update.
 * The model wrote the new text, not the curator who clicked, so it is written by a Yjs client id of
 * its own that no one registers in doc_clients: authorship then shows it as the suggestion, like the
 * first seeded answer. The curator's own client still stores and sends the update.
 */
export function replaceText(ytext: Y.Text, text: string, origin: unknown): void {
  const doc = ytext.doc!;
  const field = [...doc.share.entries()].find(([, v]) => (v as unknown) === ytext)?.[0];
  if (field === undefined) throw new Error("replaceText: the Y.Text is not a top-level type of its document");
  const writer = new Y.Doc();
  writer.clientID = unusedClientId(doc);
  Y.applyUpdate(writer, Y.encodeStateAsUpdate(doc));
  const target = writer.getText(field);
  writer.transact(() => {
    target.delete(0, target.length);
    target.insert(0, text);
  });
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(writer, Y.encodeStateVector(doc)), origin);
  writer.destroy();
}

/** A random 32-bit client id (as Yjs picks them) that has never written to this document. */
function unusedClientId(doc: Y.Doc): number {
  for (;;) {
    const id = crypto.getRandomValues(new Uint32Array(1))[0]!;
    if (id !== doc.clientID && !doc.store.clients.has(id)) return id;
  }
}
