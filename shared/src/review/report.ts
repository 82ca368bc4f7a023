/**
 * A review queue's agreement report, computed from its rows (rubrics, scores, adjudications) with the
 * statistics of shared/src/stats, so the web, tests and exports agree on one definition:
 * - per rubric: Krippendorff's alpha at the rubric's level of measurement, with a seeded bootstrap CI;
 * - per pair of reviewers and rubric: Cohen's kappa over the items both rated;
 * - per reviewer and rubric: how often they match the consensus (the adjudicated value, else the
 *   majority, else the median for numbers);
 * - the items whose ratings disagree beyond the queue's threshold (the adjudication list);
 * - the final value of every item and rubric (adjudicated, else consensus): what exports use.
 */
import { cohenKappa, itemDisagreement, krippendorffAlphaCi, type AgreementCi, type AgreementLevel, type RatingValue } from "../stats/agreement.ts";
import { seedFromString } from "../stats/rng.ts";

export type RubricKind = "numeric" | "ordinal" | "categorical" | "boolean" | "text" | "preference";
export type Rubric = {
  id: string;
  name: string;
  version: number;
  kind: RubricKind;
  min_value?: number | null;
  max_value?: number | null;
  step?: number | null;
  levels?: Array<{ value: number; label: string }> | unknown;
  categories?: string[] | null;
  multi?: boolean | null;
};
export type ScoreRow = { item_id: string; reviewer_id: string; score_config_id: string; value: unknown };
export type AdjudicationRow = { item_id: string; score_config_id: string; value: unknown; reason?: string; decided_by?: string | null };

export function levelOf(kind: RubricKind): AgreementLevel | null {
  if (kind === "numeric") return "interval";
  if (kind === "ordinal") return "ordinal";
  if (kind === "text") return null;
  return "nominal";
}

function levelsOf(r: Rubric): Array<{ value: number; label: string }> {
  return Array.isArray(r.levels) ? (r.levels as Array<{ value: number; label: string }>) : [];
}

/** The span distances are scaled by (numeric: max − min; ordinal: its highest − lowest level). */
export function rubricRange(r: Rubric): number {
  if (r.kind === "numeric") return Number(r.max_value ?? 1) - Number(r.min_value ?? 0) || 1;
  if (r.kind === "ordinal") {
    const vs = levelsOf(r).map((l) => Number(l.value));
    return vs.length ? Math.max(...vs) - Math.min(...vs) || 1 : 1;
  }
  return 1;
}

