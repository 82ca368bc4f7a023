import { describe, expect, it } from "vitest";
import { activeFilterCount, filtersToParams, matchesFilters, parseFilters, searchTerm } from "./filters.ts";
import type { FeedbackRow } from "./types.ts";

const row = (over: Partial<FeedbackRow> = {}): FeedbackRow => ({
  id: "1", org_id: "o", rating: 1, query: "Refund for a double charge", comment: "wrong", status: "new", labels: ["billing"],
  claimed_by: null, claimed_at: null, model: "m1", case_id: null, source: "app", created_at: new Date(2026, 0, 10, 12).toISOString(), updated_at: new Date(2026, 0, 10, 12).toISOString(), ...over,
});

describe("inbox filters", () => {
  it("round-trips through the URL and drops unknown values", () => {
    const f = parseFilters(new URLSearchParams("rating=2,1,9,x&status=new,bogus&labels=billing,tone&from=2026-01-01&to=nope&model=m1&q=refund"));
    expect(f).toEqual({ rating: [1, 2], status: ["new"], labels: ["billing", "tone"], from: "2026-01-01", to: undefined, model: "m1", q: "refund" });
    expect(parseFilters(filtersToParams(f))).toEqual(f);
    expect(activeFilterCount(f)).toBe(6);
  });

  it("keeps unrelated URL params", () => {
    expect(filtersToParams({ rating: [1], status: [], labels: [] }, new URLSearchParams("tab=x")).toString()).toBe("tab=x&rating=1");
  });

  it("decides whether a live row belongs in a view", () => {
    expect(matchesFilters(row(), parseFilters(new URLSearchParams("")))).toBe(true);
    expect(matchesFilters(row(), parseFilters(new URLSearchParams("rating=2,3")))).toBe(false);
    expect(matchesFilters(row(), parseFilters(new URLSearchParams("labels=tone,billing")))).toBe(true);
    expect(matchesFilters(row({ status: "dismissed" }), parseFilters(new URLSearchParams("status=new")))).toBe(false);
    expect(matchesFilters(row(), parseFilters(new URLSearchParams("from=2026-01-10&to=2026-01-10")))).toBe(true);
    expect(matchesFilters(row(), parseFilters(new URLSearchParams("from=2026-01-11")))).toBe(false);
    expect(matchesFilters(row(), parseFilters(new URLSearchParams("to=2026-01-09")))).toBe(false);
    expect(matchesFilters(row(), parseFilters(new URLSearchParams("model=m2")))).toBe(false);
    expect(matchesFilters(row(), parseFilters(new URLSearchParams("q=DOUBLE")))).toBe(true);
    expect(matchesFilters(row(), parseFilters(new URLSearchParams("q=shipping")))).toBe(false);
  });

  it("strips PostgREST syntax from search terms", () => {
    expect(searchTerm('refund, (now)* "x"')).toBe("refund now x");
  });
});
