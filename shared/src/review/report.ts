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
import { cohenKappa, itemDisagreement, krippendorffAlphaCiFlat, type AgreementCi, type AgreementLevel, type RatingValue } from "../stats/agreement.ts";
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
    // The median (two values, the common case, without an array and a sort).
    if (values.length === 1) return Number(values[0]);
    if (values.length === 2) return (Number(values[0]) + Number(values[1])) / 2;
    const s = values.map(Number).sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  }
  // The most frequent value (the first given among equals); a tie for the most votes has no
  // majority: no consensus until someone adjudicates. Scratch arrays: called once per item and rubric.
  const firsts = consensusFirsts;
  const ns = consensusCounts;
  firsts.length = 0;
  ns.length = 0;
  for (let i = 0; i < values.length; i++) {
    let at = 0;
    while (at < firsts.length && !sameRating(firsts[at]!, values[i]!)) at++;
    if (at === firsts.length) (firsts.push(values[i]!), ns.push(1));
    else ns[at]!++;
  }
  let best = 0;
  for (let i = 1; i < ns.length; i++) if (ns[i]! > ns[best]!) best = i;
  for (let i = 0; i < ns.length; i++) if (i !== best && ns[i] === ns[best]) return null;
  return firsts[best]!;
}
const consensusFirsts: RatingValue[] = [];
const consensusCounts: number[] = [];

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

export type ReportOptions = {
  threshold?: number;
  resamples?: number;
  seed?: number | string;
  /**
   * When given, the per-item parts (disagreements, finals) list only these items; the statistics still
   * use every rating. The stored report (worker/src/features/review-report) passes the items that have
   * all their ratings, so what it shows item by item is what an adjudicator may read anyway (blind mode).
   */
  detailItems?: ReadonlySet<string>;
};

