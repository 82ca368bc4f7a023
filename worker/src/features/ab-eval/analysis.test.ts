import { describe, expect, it } from "vitest";
import { analyze, debiasedJudgeScore, type ItemResult } from "./analysis.ts";

const m = (f1: number) => ({ f1, rougeL: f1, latencyMs: 10, inputTokens: 5, outputTokens: 5, costUsd: 0 });
const item = (i: number, judgeScore: number, fa = 0.2, fb = 0.6): ItemResult => ({ itemIndex: i, a: m(fa), b: m(fb), judge: [], judgeScore });
const gate = { margin: 0.05, alpha: 0.05, minSamples: 20 };

describe("position-debiased judge score", () => {
  it("cancels a judge that always prefers the first answer", () => {
    expect(debiasedJudgeScore("A", "A")).toBe(0);
    expect(debiasedJudgeScore("B", "B")).toBe(0);
  });
  it("counts agreement across both orders", () => {
    expect(debiasedJudgeScore("B", "A")).toBe(1);
    expect(debiasedJudgeScore("A", "B")).toBe(-1);
    expect(debiasedJudgeScore("B", "tie")).toBe(0.5);
  });
});

describe("promotion gate", () => {
  it("passes a clear, significant win with enough samples", () => {
    const r = analyze(Array.from({ length: 24 }, (_, i) => item(i, i % 6 === 0 ? 0 : 1)), { primaryMetric: "judge", gate, seed: 1 });
    expect(r.gate.passed).toBe(true);
    expect(r.meanDelta).toBeCloseTo(20 / 24, 4);
    expect(r.pValue).toBeLessThan(0.001);
    expect(r.ci95.lower).toBeGreaterThan(0.5);
    expect(r.winRateB).toBeCloseTo((20 + 4 / 2) / 24, 4);
  });
  it("refuses too few samples even when every item is a win", () => {
    const r = analyze(Array.from({ length: 8 }, (_, i) => item(i, 1)), { primaryMetric: "judge", gate, seed: 1 });
    expect(r.gate.passed).toBe(false);
    expect(r.gate.reasons).toEqual(["only 8 paired samples; the gate needs at least 20"]);
  });
  it("refuses a win smaller than the margin", () => {
    // F1 delta of +0.02 on every item: significant, but below the 5-point margin.
    const r = analyze(Array.from({ length: 30 }, (_, i) => item(i, 0, 0.5, 0.52)), { primaryMetric: "f1", gate, seed: 1 });
    expect(r.meanDelta).toBeCloseTo(0.02, 6);
    expect(r.pValue).toBeLessThan(0.05);
    expect(r.gate.passed).toBe(false);
    expect(r.gate.reasons[0]).toMatch(/not above the margin/);
  });
  it("refuses a noisy difference that is not significant", () => {
    const scores = [1, -1, 1, -1, 1, 1, -1, -1, 1, -1, 1, -1, 1, 1, -1, -1, 1, -1, 1, 1, 1, -1];
    const r = analyze(scores.map((s, i) => item(i, s)), { primaryMetric: "judge", gate, seed: 1 });
    expect(r.gate.passed).toBe(false);
    expect(r.pValue).toBeGreaterThan(0.05);
  });
});
