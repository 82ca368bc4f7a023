import { describe, expect, it } from "vitest";
import { normalQuantile, runningWinRate, wilsonInterval, winRate } from "./index.ts";

describe("win rate with a Wilson interval", () => {
  it("uses the normal quantile of the level", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.005)).toBeCloseTo(-2.575829, 6);
  });

  it("matches the textbook Wilson interval", () => {
    // 8 of 10 at 95%: [0.4902, 0.9433] (Newcombe 1998, method 3).
    const { lower, upper } = wilsonInterval(8, 10);
    expect(lower).toBeCloseTo(0.4902, 4);
    expect(upper).toBeCloseTo(0.9433, 4);
    // 0 of 10 stays inside [0, 1] where the normal interval would be [0, 0].
    expect(wilsonInterval(0, 10).lower).toBe(0);
    expect(wilsonInterval(0, 10).upper).toBeCloseTo(0.2775, 4);
  });

  it("counts judge scores as wins, losses and half-won ties", () => {
    const r = winRate([1, 0.5, -1, 0, 1, Number.NaN]);
    expect(r).toMatchObject({ n: 5, wins: 3, losses: 1, ties: 1, rate: 3.5 / 5 });
    expect(r.lower).toBeLessThan(r.rate);
    expect(r.upper).toBeGreaterThan(r.rate);
  });

  it("running values end at the overall value and narrow as items come in", () => {
    const scores = Array.from({ length: 60 }, (_, i) => (i % 4 === 3 ? -1 : 1));
    const run = runningWinRate(scores);
    expect(run).toHaveLength(60);
    expect(run.at(-1)).toEqual(winRate(scores));
    expect(run[59]!.upper - run[59]!.lower).toBeLessThan(run[9]!.upper - run[9]!.lower);
    expect(winRate([]).rate).toBe(0.5);
  });
});
