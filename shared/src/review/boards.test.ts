import { describe, expect, it } from "vitest";
import { krippendorffAlpha } from "../stats/agreement.ts";
import { agreementOverTime, costPerReviewedItem, windowOf } from "./boards.ts";
import type { Rubric } from "./report.ts";

const quality: Rubric = { id: "q", name: "Quality", version: 1, kind: "ordinal", levels: [1, 2, 3].map((v) => ({ value: v, label: `L${v}` })) };
const escalate: Rubric = { id: "e", name: "Escalate", version: 1, kind: "boolean" };
const note: Rubric = { id: "n", name: "Note", version: 1, kind: "text" };

describe("reviewers' board", () => {
  it("puts a day in its week, starting Monday (UTC)", () => {
    expect(windowOf("2026-12-05", "week")).toBe("2026-11-30"); // a Saturday
    expect(windowOf("2026-11-30", "week")).toBe("2026-11-30");
    expect(windowOf("2026-12-06T00:00:00Z", "day")).toBe("2026-12-06");
  });

  const units = [
    { day: "2026-11-30", rubric_id: "q", values: [3, 3] },
    { day: "2026-11-30", rubric_id: "q", values: [1, 2] },
    { day: "2026-12-01", rubric_id: "q", values: [2, 2] },
    { day: "2026-12-08", rubric_id: "q", values: [1, 3] },
    { day: "2026-12-08", rubric_id: "q", values: [3, 1] },
    { day: "2026-11-30", rubric_id: "e", values: [true, false] },
    { day: "2026-12-01", rubric_id: "e", values: [true, true] },
    { day: "2026-11-30", rubric_id: "n", values: ["x", "y"] },
  ];

  it("computes alpha per rubric and window over the items completed in it, with the report's statistics", () => {
    const daily = agreementOverTime([quality, escalate, note], units, "day", { resamples: 50 });
    expect(daily.filter((p) => p.rubricId === "q").map((p) => [p.window, p.items, p.ratings])).toEqual([["2026-11-30", 2, 4], ["2026-12-01", 1, 2], ["2026-12-08", 2, 4]]);
    expect(daily.find((p) => p.rubricId === "q" && p.window === "2026-11-30")!.alpha.estimate).toBeCloseTo(krippendorffAlpha([[3, 3], [1, 2]], "ordinal"), 12);
    expect(daily.some((p) => p.rubricId === "n")).toBe(false);

    const weekly = agreementOverTime([quality, escalate], units, "week", { resamples: 50 });
    const q = weekly.filter((p) => p.rubricId === "q");
    expect(q.map((p) => [p.window, p.items])).toEqual([["2026-11-30", 3], ["2026-12-07", 2]]);
    expect(q[0]!.alpha.estimate).toBeCloseTo(krippendorffAlpha([[3, 3], [1, 2], [2, 2]], "ordinal"), 12);
    // The second week's reviewers disagree completely: alpha falls below zero.
    expect(q[1]!.alpha.estimate).toBeLessThan(0);
    const e = weekly.find((p) => p.rubricId === "e")!;
    expect(e.alpha.estimate).toBeCloseTo(krippendorffAlpha([["true", "false"], ["true", "true"]], "nominal"), 12);
  });

  it("divides the attributable cost by the items completed", () => {
    expect(costPerReviewedItem([
      { day: "2026-12-01", items: 3, cost_usd: 0.03, judge_usd: 0.02, source_usd: 0.01, judge_tokens: 300 },
      { day: "2026-12-02", items: 1, cost_usd: 0.01, judge_usd: 0.01, source_usd: 0, judge_tokens: 100 },
    ])).toEqual({ items: 4, costUsd: 0.04, perItemUsd: 0.01, judgeTokensPerItem: 100 });
    expect(costPerReviewedItem([]).perItemUsd).toBeNull();
  });
});
