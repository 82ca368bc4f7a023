import { describe, expect, it } from "vitest";
import { cohenKappa, krippendorffAlpha } from "../stats/agreement.ts";
import { humanConsensus, judgeAgreement, judgeItems, judgeVerdict, judgeVsHuman, type JudgeScoreRow } from "./judge.ts";
import { queueReport, type Rubric, type ScoreRow } from "./report.ts";

const quality: Rubric = { id: "q", name: "Quality", version: 1, kind: "ordinal", levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: `L${v}` })) };
const escalate: Rubric = { id: "e", name: "Escalate", version: 1, kind: "boolean" };
const length: Rubric = { id: "l", name: "Length", version: 1, kind: "numeric", min_value: 0, max_value: 10, step: 1 };
const note: Rubric = { id: "n", name: "Note", version: 1, kind: "text" };

function rows(rubric: string, byItem: Record<string, Record<string, unknown>>): ScoreRow[] {
  return Object.entries(byItem).flatMap(([item_id, m]) => Object.entries(m).map(([reviewer_id, value]) => ({ item_id, reviewer_id, score_config_id: rubric, value })));
}
const judged = (rubric: string, byItem: Record<string, unknown>): JudgeScoreRow[] => Object.entries(byItem).map(([item_id, value]) => ({ item_id, score_config_id: rubric, value }));

