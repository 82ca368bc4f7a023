import { describe, expect, it } from "vitest";
import { winRate } from "@review/shared/stats/winrate";
import { trainingCurve, winRateSeries } from "./series.ts";
import type { JobEvent } from "./queries.ts";

let id = 0;
const ev = (step: string, metrics: Record<string, unknown> = {}, message = `${step} line`): JobEvent => ({
  id: ++id, job_id: "j", org_id: "o", step, message, metrics, created_at: new Date(2025, 0, 1, 0, 0, id).toISOString(),
});
const epoch = (n: number, loss: number, valAccuracy: number) => ev("train", { epoch: n, epochs: 3, loss, valLoss: loss + 0.05, valAccuracy, valMrr: valAccuracy });

describe("fine-tune chart series", () => {
  it("takes loss and validation metrics per epoch and nothing else from the log", () => {
    const events = [
      ev("dataset", { matched: 40, train: 30, validation: 10, duplicates: 0 }),
      ev("train", { docs: 30, terms: 200, pairs: 300, positives: 40 }),
      epoch(0, 0.693, 0.5), epoch(1, 0.31, 0.6), epoch(2, 0.2, 0.7), epoch(3, 0.15, 0.8),
      ev("evaluate", { model: "the tuned model", done: 1, total: 10, runningAccuracy: 1 }),
      ev("result", { accuracy: 0.8, baselineAccuracy: 0 }),
    ];
    expect(trainingCurve(events)).toEqual([
      { epoch: 0, loss: 0.693, valLoss: 0.743, valAccuracy: 0.5, valMrr: 0.5 },
      { epoch: 1, loss: 0.31, valLoss: 0.36, valAccuracy: 0.6, valMrr: 0.6 },
      { epoch: 2, loss: 0.2, valLoss: 0.25, valAccuracy: 0.7, valMrr: 0.7 },
      { epoch: 3, loss: 0.15, valLoss: 0.2, valAccuracy: 0.8, valMrr: 0.8 },
    ]);
  });

  it("shows only the latest run of a retried job, in epoch order whatever order events arrived", () => {
    const first = [epoch(0, 0.693, 0.5), epoch(1, 0.4, 0.55)];
    const retry = [ev("retry", { attempt: 1 }), epoch(0, 0.693, 0.5), epoch(1, 0.3, 0.6), epoch(2, 0.25, 0.65)];
    const curve = trainingCurve([...first, ...retry].reverse());
    expect(curve.map((p) => [p.epoch, p.loss])).toEqual([[0, 0.693], [1, 0.3], [2, 0.25]]);
  });

  it("is empty for a trainer that reports no epochs (the OpenAI-compatible one)", () => {
    expect(trainingCurve([ev("upload"), ev("train", { remoteEventId: "e1", level: "info" })])).toEqual([]);
  });
});

describe("A/B chart series", () => {
  it("is B's running win rate in completion order, ending where the worker's analysis does", () => {
    const rows = [
      { id: 13, judge_score: -1 }, { id: 10, judge_score: 1 }, { id: 11, judge_score: 0.5 }, { id: 12, judge_score: 0 },
      { id: 14, judge_score: null }, { id: 15, judge_score: 1 },
    ];
    const s = winRateSeries(rows);
    expect(s.map((p) => p.n)).toEqual([1, 2, 3, 4, 5]);
    // ids 10, 11, 12, 13, 15: win, win, tie, loss, win
    expect(s.map((p) => p.rate)).toEqual([1, 1, 2.5 / 3, 2.5 / 4, 3.5 / 5]);
    const last = winRate([1, 0.5, 0, -1, 1]);
    expect(s.at(-1)).toMatchObject({ rate: last.rate, lower: last.lower, upper: last.upper, band: [last.lower, last.upper] });
    for (const p of s) {
      expect(p.lower).toBeLessThanOrEqual(p.rate);
      expect(p.upper).toBeGreaterThanOrEqual(p.rate);
      expect(p.lower).toBeGreaterThanOrEqual(0);
      expect(p.upper).toBeLessThanOrEqual(1);
    }
    // The band narrows as evidence accumulates.
    expect(s[4]!.upper - s[4]!.lower).toBeLessThan(s[0]!.upper - s[0]!.lower);
  });
});
