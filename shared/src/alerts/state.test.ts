import { describe, expect, it } from "vitest";
import { isBreach, nextTransition, type RuleSpec } from "./state.ts";

const errorRate: RuleSpec = { comparator: ">", threshold: 0.05, minSample: 20, hysteresisMinutes: 15 };
const score: RuleSpec = { comparator: "<", threshold: 0.6, minSample: 20, hysteresisMinutes: 60 };
const t = (min: number) => new Date(Date.UTC(2026, 0, 1, 12, min));

describe("alert state machine", () => {
  it("fires on a value across the threshold with enough sample, in either direction", () => {
    expect(nextTransition(errorRate, { value: 0.2, sample: 50 }, null, t(0))).toEqual({ kind: "fire" });
    expect(nextTransition(score, { value: 0.4, sample: 50 }, null, t(0))).toEqual({ kind: "fire" });
    expect(nextTransition(errorRate, { value: 0.05, sample: 50 }, null, t(0))).toEqual({ kind: "none" });
    expect(nextTransition(score, { value: 0.6, sample: 50 }, null, t(0))).toEqual({ kind: "none" });
  });

  it("a window below the minimum sample never fires, however bad the value", () => {
    expect(isBreach(errorRate, { value: 1, sample: 19 })).toBe(false);
    expect(nextTransition(errorRate, { value: 1, sample: 19 }, null, t(0))).toEqual({ kind: "none" });
    expect(nextTransition(errorRate, { value: null, sample: 0 }, null, t(0))).toEqual({ kind: "none" });
  });

  it("stays one open alert while the value keeps crossing", () => {
    expect(nextTransition(errorRate, { value: 0.3, sample: 50 }, { clearSince: null }, t(1))).toEqual({ kind: "still_firing" });
  });

  it("resolves only after the value has been back for the whole hysteresis; a new crossing restarts the clock", () => {
    const ok = { value: 0.01, sample: 50 };
    let open = { clearSince: null as Date | null };
    const first = nextTransition(errorRate, ok, open, t(0));
    expect(first).toEqual({ kind: "clearing", clearSince: t(0) });
    open = { clearSince: t(0) };
    expect(nextTransition(errorRate, ok, open, t(14))).toEqual({ kind: "clearing", clearSince: t(0) });
    // crossing again at minute 14: the clock stops
    expect(nextTransition(errorRate, { value: 0.5, sample: 50 }, open, t(14))).toEqual({ kind: "still_firing" });
    open = { clearSince: null };
    expect(nextTransition(errorRate, ok, open, t(20))).toEqual({ kind: "clearing", clearSince: t(20) });
    open = { clearSince: t(20) };
    expect(nextTransition(errorRate, ok, open, t(34))).toEqual({ kind: "clearing", clearSince: t(20) });
    expect(nextTransition(errorRate, ok, open, t(35))).toEqual({ kind: "resolve" });
  });

  it("no hysteresis resolves on the first evaluation back", () => {
    expect(nextTransition({ ...errorRate, hysteresisMinutes: 0 }, { value: 0, sample: 50 }, { clearSince: null }, t(0))).toEqual({ kind: "resolve" });
  });

  it("a quiet window after an incident counts as back (no verdict), so alerts do not stay open forever", () => {
    expect(nextTransition(errorRate, { value: 0.9, sample: 2 }, { clearSince: t(0) }, t(15))).toEqual({ kind: "resolve" });
  });
});
