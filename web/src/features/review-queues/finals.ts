import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { FinalScore, Rubric } from "@review/shared/review/report";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import type { Row } from "../../lib/rows.ts";
import { rqKeys, useItems, useStoredFinals, type ReviewItem, type ReviewQueue } from "./queries.ts";

/**
 * A queue's final value per item and rubric (adjudicated, else consensus) as the worker stored them with
 * the queue's report (review_reports: read with review:report; complete items only, so blind scoring
 * holds for curators too).
 */
export function useQueueFinals(queueId: string, rubrics: readonly Rubric[]): { finals: Map<string, FinalScore>; ready: boolean } {
  const stored = useStoredFinals(queueId);
  return useMemo(() => {
    const finals = new Map<string, FinalScore>();
    if (!stored.data) return { finals, ready: false };
    const ids = new Set(rubrics.map((r) => r.id));
    for (const f of stored.data) if (ids.has(f.rubricId)) finals.set(`${f.itemId}/${f.rubricId}`, f);
    return { finals, ready: true };
  }, [stored.data, rubrics]);
}

/** The review queues made from an experiment's outputs (source_kind 'experiment'). */
export function useExperimentQueues(orgId: string, experimentId: string) {
  return useQuery({
    // Under the list key, so creating a queue (useCreateQueue) refreshes this too.
    queryKey: [...rqKeys.queues(orgId), "experiment", experimentId],
    enabled: !!experimentId,
    queryFn: async () =>
      unwrap(await supabase.from("review_queues").select("*").eq("org_id", orgId).eq("source_kind", "experiment").eq("source->>experiment_id", experimentId).order("created_at", { ascending: false })) as ReviewQueue[],
  });
}

export { useItems as useQueueItems, type ReviewItem };

/** What an experiment review item keeps of its origin (the queue trigger writes it). */
export type ExperimentItemContext = { experiment_id: string; item_id: string; item_position: number; expected: string | null; variant_ids: number[]; result_ids: number[]; variant_labels: string[] };
export const experimentContext = (i: ReviewItem) => i.context as ExperimentItemContext;

/** scores: each evaluator's score of the output by name, as the experiment worker writes them. */
type ResultScores = Pick<Row<"experiment_results", { scores: Record<string, number | null> }>, "id" | "variant" | "scores">;

/** The experiment_results rows behind a queue's items: their evaluator scores. */
export function useResultScores(resultIds: readonly number[]) {
  const ids = [...new Set(resultIds)].sort((a, b) => a - b);
  return useQuery({
    queryKey: ["experiment-result-scores", ids.join(",")],
    enabled: ids.length > 0,
    queryFn: async () => {
      const out = new Map<number, { variant: number; scores: Record<string, number | null> }>();
      // Chunks keep the URL short however many items a queue has.
      for (let k = 0; k < ids.length; k += 200) {
        const rows = unwrap(await supabase.from("experiment_results").select("id, variant, scores").in("id", ids.slice(k, k + 200))) as ResultScores[];
        for (const r of rows) out.set(Number(r.id), { variant: r.variant, scores: r.scores });
      }
      return out;
    },
  });
}

/** A stored value as a person reads it (a preference names the side, with the variants' labels when known). */
export function showValue(rubric: Rubric, value: unknown, labels: readonly string[] = []): string {
  if (value === null || value === undefined) return "—";
  if (rubric.kind === "preference") return value === "tie" ? "tie" : `${value === "A" ? labels[0] ?? "A" : labels[1] ?? "B"} preferred`;
  if (rubric.kind === "boolean") return value ? "yes" : "no";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** A final value as a person reads it. */
export function showFinal(rubric: Rubric, f: FinalScore | undefined, labels: readonly string[] = []): string {
  if (!f || f.source === "none" || f.value === null || f.value === undefined) return "not scored yet";
  return showValue(rubric, f.value, labels);
}
