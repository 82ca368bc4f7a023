export type Viewer = { key: string; userId: string; name: string; color: string; viewing: string | null };
/** What a client tracks on the org channel. Who it is, is the presence key (the user's id), not the payload. */
export type Meta = { viewing?: string | null };
export type Person = { name: string; color: string };

/** Shown for a presence whose key is no teammate we know (yet). */
const UNKNOWN: Person = { name: "Unknown member", color: "#64748b" };

/**
 * Everyone else present, once per person (a person with two tabs is one avatar), grouped by the item
 * they view. The name and colour come from the person's profile, looked up by the presence key: the
 * server admits a presence on a private channel only under the caller's own user id, whereas the
 * payload is whatever the client chose to send.
 */
export function groupPresence(state: Record<string, Meta[]>, myUserId: string, people: (userId: string) => Person | undefined): { byItem: Map<string, Viewer[]>; online: Viewer[] } {
  const online = new Map<string, Viewer>();
  const byItem = new Map<string, Viewer[]>();
  for (const [userId, metas] of Object.entries(state)) {
    if (userId === myUserId || !metas.length) continue;
    const { name, color } = people(userId) ?? UNKNOWN;
    for (const m of metas) {
      const viewing = typeof m.viewing === "string" ? m.viewing : null;
      const v: Viewer = { key: userId, userId, name, color, viewing };
      if (!online.has(userId) || viewing) online.set(userId, v);
      if (viewing) {
        const list = byItem.get(viewing) ?? [];
        if (!list.some((x) => x.userId === userId)) list.push({ ...v, key: `${userId}:${viewing}` });
        byItem.set(viewing, list);
      }
    }
  }
  return { byItem, online: [...online.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

/** Presence keys that are no member we know: the member list is read again for them (a newcomer). */
export function unknownKeys(state: Record<string, Meta[]>, myUserId: string, people: (userId: string) => Person | undefined): string[] {
  return Object.keys(state).filter((k) => k !== myUserId && !people(k));
}
