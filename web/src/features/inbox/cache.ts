import type { InfiniteData } from "@tanstack/react-query";
import { matchesFilters, type InboxFilters } from "./filters.ts";
import { isOlder } from "./row-version.ts";
import type { FeedbackRow } from "./types.ts";

export type InboxPage = { rows: FeedbackRow[]; count: number | null };
export type InboxData = InfiniteData<InboxPage, unknown>;

const newestFirst = (a: FeedbackRow, b: FeedbackRow) => (a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1);

/** Pages fetched by offset can overlap once rows arrive live; a row is shown once. */
export function flattenInbox(data: InboxData | undefined): FeedbackRow[] {
  if (!data) return [];
  const seen = new Set<string>();
  const out: FeedbackRow[] = [];
  for (const page of data.pages) {
    for (const row of page.rows) {
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      out.push(row);
    }
  }
  return out;
}

export function totalOf(data: InboxData | undefined): number | null {
  return data?.pages[0]?.count ?? null;
}

function mapPages(data: InboxData, fn: (rows: FeedbackRow[], i: number) => FeedbackRow[], countDelta = 0): InboxData {
  return {
    ...data,
    pages: data.pages.map((p, i) => ({ rows: fn(p.rows, i), count: i === 0 && p.count !== null ? Math.max(0, p.count + countDelta) : p.count })),
  };
}

function contains(data: InboxData, id: string): boolean {
  return data.pages.some((p) => p.rows.some((r) => r.id === id));
}

/**
 * Applies a row as it now is (live insert/update, or an optimistic change) to one cached view:
 * replaced where it is, dropped if it no longer matches the view's filters, added at its place in
 * the first page if it newly matches. A state older than the cached one is ignored: a change
 * replayed after a refetch must not undo what the refetch read.
 */
export function applyRow(data: InboxData | undefined, row: FeedbackRow, filters: InboxFilters): InboxData | undefined {
  if (!data) return data;
  const current = findRow(data, row.id);
  if (current && isOlder(row, current)) return data;
  const present = !!current;
  const matches = matchesFilters(row, filters);
  if (present && matches) return mapPages(data, (rows) => rows.map((r) => (r.id === row.id ? { ...r, ...row } : r)));
  if (present) return removeRow(data, row.id);
  if (!matches) return data;
  return mapPages(data, (rows, i) => (i === 0 ? [...rows, row].sort(newestFirst) : rows), 1);
}

export function removeRow(data: InboxData | undefined, id: string): InboxData | undefined {
  if (!data || !contains(data, id)) return data;
  return mapPages(data, (rows) => rows.filter((r) => r.id !== id), -1);
}

export function findRow(data: InboxData | undefined, id: string): FeedbackRow | undefined {
  for (const p of data?.pages ?? []) for (const r of p.rows) if (r.id === id) return r;
  return undefined;
}
