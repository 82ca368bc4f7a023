/**
 * What changed between two versions of a dataset. Items have no identity across versions (a new draft
 * copies rows), so an item is matched by its input: the same query (case and spacing aside) is the same
 * item, changed when its expected answer, context or variables differ. Pure.
 */
export type DiffItem = { query: string; expected?: string | null; context?: string | null; variables?: unknown };
export type VersionDiff<T extends DiffItem> = { added: T[]; removed: T[]; changed: Array<{ before: T; after: T; fields: string[] }>; unchanged: number };

const key = (q: string) => q.trim().replace(/\s+/g, " ").toLowerCase();
const stable = (v: unknown): string => JSON.stringify(v ?? {}, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

export function diffVersions<T extends DiffItem>(before: readonly T[], after: readonly T[]): VersionDiff<T> {
  const old = new Map<string, T>();
  for (const i of before) if (!old.has(key(i.query))) old.set(key(i.query), i);
  const seen = new Set<string>();
  const out: VersionDiff<T> = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const a of after) {
    const k = key(a.query);
    if (seen.has(k)) continue;
    seen.add(k);
    const b = old.get(k);
    if (!b) {
      out.added.push(a);
      continue;
    }
    const fields: string[] = [];
    if (b.query !== a.query) fields.push("query");
    if ((b.expected ?? null) !== (a.expected ?? null)) fields.push("expected");
    if ((b.context ?? null) !== (a.context ?? null)) fields.push("context");
    if (stable(b.variables) !== stable(a.variables)) fields.push("variables");
    if (fields.length) out.changed.push({ before: b, after: a, fields });
    else out.unchanged++;
  }
  for (const [k, b] of old) if (!seen.has(k)) out.removed.push(b);
  return out;
}
