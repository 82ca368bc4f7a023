import { describe, expect, it } from "vitest";
import { applyRow, flattenInbox, removeRow, totalOf, type InboxData } from "./cache.ts";
import { EMPTY_FILTERS, parseFilters } from "./filters.ts";
import type { FeedbackRow } from "./types.ts";

const mk = (id: string, minute: number, over: Partial<FeedbackRow> = {}): FeedbackRow => ({
  id, org_id: "o", rating: 1, query: `q${id}`, comment: null, status: "new", labels: [], claimed_by: null, claimed_at: null,
  model: null, case_id: null, source: "app", created_at: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(), updated_at: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(), ...over,
});
const data = (...pages: FeedbackRow[][]): InboxData => ({ pages: pages.map((rows, i) => ({ rows, count: i === 0 ? 10 : null })), pageParams: pages.map((_, i) => i * 500) });

describe("inbox cache", () => {
  it("puts a live insert at its place and counts it", () => {
    const next = applyRow(data([mk("b", 5), mk("a", 1)]), mk("c", 9), EMPTY_FILTERS)!;
    expect(flattenInbox(next).map((r) => r.id)).toEqual(["c", "b", "a"]);
    expect(totalOf(next)).toBe(11);
  });

  it("ignores an insert the view's filters exclude", () => {
    const d = data([mk("a", 1)]);
    expect(applyRow(d, mk("c", 9, { rating: 5 }), parseFilters(new URLSearchParams("rating=1")))).toBe(d);
  });

  it("replaces an updated row in place, or drops it when it leaves the view", () => {
    const d = data([mk("b", 5), mk("a", 1)]);
    expect(flattenInbox(applyRow(d, mk("a", 1, { claimed_by: "u" }), EMPTY_FILTERS))[1]!.claimed_by).toBe("u");
    const gone = applyRow(d, mk("a", 1, { status: "dismissed" }), parseFilters(new URLSearchParams("status=new")))!;
    expect(flattenInbox(gone).map((r) => r.id)).toEqual(["b"]);
    expect(totalOf(gone)).toBe(9);
  });

  it("never goes back to an older state of a row", () => {
    const newer = mk("a", 1, { labels: ["new"], updated_at: "2026-01-01T00:05:00.000002+00:00" });
    const d = data([newer]);
    expect(applyRow(d, mk("a", 1, { labels: ["old"], updated_at: "2026-01-01 00:05:00.000001+00" }), EMPTY_FILTERS)).toBe(d);
    expect(applyRow(d, mk("a", 1, { status: "dismissed", updated_at: "2026-01-01T00:04:00Z" }), parseFilters(new URLSearchParams("status=new")))).toBe(d);
    expect(flattenInbox(applyRow(d, { ...newer, claimed_by: "u" }, EMPTY_FILTERS))[0]!.claimed_by).toBe("u"); // same version: an optimistic patch
  });

  it("shows a row once when offset pages overlap after live inserts", () => {
    expect(flattenInbox(data([mk("c", 9), mk("b", 5)], [mk("b", 5), mk("a", 1)])).map((r) => r.id)).toEqual(["c", "b", "a"]);
    expect(flattenInbox(removeRow(data([mk("b", 5)], [mk("a", 1)]), "a")).map((r) => r.id)).toEqual(["b"]);
  });
});
