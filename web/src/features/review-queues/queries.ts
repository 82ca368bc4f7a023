import { useEffect } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FinalScore, QueueReport, Rubric } from "@review/shared/review/report";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { allRows } from "../../lib/pages.ts";
import { openChannel } from "../../lib/realtime.ts";
import type { Row } from "../../lib/rows.ts";

/** A rubric version: kind is the table's check, levels the ordinal scale's jsonb. */
export type ScoreConfig = Row<"score_configs", { kind: Rubric["kind"]; levels: Array<{ value: number; label: string }> }>;
/** source: what the queue's items were drawn from (its shape depends on source_kind; the queue trigger reads it). */
export type ReviewQueue = Row<"review_queues", { source: Record<string, unknown> }>;
/** context: what the item keeps of its origin (a rating, an experiment's result ids, ...), written by the queue trigger. */
export type ReviewItem = Row<"review_items", { context: Record<string, unknown>; status: "open" | "complete" }>;
export type Assignment = Pick<Row<"review_assignments">, "id" | "item_id" | "reviewer_id" | "slot" | "status" | "lease_expires_at" | "submitted_at">;
/** What claim_next_review_item returns (jsonb of the two rows): the slot the caller now holds and its item, or null when nothing is left for them. */
export type Claimed = { assignment: Row<"review_assignments">; item: ReviewItem } | null;

export const rqKeys = {
  all: (orgId: string) => ["review-queues", orgId] as const,
  queues: (orgId: string) => ["review-queues", orgId, "list"] as const,
  rubrics: (orgId: string) => ["review-queues", orgId, "rubrics"] as const,
  queue: (queueId: string) => ["review-queue", queueId] as const,
  items: (queueId: string) => ["review-queue", queueId, "items"] as const,
  assignments: (queueId: string) => ["review-queue", queueId, "assignments"] as const,
  report: (queueId: string) => ["review-queue", queueId, "report"] as const,
  current: (queueId: string) => ["review-queue", queueId, "current"] as const,
};

export function useQueues(orgId: string) {
  return useQuery({
    queryKey: rqKeys.queues(orgId),
    queryFn: async () => unwrap(await supabase.from("review_queues").select("*").eq("org_id", orgId).order("created_at", { ascending: false })) as ReviewQueue[],
  });
}

export function useRubrics(orgId: string) {
  return useQuery({
    queryKey: rqKeys.rubrics(orgId),
    queryFn: async () => unwrap(await supabase.from("score_configs").select("*").eq("org_id", orgId).order("name").order("version", { ascending: false })) as ScoreConfig[],
  });
}

export function useQueue(queueId: string) {
  return useQuery({
    queryKey: rqKeys.queue(queueId),
    queryFn: async () => unwrap(await supabase.from("review_queues").select("*").eq("id", queueId).maybeSingle()) as ReviewQueue | null,
  });
}

export function useItems(queueId: string) {
  return useQuery({
    queryKey: rqKeys.items(queueId),
    queryFn: async () =>
      (await allRows((from, to) => supabase.from("review_items").select("*").eq("queue_id", queueId).order("position").range(from, to))) as ReviewItem[],
  });
}

export function useAssignments(queueId: string) {
  return useQuery({
    queryKey: rqKeys.assignments(queueId),
    queryFn: async () =>
      allRows<Assignment>((from, to) => supabase.from("review_assignments").select("id, item_id, reviewer_id, slot, status, lease_expires_at, submitted_at").eq("queue_id", queueId).order("id").range(from, to)),
  });
}

/**
 * The queue's report as the worker last stored it (public.review_reports: computed from every score by
 * shared/src/review/report.ts; readable with review:report). NaN statistics arrive as null (JSON).
 * Null until the first computation has landed.
 */
export type StoredReport = Omit<QueueReport, "finals"> & { scoresCount: number; computedAt: string };

export function useStoredReport(queueId: string, enabled = true) {
  return useQuery({
    queryKey: rqKeys.report(queueId),
    enabled,
    queryFn: async () => {
      const row = unwrap(await supabase.from("review_reports").select("report, scores_count, computed_at").eq("queue_id", queueId).maybeSingle()) as
        { report: Omit<QueueReport, "finals">; scores_count: number; computed_at: string } | null;
      return row ? ({ ...row.report, scoresCount: row.scores_count, computedAt: row.computed_at } as StoredReport) : null;
    },
  });
}