describe("judge vs human", () => {
  const scores = [
    // i2 is a tie between ann and bob (no majority): adjudicated to 4 below; i5 a tie nobody decided.
    ...rows("q", { i1: { ann: 4, bob: 4 }, i2: { ann: 2, bob: 5 }, i3: { ann: 3, bob: 3, cy: 2 }, i4: { ann: 1, bob: 1 }, i5: { ann: 2, bob: 3 } }),
    ...rows("e", { i1: { ann: true, bob: true }, i2: { ann: false, bob: false }, i3: { ann: false, bob: false }, i4: { ann: true, bob: true } }),
    ...rows("l", { i1: { ann: 3, bob: 5 }, i2: { ann: 7, bob: 7 } }),
    ...rows("n", { i1: { ann: "fine" } }),
  ];
  const adjudications = [{ item_id: "i2", score_config_id: "q", value: 4 }];

  it("takes the report's finals as the consensus: adjudicated, else the majority, else the median for numbers; no consensus for a tie", () => {
    const c = humanConsensus([quality, escalate, length], scores, adjudications);
    expect(c.get("i2/q")).toBe(4);
    expect(c.get("i3/q")).toBe(3);
    expect(c.has("i5/q")).toBe(false);
    expect(c.get("i1/l")).toBe(4);
  });

  it("compares the judge with the consensus as two raters, with the same statistics as the report", () => {
    const judge = [
      ...judged("q", { i1: 4, i2: 4, i3: 2, i4: 1, i5: 3, i9: 5 }),
      ...judged("e", { i1: true, i2: false, i3: true, i4: true }),
      ...judged("l", { i1: 4, i2: 6 }),
      ...judged("n", { i1: "a note" }),
    ];
    const [q, e, l, ...rest] = judgeVsHuman([quality, escalate, length, note], scores, adjudications, judge, { resamples: 200, seed: "queue" });
    expect(rest).toEqual([]);

    // Quality: i5 has no consensus and i9 no human at all: 4 items compared of the 6 judged.
    expect(q!.judged).toBe(6);
    expect(q!.n).toBe(4);
    expect(q!.level).toBe("ordinal");
    expect(q!.alpha.estimate).toBeCloseTo(krippendorffAlpha([[4, 4], [4, 4], [2, 3], [1, 1]], "ordinal"), 12);
    expect(q!.kappa).toBeCloseTo(cohenKappa([4, 4, 2, 1], [4, 4, 3, 1]), 12);
    expect(q!.exact).toBe(0.75);
    expect(q!.alpha.lower).toBeLessThanOrEqual(q!.alpha.estimate);

    expect(e!.n).toBe(4);
    expect(e!.level).toBe("nominal");
    expect(e!.kappa).toBeCloseTo(cohenKappa(["true", "false", "true", "true"], ["true", "false", "false", "true"]), 12);
    expect(e!.alpha.estimate).toBeCloseTo(krippendorffAlpha([["true", "true"], ["false", "false"], ["true", "false"], ["true", "true"]], "nominal"), 12);

    // Numbers: interval alpha, no kappa.
    expect(l!.level).toBe("interval");
    expect(l!.kappa).toBeNull();
    expect(l!.alpha.estimate).toBeCloseTo(krippendorffAlpha([[4, 4], [6, 7]], "interval"), 12);
  });

  it("is seeded: the same rows give the same CI", () => {
    const judge = judged("q", { i1: 4, i2: 3, i3: 3, i4: 2 });
    const a = judgeVsHuman([quality], scores, adjudications, judge, { resamples: 100, seed: 7 });
    const b = judgeVsHuman([quality], scores, adjudications, judge, { resamples: 100, seed: 7 });
    expect(a).toEqual(b);
  });

  it("a judge that always agrees is perfect; with nothing to compare, alpha is undefined and the verdict says so", () => {
    const perfect = judgeVsHuman([escalate], scores, [], judged("e", { i1: true, i2: false, i3: false, i4: true }), { resamples: 50 });
    expect(perfect[0]!.alpha.estimate).toBe(1);
    expect(perfect[0]!.kappa).toBe(1);
    expect(perfect[0]!.exact).toBe(1);
    const none = judgeVsHuman([escalate], scores, [], [], { resamples: 50 });
    expect(none[0]!.n).toBe(0);
    expect(Number.isNaN(none[0]!.alpha.estimate)).toBe(true);
    expect(judgeVerdict(none[0]!)).toBe("too few items");
  });

  it("reads the CI's lower bound against Krippendorff's thresholds", () => {
    const ci = (estimate: number, lower: number) => ({ estimate, lower, upper: 1, level: 0.95, resamples: 100 });
    expect(judgeVerdict({ n: 40, alpha: ci(0.9, 0.82) })).toBe("trust");
    expect(judgeVerdict({ n: 40, alpha: ci(0.85, 0.7) })).toBe("tentative");
    expect(judgeVerdict({ n: 40, alpha: ci(0.85, 0.5) })).toBe("do not trust");
    expect(judgeVerdict({ n: 5, alpha: ci(1, 1) })).toBe("too few items");
  });

  it("lists, per item, the judge next to the people's final and flags the items where they differ, exactly the pairs `exact` counts as different", () => {
    const judge = [
      ...judged("q", { i1: 4, i2: 4, i3: 2, i4: 1, i5: 3, i9: 5 }),
      ...judged("e", { i1: true, i2: false, i3: true, i4: true }),
      ...judged("n", { i1: "a note" }),
    ];
    const finals = queueReport([quality, escalate, note], scores, adjudications, { resamples: 0 }).finals;
    const items = judgeItems([quality, escalate, note], finals, judge);
    // Every judged item, free text left out (it has no agreement to compare).
    expect([...items.keys()].sort()).toEqual(["i1", "i2", "i3", "i4", "i5", "i9"]);
    expect(items.get("i1")!.cells.map((c) => c.rubricId)).toEqual(["q", "e"]);
    // i2: the judge says 4, the adjudicated final is 4; i3: 2 against a majority of 3, and escalation differs too.
    expect(items.get("i2")!.cells[0]).toEqual({ rubricId: "q", judge: 4, human: 4, humanSource: "adjudicated", disagrees: false });
    expect(items.get("i3")!.cells.map((c) => [c.judge, c.human, c.humanSource, c.disagrees])).toEqual([[2, 3, "consensus", true], [true, false, "consensus", true]]);
    // i5: a tie nobody decided has no final, i9 no people at all, so neither can disagree; i5 has no escalation value.
    expect(items.get("i5")!.cells.map((c) => [c.judge, c.human, c.disagrees])).toEqual([[3, undefined, false], [undefined, undefined, false]]);
    expect(items.get("i9")!.disagrees).toBe(false);
    expect([...items.values()].filter((i) => i.disagrees).map((i) => i.itemId)).toEqual(["i3"]);
    // The same comparison as the statistics: per rubric, the flagged cells are the compared pairs that differ.
    const consensus = new Map(finals.filter((f) => f.source !== "none").map((f) => [`${f.itemId}/${f.rubricId}`, f.value]));
    for (const a of judgeAgreement([quality, escalate], consensus, judge, { resamples: 10 })) {
      const cells = [...items.values()].flatMap((i) => i.cells.filter((c) => c.rubricId === a.rubricId));
      expect(cells.filter((c) => c.disagrees).length).toBe(Math.round(a.n * (1 - a.exact)));
    }
  });
});
