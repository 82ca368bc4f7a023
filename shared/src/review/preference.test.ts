import { describe, expect, it } from "vitest";
import { winRate } from "../stats/winrate.ts";
import { humanPreference, preferenceGate } from "./preference.ts";
import type { Rubric, ScoreRow } from "./report.ts";

const pref: Rubric = { id: "p", name: "Better answer", version: 1, kind: "preference" };
const rows = (byItem: Record<string, Record<string, string>>): ScoreRow[] =>
  Object.entries(byItem).flatMap(([item_id, m]) => Object.entries(m).map(([reviewer_id, value]) => ({ item_id, reviewer_id, score_config_id: "p", value })));

describe("human preference as gate evidence", () => {
  it("takes the final preference per item (adjudicated, else the majority; a split without a decision is none) and B's win rate with ties as half", () => {
    const scores = rows({ i1: { a: "B", b: "B" }, i2: { a: "A", b: "A" }, i3: { a: "tie", b: "tie" }, i4: { a: "A", b: "B" }, i5: { a: "A", b: "B" }, i6: { a: "B" } });
    const p = humanPreference(pref, scores, [{ item_id: "i5", score_config_id: "p", value: "B" }]);
    // Finals: i1 B, i2 A, i3 tie, i4 none (split), i5 B (adjudicated), i6 B.
    expect(p.items).toBe(6);
    expect([p.n, p.wins, p.losses, p.ties]).toEqual([5, 3, 1, 1]);
    expect(p.rate).toBeCloseTo(3.5 / 5, 12);
    const w = winRate([1, -1, 0, 1, 1]);
    expect([p.lower, p.upper]).toEqual([w.lower, w.upper]);
  });

  it("passes only when the CI's lower bound clears 0.5 + margin / 2 over enough items", () => {
    const strong = winRate([...Array(24).fill(1), ...Array(4).fill(-1)]);
    const g = preferenceGate(strong, { margin: 0.05, minSamples: 20 });
    expect(g.threshold).toBeCloseTo(0.525, 12);
    expect(g.passed).toBe(true);
    expect(g.reasons[0]).toMatch(/clears 52\.5%/);
    const close = winRate([...Array(14).fill(1), ...Array(10).fill(-1)]);
    expect(preferenceGate(close).passed).toBe(false);
    const few = winRate(Array(10).fill(1));
    const f = preferenceGate(few, { minSamples: 20 });
    expect(f.passed).toBe(false);
    expect(f.reasons.join(" ")).toMatch(/only 10 items/);
  });

  it("refuses a rubric that is not a preference", () => {
    expect(() => humanPreference({ ...pref, kind: "boolean" }, [])).toThrow(/not a preference/);
  });
});