/** The final values of the queue's complete items, for an export (read when asked, never live). */
export async function fetchFinals(queueId: string): Promise<FinalScore[]> {
  const row = unwrap(await supabase.from("review_reports").select("finals").eq("queue_id", queueId).maybeSingle()) as { finals: FinalScore[] } | null;
  return row?.finals ?? [];
}

/**
 * The stored finals, kept live: the live channel (useQueueLive) refetches them when a change of the
 * report's row carries a new finals digest (the worker rewrites them only when they change). For views
 * beside the report (judge vs human, human preference, people vs evaluators); complete items only, as
 * the worker stores them.
 */
export function useStoredFinals(queueId: string, enabled = true) {
  return useQuery({ queryKey: [...rqKeys.report(queueId), "finals"], enabled: enabled && !!queueId, queryFn: () => fetchFinals(queueId) });
}

/**
 * Live: slots taken and submitted (everyone's progress), items completing, and, for those who read
 * reports, the stored report's recomputations (the event carries only the row's key, time and finals
 * digest: the report, and the finals when their digest moved, are re-read under its policy).
 */
export function useQueueLive(queueId: string, withReport = false) {
  const qc = useQueryClient();
  useEffect(() => {
    // The finals digest the last change of the report's row carried (undefined: none heard since
    // subscribing, so the next change refetches the finals).
    let digest: string | null | undefined;
    return openChannel(`review-queue:${queueId}`, {
      setup: (ch) => {
        ch.on("postgres_changes", { event: "*", schema: "public", table: "review_assignments", filter: `queue_id=eq.${queueId}` }, (msg) => {
          const row = (msg.new ?? {}) as Partial<Assignment>;
          if (row.id) {
            qc.setQueryData<Assignment[]>(rqKeys.assignments(queueId), (old) => {
              if (!old) return old;
              const i = old.findIndex((a) => a.id === row.id);
              const next = { ...(i >= 0 ? old[i] : {}), ...row } as Assignment;
              return i >= 0 ? old.map((a, j) => (j === i ? next : a)) : [...old, next];
            });
          }
          if (row.status === "submitted") void qc.invalidateQueries({ queryKey: rqKeys.items(queueId) });
        });
        if (withReport) {
          ch.on("postgres_changes", { event: "*", schema: "public", table: "review_reports", filter: `queue_id=eq.${queueId}` }, (msg) => {
            const row = (msg.new ?? {}) as { computed_at?: string; finals_digest?: string | null };
            // The finals (megabytes on a large queue) only when they changed: the worker writes them
            // after the report's commit, and only when their digest differs (most recomputations,
            // a submission that leaves its item open, keep them).
            if (digest === undefined || row.finals_digest !== digest) void qc.invalidateQueries({ queryKey: [...rqKeys.report(queueId), "finals"] });
            digest = row.finals_digest;
            // A blind reader's judge values widen with every recomputation's cause (their own
            // submission, an item completing), finals changed or not.
            void qc.invalidateQueries({ queryKey: [...rqKeys.report(queueId), "judge"] });
            // The finals' write keeps the report's computed_at: the report shown is already that one.
            const at = row.computed_at;
            const shown = qc.getQueryData<StoredReport | null>(rqKeys.report(queueId));
            if (at && shown && Date.parse(at) === Date.parse(shown.computedAt)) return;
            void qc.invalidateQueries({ queryKey: rqKeys.report(queueId), exact: true });
          });
        }
      },
      onSubscribed: (_ch, again) => {
        if (!again) return;
        digest = undefined;
        void qc.invalidateQueries({ queryKey: ["review-queue", queueId] });
      },
    });
  }, [queueId, qc, withReport]);
}

export function useClaimNext(queueId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async () => unwrap(await supabase.rpc("claim_next_review_item", { p_queue: queueId })) as Claimed,
    onSuccess: (claimed) => {
      qc.setQueryData(rqKeys.current(queueId), claimed);
      void qc.invalidateQueries({ queryKey: rqKeys.assignments(queueId) });
    },
  });
}

export function useSubmitScores(queueId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (v: { itemId: string; scores: Record<string, unknown> }) =>
      unwrap(await supabase.rpc("submit_scores", { p_item: v.itemId, p_scores: v.scores as never })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: rqKeys.assignments(queueId) }),
  });
}

export function useRelease(queueId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (itemId: string) => unwrap(await supabase.rpc("release_review_item", { p_item: itemId })),
    onSuccess: () => {
      qc.setQueryData(rqKeys.current(queueId), null);
      void qc.invalidateQueries({ queryKey: rqKeys.assignments(queueId) });
    },
  });
}

