import { STATUSES, type FeedbackRow, type FeedbackStatus } from "./types.ts";

export type InboxFilters = {
  rating: number[];
  status: FeedbackStatus[];
  labels: string[];
  /** Inclusive calendar days, YYYY-MM-DD, in the viewer's time zone. */
  from?: string;
  to?: string;
  model?: string;
  q?: string;
};

export const EMPTY_FILTERS: InboxFilters = { rating: [], status: [], labels: [] };
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const list = (v: string | null) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);

/** Filters live in the URL so a view can be shared and survives reloads; unknown values are dropped. */
export function parseFilters(params: URLSearchParams): InboxFilters {
  const rating = [...new Set(list(params.get("rating")).map(Number).filter((n) => Number.isInteger(n) && n >= 1 && n <= 5))].sort();
  const status = [...new Set(list(params.get("status")).filter((s): s is FeedbackStatus => (STATUSES as readonly string[]).includes(s)))];
  const labels = [...new Set(list(params.get("labels")))];
  const from = params.get("from") ?? undefined;
  const to = params.get("to") ?? undefined;
  const model = params.get("model")?.trim() || undefined;
  const q = params.get("q")?.trim() || undefined;
  return { rating, status, labels, from: from && DAY.test(from) ? from : undefined, to: to && DAY.test(to) ? to : undefined, model, q };
}

export function filtersToParams(f: InboxFilters, base = new URLSearchParams()): URLSearchParams {
  const p = new URLSearchParams(base);
  const set = (k: string, v: string | undefined) => (v ? p.set(k, v) : p.delete(k));
  set("rating", f.rating.join(","));
  set("status", f.status.join(","));
  set("labels", f.labels.join(","));
  set("from", f.from);
  set("to", f.to);
  set("model", f.model);
  set("q", f.q);
  return p;
}

export function activeFilterCount(f: InboxFilters): number {
  return (f.rating.length ? 1 : 0) + (f.status.length ? 1 : 0) + (f.labels.length ? 1 : 0) + (f.from || f.to ? 1 : 0) + (f.model ? 1 : 0) + (f.q ? 1 : 0);
}

/** Start of a local calendar day as an ISO instant (what the date inputs mean to the viewer). */
export function dayStart(day: string, plusDays = 0): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d + plusDays).toISOString();
}

/** PostgREST's or=() syntax reserves these; a search for them is a search for the rest of the text. */
export function searchTerm(q: string): string {
  return q.replace(/[,()*"\\:%]/g, " ").replace(/\s+/g, " ").trim();
}

/**
 * Whether a row belongs in a filtered view: decides if a live insert or update shows up, stays, or
 * leaves. Must agree with applyFilters on the server side.
 */
export function matchesFilters(row: Pick<FeedbackRow, "rating" | "status" | "labels" | "created_at" | "model" | "query" | "comment"> & { response?: string }, f: InboxFilters): boolean {
  if (f.rating.length && !f.rating.includes(row.rating)) return false;
  if (f.status.length && !f.status.includes(row.status)) return false;
  if (f.labels.length && !f.labels.some((l) => row.labels.includes(l))) return false;
  const t = new Date(row.created_at).getTime();
  if (f.from && t < new Date(dayStart(f.from)).getTime()) return false;
  if (f.to && t >= new Date(dayStart(f.to, 1)).getTime()) return false;
  if (f.model && row.model !== f.model) return false;
  if (f.q) {
    const term = searchTerm(f.q).toLowerCase();
    if (term && ![row.query, row.comment ?? "", row.response ?? ""].some((s) => s.toLowerCase().includes(term))) return false;
  }
  return true;
}

type Filterable<Q> = {
  in(col: string, v: readonly unknown[]): Q;
  overlaps(col: string, v: string[]): Q;
  gte(col: string, v: string): Q;
  lt(col: string, v: string): Q;
  eq(col: string, v: string): Q;
  or(expr: string): Q;
};

/** The same filters as a PostgREST query. */
export function applyFilters<Q extends Filterable<Q>>(query: Q, f: InboxFilters): Q {
  let q = query;
  if (f.rating.length) q = q.in("rating", f.rating);
  if (f.status.length) q = q.in("status", f.status);
  if (f.labels.length) q = q.overlaps("labels", f.labels);
  if (f.from) q = q.gte("created_at", dayStart(f.from));
  if (f.to) q = q.lt("created_at", dayStart(f.to, 1));
  if (f.model) q = q.eq("model", f.model);
  const term = f.q ? searchTerm(f.q) : "";
  if (term) q = q.or(`query.ilike.*${term}*,comment.ilike.*${term}*,response.ilike.*${term}*`);
  return q;
}
