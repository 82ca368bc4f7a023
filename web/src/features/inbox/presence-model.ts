export type Viewer = { key: string; userId: string; name: string; color: string; viewing: string | null };
export type Meta = { user_id?: string; name?: string; color?: string; viewing?: string | null };

/** Everyone else present, once per person (a person with two tabs is one avatar), grouped by the item they view. */
export function groupPresence(state: Record<string, Meta[]>, myUserId: string): { byItem: Map<string, Viewer[]>; online: Viewer[] } {
  const people = new Map<string, Viewer>();
  const byItem = new Map<string, Viewer[]>();
  for (const [key, metas] of Object.entries(state)) {
    for (const m of metas) {
      if (!m.user_id || m.user_id === myUserId) continue;
      const v: Viewer = { key: `${m.user_id}`, userId: m.user_id, name: m.name || "Someone", color: m.color || "#64748b", viewing: m.viewing ?? null };
      if (!people.has(m.user_id) || v.viewing) people.set(m.user_id, v);
      if (v.viewing) {
        const list = byItem.get(v.viewing) ?? [];
        if (!list.some((x) => x.userId === v.userId)) list.push({ ...v, key: `${m.user_id}:${key}` });
        byItem.set(v.viewing, list);
      }
    }
  }
  return { byItem, online: [...people.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

