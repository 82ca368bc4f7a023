/**
 * The reviewers' board: agreement over time from the compact rows public.board_review returns (one unit
 * per item completed in the range and rubric: the ratings people gave it, dated by its last rating).
 * Per rubric and window (a UTC day, or a week starting Monday), Krippendorff's alpha at the rubric's
 * level over the items completed in that window, with the same seeded bootstrap as the queue report.
 */
import { krippendorffAlphaCi, type AgreementCi, type AgreementLevel } from "../stats/agreement.ts";
import { seedFromString } from "../stats/rng.ts";
import { levelOf, ratingOf, type Rubric } from "./report.ts";

export type BoardUnit = { day: string; rubric_id: string; values: unknown[] };
export type Bucket = "day" | "week";
export type AgreementPoint = { rubricId: string; level: AgreementLevel; window: string; items: number; ratings: number; alpha: AgreementCi };

/** The window a UTC day falls in: the day itself, or the Monday that starts its week. */
export function windowOf(day: string, bucket: Bucket): string {
  const d = day.slice(0, 10);
  if (bucket === "day") return d;
  const t = Date.parse(`${d}T00:00:00Z`);
  const dow = (new Date(t).getUTCDay() + 6) % 7;
  return new Date(t - dow * 86_400_000).toISOString().slice(0, 10);
}

export function agreementOverTime(rubrics: readonly Rubric[], units: readonly BoardUnit[], bucket: Bucket, opts: { resamples?: number; seed?: number | string } = {}): AgreementPoint[] {
  const seed = typeof opts.seed === "string" ? seedFromString(opts.seed) : (opts.seed ?? 1);
  const out: AgreementPoint[] = [];
  for (const rubric of rubrics) {
    const level = levelOf(rubric.kind);
    if (!level) continue;
    const byWindow = new Map<string, Array<Array<ReturnType<typeof ratingOf>>>>();
    for (const u of units) {
      if (u.rubric_id !== rubric.id) continue;
      const w = windowOf(u.day, bucket);
      const list = byWindow.get(w) ?? [];
      list.push(u.values.map((v) => ratingOf(rubric, v)));
      byWindow.set(w, list);
    }
    for (const [window, list] of [...byWindow].sort((a, b) => a[0].localeCompare(b[0]))) {
      out.push({
        rubricId: rubric.id,
        level,
        window,
        items: list.length,
        ratings: list.reduce((s, u) => s + u.filter((v) => v != null).length, 0),
        alpha: krippendorffAlphaCi(list, level, { resamples: opts.resamples ?? 200, seed }),
      });
    }
  }
  return out;
}

export type CostDay = { day: string; items: number; cost_usd: number; judge_usd: number; source_usd: number; judge_tokens: number };

/**
 * Cost per reviewed item over a range: the LLM cost attributable to the items completed in it (judge
 * calls on them plus the generation of the output reviewed, where linked) divided by those items.
 */
export function costPerReviewedItem(days: readonly CostDay[]): { items: number; costUsd: number; perItemUsd: number | null; judgeTokensPerItem: number | null } {
  const items = days.reduce((s, d) => s + d.items, 0);
  const costUsd = days.reduce((s, d) => s + Number(d.cost_usd), 0);
  const tokens = days.reduce((s, d) => s + Number(d.judge_tokens), 0);
  return { items, costUsd, perItemUsd: items ? costUsd / items : null, judgeTokensPerItem: items ? tokens / items : null };
}
