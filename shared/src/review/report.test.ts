import { describe, expect, it } from "vitest";
import { krippendorffAlpha } from "../stats/agreement.ts";
import { finalsCsv, finalsJsonl, queueReport, type Rubric, type ScoreRow } from "./report.ts";

const quality: Rubric = { id: "q", name: "Quality", version: 2, kind: "ordinal", levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: `L${v}` })) };
const escalate: Rubric = { id: "e", name: "Escalate", version: 1, kind: "boolean" };
const note: Rubric = { id: "n", name: "Note", version: 1, kind: "text" };

function rows(rubric: string, byItem: Record<string, Record<string, unknown>>): ScoreRow[] {
  return Object.entries(byItem).flatMap(([item_id, m]) => Object.entries(m).map(([reviewer_id, value]) => ({ item_id, reviewer_id, score_config_id: rubric, value })));
}

describe("queue report", () => {
  const scores = [
    ...rows("q", { i1: { ann: 4, bob: 4 }, i2: { ann: 2, bob: 5 }, i3: { ann: 3, bob: 3, cy: 3 }, i4: { ann: 1 } }),
    ...rows("e", { i1: { ann: true, bob: true }, i2: { ann: false, bob: true }, i3: { ann: false, bob: false, cy: false } }),
    ...rows("n", { i1: { ann: "fine" } }),
  ];
  const report = queueReport([quality, escalate, note], scores, [{ item_id: "i2", score_config_id: "q", value: 4 }], { threshold: 0.3, resamples: 50 });

  it("counts items and ratings, and gives each rubric the alpha of its level (text has none)", () => {
    expect(report.items).toBe(4);
    expect(report.ratings).toBe(scores.length);
    expect(report.rubrics.map((r) => [r.rubric.name, r.level])).toEqual([["Quality", "ordinal"], ["Escalate", "nominal"]]);
    expect(report.rubrics[0]!.alpha.estimate).toBeCloseTo(krippendorffAlpha([[4, 4], [2, 5], [3, 3, 3], [1]], "ordinal"), 12);
  });

  it("gives Cohen's kappa per pair over the items both rated", () => {
    const annBob = report.pairs.find((p) => p.rubricId === "q" && p.a === "ann" && p.b === "bob")!;
    expect(annBob.items).toBe(3);
    expect(report.pairs.find((p) => p.rubricId === "q" && p.a === "ann" && p.b === "cy")!.items).toBe(1);
  });

  it("measures agreement with the consensus, the adjudicated value winning", () => {
    const ann = report.perReviewer.find((p) => p.rubricId === "q" && p.reviewerId === "ann")!;
    // i1 4=4 yes, i2 2 vs adjudicated 4 no, i3 yes; i4 has one rating and is not compared
    expect([ann.rated, ann.compared, ann.agreement]).toEqual([4, 3, 2 / 3]);
  });

  it("lists disagreements beyond the threshold and uses decisions as final values", () => {
    expect(report.disagreements.map((d) => [d.itemId, d.rubricId])).toEqual([["i2", "e"], ["i2", "q"]]);
    const final = report.finals.find((f) => f.itemId === "i2" && f.rubricId === "q")!;
    expect([final.value, final.source]).toEqual([4, "adjudicated"]);
    // A 1–1 split has no majority: nothing final until someone decides.
    expect(report.finals.find((f) => f.itemId === "i2" && f.rubricId === "e")!.source).toBe("none");
  });

  it("exports JSONL and CSV with the rubric version and the reviewers", () => {
    const items = [{ id: "i1", source_kind: "feedback", source_id: "f1", query: 'Say "hi", please' }];
    const line = JSON.parse(finalsJsonl(items, [quality, escalate, note], report.finals).split("\n")[0]!);
    expect(line).toMatchObject({ item_id: "i1", rubric: "Quality", rubric_version: 2, value: 4, decided_by: "consensus", reviewers: ["ann", "bob"] });
    const csv = finalsCsv(items, [quality, escalate, note], report.finals).split("\n");
    expect(csv[0]).toBe("item_id,source_kind,source_id,query,rubric,rubric_version,rubric_id,value,decided_by,reviewers");
    expect(csv[1]).toBe('i1,feedback,f1,"Say ""hi"", please",Quality,2,q,4,consensus,ann bob');
  });
});

describe("queue report: per-item details for chosen items only", () => {
  it("keeps the statistics over every rating and lists finals and disagreements of the chosen items", () => {
    const scores = rows("q", { i1: { ann: 1, bob: 5 }, i2: { ann: 2, bob: 5 }, i3: { ann: 3, bob: 3 } });
    const all = queueReport([quality], scores, [], { resamples: 20 });
    const some = queueReport([quality], scores, [], { resamples: 20, detailItems: new Set(["i2", "i3"]) });
    expect(some.rubrics).toEqual(all.rubrics);
    expect(some.pairs).toEqual(all.pairs);
    expect(some.perReviewer).toEqual(all.perReviewer);
    expect(some.finals.map((f) => f.itemId)).toEqual(["i2", "i3"]);
    expect(some.disagreements.map((d) => d.itemId)).toEqual(["i2"]);
    expect(all.disagreements.map((d) => d.itemId)).toEqual(["i1", "i2"]);
  });
});