export function queueReport(rubrics: readonly Rubric[], scores: readonly ScoreRow[], adjudications: readonly AdjudicationRow[] = [], opts: ReportOptions = {}): QueueReport {
  const threshold = opts.threshold ?? 0.34;
  const seed = typeof opts.seed === "string" ? seedFromString(opts.seed) : (opts.seed ?? 1);
  const detail = opts.detailItems ?? null;
  // item → rubric → decision (a later row for the same pair wins, as in a Map built from the rows)
  const adj = new Map<string, Map<string, AdjudicationRow>>();
  for (const a of adjudications) {
    let m = adj.get(a.item_id);
    if (!m) adj.set(a.item_id, (m = new Map()));
    m.set(a.score_config_id, a);
  }
  // One pass over the scores: every item and reviewer gets a number, every rubric its rows. The rest
  // works on typed arrays of those numbers: 100,000 scores make a few allocations, not a few per score.
  const itemIndex = new Map<string, number>();
  const reviewerIndex = new Map<string, number>();
  const itemOf = new Int32Array(scores.length);
  const reviewerOf = new Int32Array(scores.length);
  const byRubric = new Map<string, number[]>();
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    let n = itemIndex.get(s.item_id);
    if (n === undefined) itemIndex.set(s.item_id, (n = itemIndex.size));
    itemOf[i] = n;
    let r = reviewerIndex.get(s.reviewer_id);
    if (r === undefined) reviewerIndex.set(s.reviewer_id, (r = reviewerIndex.size));
    reviewerOf[i] = r;
    const list = byRubric.get(s.score_config_id);
    if (list) list.push(i);
    else byRubric.set(s.score_config_id, [i]);
  }
  const I = itemIndex.size;
  const R = reviewerIndex.size;
  // Items in id order once (each rubric walks the ones it has); reviewers ranked by localeCompare
  // once (pairs and per-reviewer rows are ordered by it).
  const sortedItems = [...itemIndex.keys()].sort();
  const itemRank = new Int32Array(I);
  sortedItems.forEach((id, pos) => (itemRank[itemIndex.get(id)!] = pos));
  const reviewerIds = [...reviewerIndex.keys()];
  const byLocale = reviewerIds.slice().sort(collate);
  const localeRank = new Int32Array(R);
  byLocale.forEach((id, pos) => (localeRank[reviewerIndex.get(id)!] = pos));
  const byLocaleRank = (x: number, y: number) => localeRank[reviewerOf[x]!]! - localeRank[reviewerOf[y]!]!;
  const report: QueueReport = { items: I, ratings: scores.length, reviewers: reviewerIds.slice().sort(), rubrics: [], pairs: [], perReviewer: [], disagreements: [], finals: [] };

  // Scratch reused across rubrics and items.
  const vs: Array<RatingValue | null> = new Array(scores.length);
  const off = new Int32Array(I + 1);
  const end = new Int32Array(I);
  const values: RatingValue[] = [];
  const rated: number[] = [];
  const tRated = new Int32Array(R);
  const tCompared = new Int32Array(R);
  const tAgree = new Int32Array(R);

  for (const rubric of rubrics) {
    const level = levelOf(rubric.kind);
    const rows = byRubric.get(rubric.id) ?? [];
    // The rubric's rows grouped by item in id order (counting sort): item at rank q owns
    // slot[off[q] .. end[q]), in arrival order; a reviewer's second row for an item replaces the first
    // in place (as Map.set would).
    off.fill(0);
    for (const i of rows) off[itemRank[itemOf[i]!]! + 1]!++;
    for (let q = 0; q < I; q++) off[q + 1]! += off[q]!;
    end.set(off.subarray(0, I));
    const slot = new Int32Array(rows.length);
    for (const i of rows) {
      vs[i] = ratingOf(rubric, scores[i]!.value);
      const q = itemRank[itemOf[i]!]!;
      let j = off[q]!;
      while (j < end[q]! && reviewerOf[slot[j]!] !== reviewerOf[i]) j++;
      slot[j] = i;
      if (j === end[q]) end[q]!++;
    }
    const flat: Array<RatingValue | null> = [];
    const bounds: number[] = [0];
    const pairRatings = new Map<number, { xa: RatingValue[]; xb: RatingValue[] }>();
    tRated.fill(0);
    tCompared.fill(0);
    tAgree.fill(0);
    const range = rubricRange(rubric);
    const tolerance = rubric.step ? Number(rubric.step) / 2 : 0;
    let items = 0;

    for (let q = 0; q < I; q++) {
      const from = off[q]!;
      const to = end[q]!;
      if (from === to) continue;
      items++;
      const id = sortedItems[q]!;
      const a = adj.size ? adj.get(id)?.get(rubric.id) : undefined;
      values.length = 0;
      for (let j = from; j < to; j++) if (vs[slot[j]!] != null) values.push(vs[slot[j]!]!);
      const consensus = level ? consensusOf(rubric, values) : null;
      const shown = !detail || detail.has(id);
      if (shown) {
        const who = new Array<string>(to - from);
        for (let j = from; j < to; j++) who[j - from] = scores[slot[j]!]!.reviewer_id;
        insertionSort(who, (x, y) => (x < y ? -1 : x > y ? 1 : 0));
        let value: unknown = null;
        let source: FinalScore["source"] = "none";
        if (a) (value = a.value, source = "adjudicated");
        else if (consensus != null) {
          source = "consensus";
          // The consensus in the rubric's stored shape: the raw value of the first rater who gave it.
          let hit = -1;
          for (let j = from; j < to && hit < 0; j++) if (vs[slot[j]!] != null && sameRating(vs[slot[j]!]!, consensus)) hit = slot[j]!;
          value = hit >= 0 ? scores[hit]!.value : rubric.kind === "numeric" || rubric.kind === "ordinal" ? Number(consensus) : consensus;
        }
        report.finals.push({ itemId: id, rubricId: rubric.id, reviewers: who, value, source });
      }
      if (!level) continue;
      for (let j = from; j < to; j++) flat.push(vs[slot[j]!]!);
      bounds.push(flat.length);

      // Pairs from each item's raters (Σ m_u² work, not reviewers² × items), in locale order.
      rated.length = 0;
      for (let j = from; j < to; j++) if (vs[slot[j]!] != null) rated.push(slot[j]!);
      if (rated.length > 1) insertionSort(rated, byLocaleRank);
      for (let i = 0; i < rated.length; i++) {
        const ri = localeRank[reviewerOf[rated[i]!]!]!;
        for (let j = i + 1; j < rated.length; j++) {
          const k = ri * R + localeRank[reviewerOf[rated[j]!]!]!;
          let p = pairRatings.get(k);
          if (!p) pairRatings.set(k, (p = { xa: [], xb: [] }));
          p.xa.push(vs[rated[i]!]!);
          p.xb.push(vs[rated[j]!]!);
        }
      }

      const target = a ? ratingOf(rubric, a.value) : consensus;
      for (let j = from; j < to; j++) {
        const r = reviewerOf[slot[j]!]!;
        const v = vs[slot[j]!];
        tRated[r]!++;
        if (v != null && target != null && values.length >= 2) {
          tCompared[r]!++;
          const same = level === "nominal" ? sameRating(v, target) : Math.abs(Number(v) - Number(target)) <= tolerance;
          if (same) tAgree[r]!++;
        }
      }
      const d = itemDisagreement(values, level, range);
      if (shown && values.length >= 2 && d > threshold) {
        const ratings: Disagreement["ratings"] = [];
        for (let j = from; j < to; j++) ratings.push({ reviewerId: scores[slot[j]!]!.reviewer_id, value: scores[slot[j]!]!.value });
        report.disagreements.push({ itemId: id, rubricId: rubric.id, disagreement: d, ratings, adjudicated: a?.value });
      }
    }
    if (!level) continue;
    report.rubrics.push({ rubric, level, items, ratings: flatRatings(flat), alpha: krippendorffAlphaCiFlat(flat, bounds, level, { resamples: opts.resamples ?? 500, seed }) });
    for (const k of [...pairRatings.keys()].sort((x, y) => x - y)) {
      const e = pairRatings.get(k)!;
      report.pairs.push({ rubricId: rubric.id, a: byLocale[Math.floor(k / R)]!, b: byLocale[k % R]!, items: e.xa.length, kappa: cohenKappa(e.xa, e.xb) });
    }
    for (let pos = 0; pos < R; pos++) {
      const r = reviewerIndex.get(byLocale[pos]!)!;
      if (!tRated[r]) continue;
      report.perReviewer.push({ rubricId: rubric.id, reviewerId: byLocale[pos]!, rated: tRated[r]!, compared: tCompared[r]!, agreement: tCompared[r] ? tAgree[r]! / tCompared[r]! : Number.NaN });
    }
  }
  report.disagreements.sort((a, b) => b.disagreement - a.disagreement || collate(a.itemId, b.itemId));
  return report;
}

/** String(a) === String(b), without building the strings when both are already of one type. */
function sameRating(a: RatingValue, b: RatingValue): boolean {
  return typeof a === typeof b ? a === b || (a !== a && b !== b) : String(a) === String(b);
}

/**
 * Array.prototype.sort's order for the few entries of one item (stable, like it): a sort call per item
 * and rubric costs more than the sorting itself.
 */
function insertionSort<T>(xs: T[], cmp: (a: T, b: T) => number): void {
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!;
    let j = i - 1;
    while (j >= 0 && cmp(xs[j]!, x) > 0) (xs[j + 1] = xs[j]!, j--);
    xs[j + 1] = x;
  }
}

// What String.prototype.localeCompare does (ECMA-402 defines it as this collator's compare), without
// building a collator per comparison.
const collate = new Intl.Collator().compare;

function flatRatings(flat: ReadonlyArray<RatingValue | null>): number {
  let n = 0;
  for (const v of flat) if (v != null) n++;
  return n;
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