/** A stored value as the statistics see it: numbers stay numbers, a multi-choice set becomes one category. */
export function ratingOf(r: Rubric, value: unknown): RatingValue | null {
  if (value == null) return null;
  if (r.kind === "numeric" || r.kind === "ordinal") return typeof value === "number" ? value : Number(value);
  if (Array.isArray(value)) return value.map(String).sort().join("|");
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

function consensusOf(r: Rubric, values: RatingValue[]): RatingValue | null {
  if (!values.length) return null;
  if (r.kind === "numeric") {
    const s = values.map(Number).sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  }
  const counts = new Map<string, { v: RatingValue; n: number }>();
  for (const v of values) {
    const k = String(v);
    const e = counts.get(k) ?? { v, n: 0 };
    e.n++;
    counts.set(k, e);
  }
  const sorted = [...counts.values()].sort((a, b) => b.n - a.n);
  // A tie for the most votes has no majority: no consensus until someone adjudicates.
  if (sorted.length > 1 && sorted[0]!.n === sorted[1]!.n) return null;
  return sorted[0]!.v;
}

export type RubricAgreement = { rubric: Rubric; level: AgreementLevel; alpha: AgreementCi; items: number; ratings: number };
export type PairKappa = { rubricId: string; a: string; b: string; items: number; kappa: number };
export type ReviewerAgreement = { rubricId: string; reviewerId: string; rated: number; compared: number; agreement: number };
export type Disagreement = { itemId: string; rubricId: string; disagreement: number; ratings: Array<{ reviewerId: string; value: unknown }>; adjudicated: unknown | undefined };
export type FinalScore = { itemId: string; rubricId: string; value: unknown; source: "adjudicated" | "consensus" | "none"; reviewers: string[] };
export type QueueReport = {
  items: number;
  ratings: number;
  reviewers: string[];
  rubrics: RubricAgreement[];
  pairs: PairKappa[];
  perReviewer: ReviewerAgreement[];
  disagreements: Disagreement[];
  finals: FinalScore[];
};

export type ReportOptions = { threshold?: number; resamples?: number; seed?: number | string };

export function queueReport(rubrics: readonly Rubric[], scores: readonly ScoreRow[], adjudications: readonly AdjudicationRow[] = [], opts: ReportOptions = {}): QueueReport {
  const threshold = opts.threshold ?? 0.34;
  const seed = typeof opts.seed === "string" ? seedFromString(opts.seed) : (opts.seed ?? 1);
  const adj = new Map(adjudications.map((a) => [`${a.item_id}/${a.score_config_id}`, a]));
  const reviewers = [...new Set(scores.map((s) => s.reviewer_id))].sort();
  const report: QueueReport = { items: new Set(scores.map((s) => s.item_id)).size, ratings: scores.length, reviewers, rubrics: [], pairs: [], perReviewer: [], disagreements: [], finals: [] };

  for (const rubric of rubrics) {
    const level = levelOf(rubric.kind);
    // item → reviewer → value
    const byItem = new Map<string, Map<string, { raw: unknown; v: RatingValue | null }>>();
    for (const s of scores) {
      if (s.score_config_id !== rubric.id) continue;
      const m = byItem.get(s.item_id) ?? new Map();
      m.set(s.reviewer_id, { raw: s.value, v: ratingOf(rubric, s.value) });
      byItem.set(s.item_id, m);
    }
    const itemIds = [...byItem.keys()].sort();
    for (const itemId of itemIds) {
      const m = byItem.get(itemId)!;
      const a = adj.get(`${itemId}/${rubric.id}`);
      const values = [...m.values()].map((x) => x.v).filter((v): v is RatingValue => v != null);
      const consensus = level ? consensusOf(rubric, values) : null;
      report.finals.push({
        itemId, rubricId: rubric.id, reviewers: [...m.keys()].sort(),
        ...(a ? { value: a.value, source: "adjudicated" as const } : consensus != null ? { value: fromRating(rubric, consensus, [...m.values()]), source: "consensus" as const } : { value: null, source: "none" as const }),
      });
    }
    if (!level) continue;
    const units = itemIds.map((id) => [...byItem.get(id)!.values()].map((x) => x.v));
    const ratings = units.reduce((s, u) => s + u.filter((v) => v != null).length, 0);
    report.rubrics.push({ rubric, level, items: itemIds.length, ratings, alpha: krippendorffAlphaCi(units, level, { resamples: opts.resamples ?? 500, seed }) });

    // Pairs from each item's raters (Σ m_u² work, not reviewers² × items).
    const pairRatings = new Map<string, { a: string; b: string; xa: RatingValue[]; xb: RatingValue[] }>();
    for (const id of itemIds) {
      const rated = [...byItem.get(id)!].filter(([, x]) => x.v != null).sort((x, y) => x[0].localeCompare(y[0]));
      for (let i = 0; i < rated.length; i++) {
        for (let j = i + 1; j < rated.length; j++) {
          const k = `${rated[i]![0]}\u0000${rated[j]![0]}`;
          const e = pairRatings.get(k) ?? { a: rated[i]![0], b: rated[j]![0], xa: [], xb: [] };
          e.xa.push(rated[i]![1].v!);
          e.xb.push(rated[j]![1].v!);
          pairRatings.set(k, e);
        }
      }
    }
    for (const e of [...pairRatings.values()].sort((x, y) => x.a.localeCompare(y.a) || x.b.localeCompare(y.b))) {
      report.pairs.push({ rubricId: rubric.id, a: e.a, b: e.b, items: e.xa.length, kappa: cohenKappa(e.xa, e.xb) });
    }

    const range = rubricRange(rubric);
    const tally = new Map<string, { rated: number; compared: number; agree: number }>();
    for (const id of itemIds) {
      const m = byItem.get(id)!;
      const values = [...m.values()].map((x) => x.v).filter((v): v is RatingValue => v != null);
      const a = adj.get(`${id}/${rubric.id}`);
      const consensus = a ? ratingOf(rubric, a.value) : consensusOf(rubric, values);
      for (const [reviewerId, { v }] of m) {
        const t = tally.get(reviewerId) ?? { rated: 0, compared: 0, agree: 0 };
        t.rated++;
        if (v != null && consensus != null && values.length >= 2) {
          t.compared++;
          const same = level === "nominal" ? String(v) === String(consensus) : Math.abs(Number(v) - Number(consensus)) <= (rubric.step ? Number(rubric.step) / 2 : 0);
          if (same) t.agree++;
        }
        tally.set(reviewerId, t);
      }
      const d = itemDisagreement(values, level, range);
      if (values.length >= 2 && d > threshold) {
        report.disagreements.push({ itemId: id, rubricId: rubric.id, disagreement: d, ratings: [...m].map(([reviewerId, x]) => ({ reviewerId, value: x.raw })), adjudicated: a?.value });
      }
    }
    for (const [reviewerId, t] of [...tally].sort((x, y) => x[0].localeCompare(y[0]))) {
      report.perReviewer.push({ rubricId: rubric.id, reviewerId, rated: t.rated, compared: t.compared, agreement: t.compared ? t.agree / t.compared : Number.NaN });
    }
  }
  report.disagreements.sort((a, b) => b.disagreement - a.disagreement || a.itemId.localeCompare(b.itemId));
  return report;
}

/** The consensus back in the rubric's stored shape (the raw value of a rater who gave it, if any). */
function fromRating(rubric: Rubric, consensus: RatingValue, raws: Array<{ raw: unknown; v: RatingValue | null }>): unknown {
  const hit = raws.find((x) => x.v != null && String(x.v) === String(consensus));
  if (hit) return hit.raw;
  return rubric.kind === "numeric" || rubric.kind === "ordinal" ? Number(consensus) : consensus;
}

// ---- exports --------------------------------------------------------------------------------------------

export type ExportItem = { id: string; source_kind: string; source_id: string; query: string };

/** One JSON object per line: an item, each rubric's final value with its version, source and reviewers. */
export function finalsJsonl(items: readonly ExportItem[], rubrics: readonly Rubric[], finals: readonly FinalScore[]): string {
  const byRubric = new Map(rubrics.map((r) => [r.id, r]));
  const byItem = new Map(items.map((i) => [i.id, i]));
  return finals
    .filter((f) => byItem.has(f.itemId))
    .map((f) => {
      const item = byItem.get(f.itemId)!;
      const r = byRubric.get(f.rubricId)!;
      return JSON.stringify({ item_id: item.id, source_kind: item.source_kind, source_id: item.source_id, query: item.query, rubric: r.name, rubric_version: r.version, rubric_id: r.id, value: f.value, decided_by: f.source, reviewers: f.reviewers });
    })
    .join("\n");
}

const csvCell = (v: unknown): string => {
  const s = v == null ? "" : typeof v === "string" ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function finalsCsv(items: readonly ExportItem[], rubrics: readonly Rubric[], finals: readonly FinalScore[]): string {
  const lines = finalsJsonl(items, rubrics, finals).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const cols = ["item_id", "source_kind", "source_id", "query", "rubric", "rubric_version", "rubric_id", "value", "decided_by", "reviewers"];
  return [cols.join(","), ...lines.map((l) => cols.map((c) => csvCell(c === "reviewers" ? (l[c] as string[]).join(" ") : l[c])).join(","))].join("\n");
}
