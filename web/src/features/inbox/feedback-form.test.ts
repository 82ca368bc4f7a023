import { describe, expect, it } from "vitest";
import { EMPTY_DRAFT, FEEDBACK_LIMITS, MANUAL_SOURCE, parseDraft, splitLabels, toggleLabel, toInsert, type FeedbackDraft } from "./feedback-form.ts";

const draft = (over: Partial<FeedbackDraft> = {}): FeedbackDraft => ({ ...EMPTY_DRAFT, query: "Where is my parcel?", response: "I cannot help with that.", rating: "2", ...over });
const errorsOf = (d: FeedbackDraft) => {
  const res = parseDraft(d);
  return res.ok ? {} : res.errors;
};

describe("feedback added by hand", () => {
  it("turns a valid draft into the row to insert", () => {
    const res = parseDraft(draft({ query: "  Where is my parcel?\n", comment: "  ", labels: "Shipping, #late, shipping,, ", model: " gpt-x " }));
    expect(res).toEqual({ ok: true, value: { query: "Where is my parcel?", response: "I cannot help with that.", rating: 2, comment: null, labels: ["shipping", "late"], model: "gpt-x" } });
    expect(toInsert("org-1", (res as { ok: true; value: never }).value)).toMatchObject({ org_id: "org-1", rating: 2, labels: ["shipping", "late"], source: MANUAL_SOURCE });
    expect(MANUAL_SOURCE.length).toBeLessThanOrEqual(60);
  });

  it("requires a question and a rating", () => {
    expect(errorsOf(draft({ query: "   " }))).toEqual({ query: "Enter the question that was asked." });
    expect(errorsOf(draft({ rating: "" }))).toEqual({ rating: "Choose a rating from 1 to 5." });
    expect(errorsOf(draft({ rating: "6" })).rating).toBeDefined();
    expect(errorsOf(draft({ rating: "0" })).rating).toBeDefined();
    expect(errorsOf({ ...EMPTY_DRAFT })).toEqual({ query: "Enter the question that was asked.", rating: "Choose a rating from 1 to 5." });
  });

  it("keeps the answer as given, and allows it empty as the table does", () => {
    const res = parseDraft(draft({ response: "  code:\n\tx = 1\n" }));
    expect(res.ok && res.value.response).toBe("  code:\n\tx = 1\n");
    expect(parseDraft(draft({ response: "" })).ok).toBe(true);
  });

  it("enforces the table's length limits, counting characters as Postgres does", () => {
    expect(parseDraft(draft({ query: "q".repeat(FEEDBACK_LIMITS.query) })).ok).toBe(true);
    expect(errorsOf(draft({ query: "q".repeat(FEEDBACK_LIMITS.query + 1) })).query).toBe("The question can be at most 20,000 characters (now 20,001).");
    // 20,000 emoji are 40,000 UTF-16 units but 20,000 characters for char_length.
    expect(parseDraft(draft({ query: "😀".repeat(FEEDBACK_LIMITS.query) })).ok).toBe(true);
    expect(parseDraft(draft({ response: "r".repeat(FEEDBACK_LIMITS.response) })).ok).toBe(true);
    expect(errorsOf(draft({ response: "r".repeat(FEEDBACK_LIMITS.response + 1) })).response).toMatch(/at most 50,000/);
    expect(parseDraft(draft({ comment: "c".repeat(FEEDBACK_LIMITS.comment) })).ok).toBe(true);
    expect(errorsOf(draft({ comment: "c".repeat(FEEDBACK_LIMITS.comment + 1) })).comment).toMatch(/at most 5,000/);
    expect(errorsOf(draft({ model: "m".repeat(121) })).model).toMatch(/at most 120/);
  });

  it("allows at most 20 labels of at most 40 characters", () => {
    const labels = (k: number) => Array.from({ length: k }, (_, i) => `l${i}`).join(",");
    expect(parseDraft(draft({ labels: labels(20) })).ok).toBe(true);
    expect(errorsOf(draft({ labels: labels(21) })).labels).toBe("At most 20 labels (now 21).");
    expect(errorsOf(draft({ labels: `ok, ${"x".repeat(41)}` })).labels).toMatch(/at most 40 characters/);
  });

  it("reports every invalid field at once", () => {
    expect(Object.keys(errorsOf({ ...EMPTY_DRAFT, response: "r".repeat(50_001), comment: "c".repeat(5_001) }))).toEqual(["query", "response", "rating", "comment"]);
  });

  it("splits labels like the label dialog writes them", () => {
    expect(splitLabels("")).toEqual([]);
    expect(splitLabels(" Billing , ##Refund,billing")).toEqual(["billing", "refund"]);
    expect(toggleLabel("Billing", "refund")).toBe("billing, refund");
    expect(toggleLabel("billing, refund", "billing")).toBe("refund");
  });
});
