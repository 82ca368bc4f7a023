/**
 * Judge vs human: how far an LLM judge's values can be trusted where no human looked, measured where
 * people did. Per rubric, the judge and the human consensus (the report's finals: the adjudicated value,
 * else the majority, else the median for numbers) are two raters over the items that have both:
 * - Krippendorff's alpha at the rubric's level of measurement, with its seeded bootstrap CI;
 * - Cohen's kappa where the rubric is nominal or ordinal (categories, booleans, preferences, levels);
 * - the share of items where the two give the same value, and n, the items compared.
 * The statistics are the report's own (stats/agreement.ts, review/report.ts), so a judge's alpha reads
 * like the reviewers' alpha next to it.
 */
import { cohenKappa, krippendorffAlphaCi, type AgreementCi, type AgreementLevel, type RatingValue } from "../stats/agreement.ts";
import { seedFromString } from "../stats/rng.ts";
import { levelOf, queueReport, ratingOf, type AdjudicationRow, type FinalScore, type Rubric, type ScoreRow } from "./report.ts";

export type JudgeScoreRow = { item_id: string; score_config_id: string; value: unknown };

export type JudgeAgreement = {
  rubricId: string;
  level: AgreementLevel;
  /** Items the judge scored on this rubric. */
  judged: number;
  /** Items with both a judge value and a human consensus: what the statistics are over. */
  n: number;
  alpha: AgreementCi;
  /** Null for interval rubrics (numbers), where kappa would treat 3 and 4 as unrelated. */
  kappa: number | null;
  /** Share of the n items where the judge gave the consensus value. */
  exact: number;
};

export type JudgeOptions = { resamples?: number; seed?: number | string; level?: number };

/** Human consensus per item and rubric: the final values that have one. */
export function consensusOf(finals: readonly FinalScore[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const f of finals) if (f.source !== "none") out.set(`${f.itemId}/${f.rubricId}`, f.value);
  return out;
}

/** Human consensus computed from the rows (the report's finals); the worker's path. */
export function humanConsensus(rubrics: readonly Rubric[], scores: readonly ScoreRow[], adjudications: readonly AdjudicationRow[] = []): Map<string, unknown> {
  // Only the finals are read; the report's own bootstrap is not needed for them.
  return consensusOf(queueReport(rubrics, scores, adjudications, { resamples: 0 }).finals);
}

export function judgeVsHuman(
  rubrics: readonly Rubric[],
  scores: readonly ScoreRow[],
  adjudications: readonly AdjudicationRow[],
  judge: readonly JudgeScoreRow[],
  opts: JudgeOptions = {},
): JudgeAgreement[] {
  return judgeAgreement(rubrics, humanConsensus(rubrics, scores, adjudications), judge, opts);
}

/**
 * The same statistics from a consensus already computed: the web reads the stored report's finals
 * (review_reports, computed by the worker) rather than every score.
 */
export function judgeAgreement(rubrics: readonly Rubric[], consensus: ReadonlyMap<string, unknown>, judge: readonly JudgeScoreRow[], opts: JudgeOptions = {}): JudgeAgreement[] {
  const seed = typeof opts.seed === "string" ? seedFromString(opts.seed) : (opts.seed ?? 1);
  const out: JudgeAgreement[] = [];
  for (const rubric of rubrics) {
    const level = levelOf(rubric.kind);
    if (!level) continue;
    const mine = judge.filter((j) => j.score_config_id === rubric.id).sort((a, b) => a.item_id.localeCompare(b.item_id));
    const pairs: Array<[RatingValue, RatingValue]> = [];
    for (const j of mine) {
      const h = consensus.get(`${j.item_id}/${rubric.id}`);
      const jv = ratingOf(rubric, j.value);
      const hv = h === undefined ? null : ratingOf(rubric, h);
      if (jv != null && hv != null) pairs.push([jv, hv]);
    }
    const alpha = krippendorffAlphaCi(pairs, level, { resamples: opts.resamples ?? 500, seed, level: opts.level });
    const exact = pairs.length ? pairs.filter(([a, b]) => String(a) === String(b)).length / pairs.length : Number.NaN;
    out.push({
      rubricId: rubric.id,
      level,
      judged: mine.length,
      n: pairs.length,
      alpha,
      kappa: level === "interval" || level === "ratio" ? null : cohenKappa(pairs.map((p) => p[0]), pairs.map((p) => p[1])),
      exact,
    });
  }
  return out;
}

/** In words, for the report: whether the judge can stand in for people on this rubric. */
export function judgeVerdict(a: Pick<JudgeAgreement, "n" | "alpha">): "too few items" | "trust" | "tentative" | "do not trust" {
  if (a.n < 10 || !Number.isFinite(a.alpha.estimate)) return "too few items";
  // Krippendorff's own thresholds: α ≥ .800 reliable, .667 ≤ α < .800 for tentative conclusions only;
  // the CI's lower bound must clear them, not just the estimate.
  if (a.alpha.lower >= 0.8) return "trust";
  if (a.alpha.lower >= 0.667) return "tentative";
  return "do not trust";
}

/** One rubric of one item: the judge's value next to the people's final, and whether they differ. */
export type JudgeItemCell = {
  rubricId: string;
  /** Undefined where the judge has no value the reader may see. */
  judge: unknown;
  /** The people's final (adjudicated, else consensus); undefined while the item has none. */
  human: unknown;
  humanSource: "adjudicated" | "consensus" | undefined;
  /** Both exist and differ as the statistics see them (the complement of JudgeAgreement.exact). */
  disagrees: boolean;
};
export type JudgeItem = { itemId: string; cells: JudgeItemCell[]; disagrees: boolean };

/**
 * Per item, the judge next to the people: every item the judge has a value for (of the rows given,
 * i.e. those the reader may see), with each rubric the statistics cover (free text has no agreement).
 * An item disagrees when the judge differs from the people's final on any rubric; items without a
 * final yet never do. Same comparison as judgeAgreement, so the items flagged here are exactly the
 * pairs its `exact` share counts as different.
 */
export function judgeItems(rubrics: readonly Rubric[], finals: readonly FinalScore[], judge: readonly JudgeScoreRow[]): Map<string, JudgeItem> {
  const scored = rubrics.filter((r) => levelOf(r.kind));
  const human = new Map<string, FinalScore>();
  for (const f of finals) if (f.source !== "none") human.set(`${f.itemId}/${f.rubricId}`, f);
  const values = new Map<string, unknown>();
  for (const j of judge) values.set(`${j.item_id}/${j.score_config_id}`, j.value);
  const out = new Map<string, JudgeItem>();
  for (const j of judge) {
    if (out.has(j.item_id) || !scored.some((r) => r.id === j.score_config_id)) continue;
    const cells = scored.map((r): JudgeItemCell => {
      const key = `${j.item_id}/${r.id}`;
      const jv = values.has(key) ? values.get(key) : undefined;
      const f = human.get(key);
      const a = jv === undefined ? null : ratingOf(r, jv);
      const b = f === undefined ? null : ratingOf(r, f.value);
      return { rubricId: r.id, judge: jv, human: f?.value, humanSource: f?.source as JudgeItemCell["humanSource"], disagrees: a != null && b != null && String(a) !== String(b) };
    });
    out.set(j.item_id, { itemId: j.item_id, cells, disagrees: cells.some((c) => c.disagrees) });
  }
  return out;
}
