import { useQuery } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import type { BoardUnit, CostDay } from "@review/shared/review/boards";
import type { Rubric } from "@review/shared/review/report";
import type { DateRange } from "./range.ts";

export type QualityDay = { day: string; feedback: number; avg_rating: number | null; low_rating_share: number | null; ratings: number[]; cases_opened: number; cases_approved: number; cases_rejected: number };
export type Quality = {
  days: QualityDay[];
  totals: { feedback: number; avg_rating: number | null; low_rating_share: number | null };
  resolution: { decided: number; approved: number; rejected: number; median_hours: number | null; p90_hours: number | null; pending_now: number };
  models: Array<{ id: string; name: string; version: number; base_model: string; accuracy: number | null; is_live: boolean; created_at: string }>;
};
export type CostRow = { day: string | null; model: string; function_name: string; requests: number; errors: number; error_rate: number | null; input_tokens: number; output_tokens: number; cost_usd: number; latency_avg_ms: number | null; latency_p50_ms: number | null; latency_p95_ms: number | null };

export function useQualityBoard(orgId: string, r: DateRange) {
  return useQuery({
    queryKey: ["board", "quality", orgId, r],
    queryFn: async () => unwrap(await supabase.rpc("board_quality", { p_org: orgId, p_from: r.from, p_to: r.to })) as Quality,
    placeholderData: (prev) => prev,
  });
}

export function useCostBoard(orgId: string, r: DateRange) {
  return useQuery({
    queryKey: ["board", "cost", orgId, r],
    queryFn: async () =>
      (unwrap(await supabase.rpc("board_cost", { p_org: orgId, p_from: r.from, p_to: r.to })) as CostRow[]).map((x) => ({ ...x, cost_usd: Number(x.cost_usd), requests: Number(x.requests), errors: Number(x.errors) })),
    placeholderData: (prev) => prev,
  });
}

/** Cost per day with one key per model, for a stacked chart. */
export function costByDay(rows: CostRow[], r: DateRange): { models: string[]; points: Array<Record<string, number | string>> } {
  const models = [...new Set(rows.filter((x) => x.day).map((x) => x.model))];
  const byDay = new Map<string, Record<string, number | string>>();
  for (let t = Date.parse(r.from); t <= Date.parse(r.to); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    byDay.set(day, { day, ...Object.fromEntries(models.map((m) => [m, 0])) });
  }
  for (const x of rows) {
    if (!x.day) continue;
    const p = byDay.get(x.day.slice(0, 10));
    if (p) p[x.model] = Number(p[x.model] ?? 0) + x.cost_usd;
  }
  return { models, points: [...byDay.values()] };
}

export type ReviewBoardData = {
  throughput: Array<{ day: string; reviewer_id: string; items: number }>;
  agreement: { rubrics: Rubric[]; units: BoardUnit[] };
  /** Null without usage:read (LLM cost needs it on the cost board too). */
  cost: CostDay[] | null;
};

/** The reviewers' board (public.board_review: review:report; runs as the caller, so blind mode holds). */
export function useReviewBoard(orgId: string, r: DateRange) {
  return useQuery({
    queryKey: ["board", "review", orgId, r],
    queryFn: async () => unwrap(await supabase.rpc("board_review", { p_org: orgId, p_from: r.from, p_to: r.to })) as ReviewBoardData,
    placeholderData: (prev) => prev,
  });
}
