import { describe, expect, it } from "vitest";
import { defaultOutputs, outputsValid, outputVariants, rubricsForItems } from "./ExperimentOutputs.tsx";
import type { ScoreConfig } from "./queries.ts";

const rubric = (name: string, version: number, kind: string) => ({ id: `${name}-${version}`, name, version, kind }) as unknown as ScoreConfig;

describe("a new queue over an experiment's outputs", () => {
  it("defaults to the baseline against the first other variant, side by side; one variant alone is single", () => {
    expect(defaultOutputs(3, 1)).toEqual({ pairwise: true, a: 1, b: 0 });
    expect(defaultOutputs(1, 0)).toEqual({ pairwise: false, a: 0, b: 0 });
    expect(outputVariants({ pairwise: true, a: 1, b: 2 })).toEqual([1, 2]);
    expect(outputVariants({ pairwise: false, a: 1, b: 2 })).toEqual([2]);
    expect(outputsValid({ pairwise: true, a: 2, b: 2 })).toBe(false);
    expect(outputsValid({ pairwise: false, a: 2, b: 2 })).toBe(true);
  });

  it("offers preference rubrics first for pairwise items and not at all for single ones, every version kept in order", () => {
    const listed = [rubric("Accuracy", 2, "numeric"), rubric("Accuracy", 1, "numeric"), rubric("Better answer", 1, "preference"), rubric("Escalate", 1, "boolean")];
    expect(rubricsForItems(listed, true).map((r) => r.id)).toEqual(["Better answer-1", "Accuracy-2", "Accuracy-1", "Escalate-1"]);
    expect(rubricsForItems(listed, false).map((r) => r.id)).toEqual(["Accuracy-2", "Accuracy-1", "Escalate-1"]);
  });
});
