import type * as Y from "yjs";

/** A stretch of the text written with one Yjs client id, in character offsets (same units as CodeMirror). */
export type Run = { from: number; to: number; clientId: number };

/** Who a run is shown as. `key` is stable per person, so equal keys share one colour and one legend entry. */
export type Author = { key: string; name: string; color: string; known: boolean };

/** A doc_clients row as PostgREST returns it (bigint may arrive as a string). */
export type DocClientRow = { client_id: number | string; author: string; first_seen: string };

export const SUGGESTION_AUTHOR: Author = { key: "suggestion", name: "Suggestion", color: "#94a3b8", known: false };
export const FORMER_MEMBER_COLOR = "#64748b";

/**
 * The visible text of a Y.Text as runs of equal client id, adjacent runs of the same client merged.
 * Reads the item list directly: deleted items and formatting marks take no room in the text.
 */
export function authorRuns(ytext: Y.Text): Run[] {
  const runs: Run[] = [];
  let pos = 0;
  for (let item = ytext._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable) continue;
    const from = pos;
    pos += item.length;
    const last = runs[runs.length - 1];
    if (last && last.clientId === item.id.client && last.to === from) last.to = pos;
    else runs.push({ from, to: pos, clientId: item.id.client });
  }
  return runs;
}

/**
 * Client id → user id from doc_clients. The table can hold several authors for one client id (the
 * RPC records whatever id a caller claims); the first to register it is the one who really used it,
 * since a Yjs client id is random and only becomes known to others once it has written.
 */
export function clientOwners(rows: DocClientRow[]): Map<number, string> {
  const sorted = [...rows].sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : 0));
  const owners = new Map<number, string>();
  for (const r of sorted) {
    const id = Number(r.client_id);
    if (!owners.has(id)) owners.set(id, r.author);
  }
  return owners;
}

export type AuthorDirectory = (clientId: number) => Author;

/**
 * Turns client ids into people: owners from doc_clients, names and colours from the members list.
 * A client id nobody registered (the seeded suggestion, or text not stored yet) is the suggestion.
 */
export function authorDirectory(owners: Map<number, string>, members: Map<string, { name: string; color: string }>): AuthorDirectory {
  const cache = new Map<number, Author>();
  return (clientId) => {
    let a = cache.get(clientId);
    if (a) return a;
    const userId = owners.get(clientId);
    if (!userId) a = SUGGESTION_AUTHOR;
    else {
      const m = members.get(userId);
      a = { key: `user:${userId}`, name: m?.name ?? "Former member", color: m?.color ?? FORMER_MEMBER_COLOR, known: true };
    }
    cache.set(clientId, a);
    return a;
  };
}

/** Runs with their authors, neighbours by the same person merged (one person may write with several client ids). */
export function attributedRuns(runs: Run[], who: AuthorDirectory): Array<{ from: number; to: number; author: Author }> {
  const out: Array<{ from: number; to: number; author: Author }> = [];
  for (const r of runs) {
    const author = who(r.clientId);
    const last = out[out.length - 1];
    if (last && last.author.key === author.key && last.to === r.from) last.to = r.to;
    else out.push({ from: r.from, to: r.to, author });
  }
  return out;
}

/** Each person with text in the document and how many characters are theirs, largest share first. */
export function legendOf(runs: Run[], who: AuthorDirectory): Array<{ author: Author; chars: number }> {
  const byKey = new Map<string, { author: Author; chars: number }>();
  for (const r of runs) {
    const author = who(r.clientId);
    const e = byKey.get(author.key) ?? { author, chars: 0 };
    e.chars += r.to - r.from;
    byKey.set(author.key, e);
  }
  return [...byKey.values()].sort((a, b) => b.chars - a.chars || a.author.name.localeCompare(b.author.name));
}

/** Client ids in the text that doc_clients does not know yet (a peer's first edits before they are stored). */
export function unknownClients(runs: Run[], owners: Map<number, string>): number[] {
  const ids = new Set<number>();
  for (const r of runs) if (!owners.has(r.clientId)) ids.add(r.clientId);
  return [...ids];
}
