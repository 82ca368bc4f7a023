/**
 * Human preference as gate evidence: a review queue over an A/B evaluation's items (source_kind
 * 'ab_eval', a preference rubric) gives, from its final values (the report's finals: adjudicated, else
 * the majority), B's human win rate with a Wilson interval (stats/winrate.ts: ties count half).
 *
 * The gate's threshold in the same units: the A/B gate asks B's mean preference in [-1, 1] to beat A by
 * more than `margin`; with one preference per item that mean is 2·rate − 1, so B must be preferred at a
 * rate above 0.5 + margin / 2. Human evidence passes when the interval's LOWER bound clears that rate,
 * over at least `minSamples` items with a final preference.
 */
import { winRate, type WinRate } from "../stats/winrate.ts";
import { queueReport, type AdjudicationRow, type FinalScore, type Rubric, type ScoreRow } from "./report.ts";

export type HumanPreference = WinRate & { rubricId: string; items: number };

export function humanPreference(rubric: Rubric, scores: readonly ScoreRow[], adjudications: readonly AdjudicationRow[] = [], level = 0.95): HumanPreference {
  if (rubric.kind !== "preference") throw new Error(`"${rubric.name}" is not a preference rubric`);
  const finals = queueReport([rubric], scores.filter((s) => s.score_config_id === rubric.id), adjudications.filter((a) => a.score_config_id === rubric.id), { resamples: 0 }).finals;
  return preferenceOf(rubric, finals, level);
}

/** The same from final values already computed (the stored report's finals, as the web reads them). */
export function preferenceOf(rubric: Rubric, allFinals: readonly FinalScore[], level = 0.95): HumanPreference {
  if (rubric.kind !== "preference") throw new Error(`"${rubric.name}" is not a preference rubric`);
  const finals = allFinals.filter((f) => f.rubricId === rubric.id);
  const prefs = finals.filter((f) => f.source !== "none").map((f) => (f.value === "B" ? 1 : f.value === "A" ? -1 : 0));
  return { ...winRate(prefs, level), rubricId: rubric.id, items: finals.length };
}

export type PreferenceGate = { passed: boolean; threshold: number; reasons: string[] };

export function preferenceGate(p: Pick<WinRate, "n" | "lower" | "rate" | "level">, opts: { margin?: number; minSamples?: number } = {}): PreferenceGate {
  const margin = opts.margin ?? 0.05;
  const minSamples = opts.minSamples ?? 20;
  const threshold = 0.5 + margin / 2;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const reasons: string[] = [];
  if (p.n < minSamples) reasons.push(`only ${p.n} items have a final human preference; the gate needs ${minSamples}`);
  if (!(p.lower > threshold)) reasons.push(`the lower bound of B's human win rate (${pct(p.lower)}, ${Math.round(p.level * 100)}% CI) does not clear ${pct(threshold)}`);
  const passed = reasons.length === 0;
  if (passed) reasons.push(`people preferred B at ${pct(p.rate)} over ${p.n} items; the ${Math.round(p.level * 100)}% CI's lower bound ${pct(p.lower)} clears ${pct(threshold)}`);
  return { passed, threshold, reasons };
}
