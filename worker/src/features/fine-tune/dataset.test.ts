import { describe, expect, it } from "vitest";
import { buildDataset, DatasetTooSmallError, toChatJsonl, type Example } from "./dataset.ts";

const ex = (i: number, query = `Question ${i} about billing?`, days = i): Example => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  query,
  answer: `Answer ${i}.`,
  tags: ["support"],
  created_at: new Date(Date.UTC(2025, 0, 1 + days)),
});
const opts = { seed: 42, validationFraction: 0.25, minSamples: 4, maxTokensPerExample: 200, systemPrompt: "" };

describe("fine-tune dataset", () => {
  it("is deterministic for a seed, whatever order rows arrive in", () => {
    const rows = Array.from({ length: 20 }, (_, i) => ex(i));
    const a = buildDataset(rows, ["support"], opts);
    const b = buildDataset(rows.slice().reverse(), ["support"], opts);
    expect(b.snapshot).toEqual(a.snapshot);
    expect(a.snapshot.counts).toMatchObject({ used: 20, train: 15, validation: 5 });
    expect(new Set([...a.snapshot.trainIds, ...a.snapshot.validationIds]).size).toBe(20);
    expect(buildDataset(rows, ["support"], { ...opts, seed: 7 }).snapshot.contentHash).not.toBe(a.snapshot.contentHash);
  });
  it("drops duplicate questions (keeping the newest answer) and over-long examples", () => {
    const rows = [ex(1), ex(2, "question 1 about BILLING"), ex(3), ex(4), ex(5), ex(6, "long ".repeat(400))];
    const d = buildDataset(rows, [], opts);
    expect(d.snapshot.counts).toMatchObject({ matched: 6, duplicates: 1, tooLong: 1, used: 4 });
    expect([...d.train, ...d.validation].map((e) => e.id)).toContain(ex(2).id);
  });
  it("refuses a dataset below the minimum with a sentence saying why", () => {
    expect(() => buildDataset([ex(1), ex(2)], ["billing"], opts)).toThrow(DatasetTooSmallError);
    expect(() => buildDataset([ex(1), ex(2)], ["billing"], opts)).toThrow(/Only 2 usable approved examples match the tags billing .* at least 4 are needed/);
  });
  it("exports OpenAI chat-format JSONL", () => {
    const lines = toChatJsonl([ex(1)], "Be brief.").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([{ messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Question 1 about billing?" }, { role: "assistant", content: "Answer 1." }] }]);
  });
});
