import { runningWinRate } from "@review/shared/stats/winrate";
import type { EvalResult, JobEvent } from "./queries.ts";

/** One epoch of a fine-tune as the worker logged it (worker/src/features/fine-tune/local-trainer.ts). */
export type EpochPoint = { epoch: number; loss: number; valLoss: number | null; valAccuracy: number | null; valMrr: number | null };

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * Training loss and validation metrics per epoch, from the job's event log. A retried job trains again
 * from epoch 0: only its latest run is shown, so two runs never draw one zigzag line.
 */
export function trainingCurve(events: readonly JobEvent[]): EpochPoint[] {
  const epochs = events
    .filter((e) => e.step === "train" && num(e.metrics?.epoch) !== null && num(e.metrics?.loss) !== null)
    .slice()
    .sort((a, b) => a.id - b.id);
  const lastStart = epochs.map((e) => e.metrics.epoch).lastIndexOf(0);
  const run = lastStart >= 0 ? epochs.slice(lastStart) : epochs;
  const byEpoch = new Map<number, EpochPoint>();
  for (const e of run) {
    const m = e.metrics;
    byEpoch.set(num(m.epoch)!, { epoch: num(m.epoch)!, loss: num(m.loss)!, valLoss: num(m.valLoss), valAccuracy: num(m.valAccuracy), valMrr: num(m.valMrr) });
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** B's running win rate after each judged item, with its Wilson 95% band (as the worker's analysis computes it). */
export type WinRatePoint = { n: number; rate: number; lower: number; upper: number; band: [number, number] };

/**
 * The running win rate of B over the A/B evaluation's per-item rows in the order they were stored
 * (their ids), which is the order the worker finished them: the chart grows as items complete.
 */
export function winRateSeries(rows: ReadonlyArray<Pick<EvalResult, "id" | "judge_score">>): WinRatePoint[] {
  const scores = rows
    .filter((r) => r.judge_score !== null && Number.isFinite(r.judge_score))
    .slice()
    .sort((a, b) => a.id - b.id)
    .map((r) => r.judge_score!);
  return runningWinRate(scores).map((w) => ({ n: w.n, rate: w.rate, lower: w.lower, upper: w.upper, band: [w.lower, w.upper] }));
}
