import { describe, expect, it } from "vitest";
import { judgeDetailText } from "./comparison.ts";

describe("a rubric judge's value in the comparison", () => {
  it("reads value/max · label, with the reason for the tooltip", () => {
    expect(judgeDetailText({ raw: 4, label: "helpful", reason: "gives the next step", usedReference: false }, 5)).toEqual({ text: "4/5 · helpful", reason: "gives the next step" });
    expect(judgeDetailText({ raw: 3, reason: "" }, 5)).toEqual({ text: "3/5", reason: "" });
    expect(judgeDetailText({ raw: 7 })).toEqual({ text: "7", reason: "" });
  });
  it("shows nothing when the judge gave no value (skipped, not on the scale, not a rubric judge)", () => {
    expect(judgeDetailText(undefined, 5)).toBeNull();
    expect(judgeDetailText({ raw: null, reason: "not on the scale" }, 5)).toBeNull();
    expect(judgeDetailText("x", 5)).toBeNull();
  });
});