/**
 * The stored report follows the decision: the worker recomputes it and the page hears the change.
 * The value travels as its JSON text, which adjudicate unwraps (private.jsonb_arg) on hosted PostgREST and
 * the local emulator alike; a bare string value ("A", a category) would be read as JSON text and refused.
 */
export function useAdjudicate() {
  return useMutation({
    mutationFn: async (v: { itemId: string; rubricId: string; value: unknown; reason: string }) =>
      unwrap(await supabase.rpc("adjudicate", { p_item: v.itemId, p_score_config: v.rubricId, p_value: JSON.stringify(v.value), p_reason: v.reason })),
  });
}

export type NewRubric = { name: string; kind: Rubric["kind"]; description: string; min_value?: number; max_value?: number; step?: number; levels?: Array<{ value: number; label: string }>; categories?: string[]; multi?: boolean };

export function useCreateRubric(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (r: NewRubric) => unwrap(await supabase.from("score_configs").insert({ org_id: orgId, ...r } as never).select().single()) as ScoreConfig,
    onSuccess: () => void qc.invalidateQueries({ queryKey: rqKeys.rubrics(orgId) }),
  });
}

export type NewQueue = Pick<ReviewQueue, "name" | "description" | "source_kind" | "source" | "score_config_ids" | "overlap" | "assignment_mode" | "lease_seconds" | "disagreement_threshold">;

export function useCreateQueue(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (q: NewQueue) => unwrap(await supabase.from("review_queues").insert({ org_id: orgId, ...q } as never).select().single()) as ReviewQueue,
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: rqKeys.queues(orgId) });
      void qc.invalidateQueries({ queryKey: rqKeys.rubrics(orgId) });
    },
  });
}

/** Per reviewer: slots submitted and held, from the assignments (what the progress bars show). */
export function progressByReviewer(assignments: readonly Assignment[]): Map<string, { submitted: number; holding: number }> {
  const out = new Map<string, { submitted: number; holding: number }>();
  const now = Date.now();
  for (const a of assignments) {
    const p = out.get(a.reviewer_id) ?? { submitted: 0, holding: 0 };
    if (a.status === "submitted") p.submitted++;
    else if (a.status === "assigned" || (a.status === "leased" && a.lease_expires_at && Date.parse(a.lease_expires_at) > now)) p.holding++;
    out.set(a.reviewer_id, p);
  }
  return out;
}

export type ThroughputRow = { day: string; reviewer_id: string; items: number };

/** Items scored per day per reviewer across the organization's queues (review:report). */
export function useThroughput(orgId: string, days: number, enabled: boolean) {
  return useQuery({
    queryKey: [...rqKeys.all(orgId), "throughput", days],
    enabled,
    queryFn: async () => unwrap(await supabase.rpc("review_throughput", { p_org: orgId, p_days: days })) as ThroughputRow[],
  });
}

/** A finished experiment whose outputs can become a queue's items; variants as the experiment job's config gave them. */
export type ExperimentSource = Pick<Row<"experiments", { variants: Array<{ label?: string }> }>, "id" | "name" | "variants" | "baseline" | "created_at">;

/** The organization's finished experiments, newest first (only a finished run has every output to review). */
export function useFinishedExperiments(orgId: string, enabled: boolean) {
  return useQuery({
    queryKey: [...rqKeys.all(orgId), "experiments"],
    enabled,
    queryFn: async () =>
      unwrap(await supabase.from("experiments").select("id, name, variants, baseline, created_at").eq("org_id", orgId).eq("status", "completed").order("created_at", { ascending: false }).limit(200)) as ExperimentSource[],
  });
}

/** A variant as people read it: its label, else its number. */
export const variantLabel = (e: Pick<ExperimentSource, "variants">, i: number) => e.variants[i]?.label ?? `V${i + 1}`;

/**
 * The source of a queue over an experiment's outputs: one variant's outputs, or two variants' side by
 * side (variant_ids [A, B]); the database's queue trigger (private.on_review_queue_from_experiment)
 * draws the items from it, whichever page creates the queue.
 */
export function experimentSource(experimentId: string, variantIds: readonly number[], limit?: number): Record<string, unknown> {
  return { experiment_id: experimentId, variant_ids: [...variantIds], ...(limit ? { limit } : {}) };
}
