import { useEffect } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { allRows } from "../../lib/pages.ts";
import { callFunction } from "../../lib/functions.ts";
import type { StartJobRequest } from "@review/shared/jobs/kinds";
import { openChannel } from "../../lib/realtime.ts";
import type { Enum, Row } from "../../lib/rows.ts";

export type JobStatus = Enum<"job_status">;
/** config and result are the job kind's config and the worker's result (shared/src/jobs); job_key is the queue's. */
export type Job = Omit<Row<"jobs", { config: Record<string, unknown>; result: Record<string, unknown> | null }>, "job_key">;
/** metrics: the worker's progress contract for the step. */
export type JobEvent = Row<"job_events", { metrics: Record<string, unknown> }>;
export type Model = Pick<Row<"models">, "id" | "org_id" | "job_id" | "name" | "provider" | "base_model" | "accuracy" | "cost_per_1k_tokens" | "latency_ms" | "is_live" | "created_at">;
/** metrics per side (a/b) and the judge's verdict in both orders, as the A/B worker stores them. */
export type EvalResult = Pick<
  Row<"eval_results", { metrics: Record<string, Record<string, number | null>>; judge: Array<{ order: string; winner: string; reason?: string }> }>,
  "id" | "item_index" | "query" | "reference" | "output_a" | "output_b" | "metrics" | "judge" | "judge_score"
>;

const JOB_COLUMNS = "id, org_id, kind, name, base_model, status, trained_on_tags, config, progress, result, error, cancel_requested, created_by, created_at, started_at, finished_at, duration_ms";
const MODEL_COLUMNS = "id, org_id, job_id, name, provider, base_model, accuracy, cost_per_1k_tokens, latency_ms, is_live, created_at";

export const jobKeys = {
  list: (orgId: string) => ["jobs", orgId] as const,
  detail: (id: string) => ["job", id] as const,
  events: (id: string) => ["job", id, "events"] as const,
  evalResults: (id: string) => ["job", id, "eval-results"] as const,
  models: (orgId: string) => ["models", orgId] as const,
};

export function useJobs(orgId: string) {
  return useQuery({
    queryKey: jobKeys.list(orgId),
    queryFn: async () => unwrap(await supabase.from("jobs").select(JOB_COLUMNS).eq("org_id", orgId).order("created_at", { ascending: false }).limit(200)) as Job[],
    staleTime: Infinity,
  });
}

export function useJob(id: string) {
  return useQuery({ queryKey: jobKeys.detail(id), enabled: !!id, queryFn: async () => unwrap(await supabase.from("jobs").select(JOB_COLUMNS).eq("id", id).maybeSingle()) as Job | null, staleTime: Infinity });
}

export function useJobEvents(id: string) {
  return useQuery({
    queryKey: jobKeys.events(id),
    enabled: !!id,
    // metrics is jsonb (Json in the generated types); its shape is the worker's progress contract.
    queryFn: async () => (await allRows((from, to) => supabase.from("job_events").select("*").eq("job_id", id).order("id").range(from, to))) as JobEvent[],
    staleTime: Infinity,
  });
}

export function useEvalResults(id: string, enabled: boolean) {
  return useQuery({
    queryKey: jobKeys.evalResults(id),
    enabled,
    // Up to 5,000 items an evaluation: more than one response carries.
    queryFn: async () =>
      (await allRows((from, to) =>
        supabase.from("eval_results").select("id, item_index, query, reference, output_a, output_b, metrics, judge, judge_score").eq("job_id", id).order("item_index").order("id").range(from, to),
      )) as EvalResult[],
  });
}

export function useModels(orgId: string) {
  return useQuery({
    queryKey: jobKeys.models(orgId),
    queryFn: async () => unwrap(await supabase.from("models").select(MODEL_COLUMNS).eq("org_id", orgId).order("created_at", { ascending: false })) as Model[],
    staleTime: Infinity,
  });
}

const upsert = <T extends { id: string | number }>(list: T[] | undefined, row: T, prepend = true): T[] | undefined => {
  if (!list) return list;
  return list.some((x) => x.id === row.id) ? list.map((x) => (x.id === row.id ? { ...x, ...row } : x)) : prepend ? [row, ...list] : [...list, row];
};

/** Jobs and models of the org, live: progress bars move as the worker writes. */
export function useJobsLive(orgId: string) {
  const qc = useQueryClient();
  useEffect(
    () =>
      openChannel(`jobs-changes:${orgId}`, {
        setup: (ch) => {
          ch.on("postgres_changes", { event: "*", schema: "public", table: "jobs", filter: `org_id=eq.${orgId}` }, (msg) => {
            if (msg.eventType === "DELETE") return;
            const job = msg.new as Job;
            qc.setQueryData<Job[]>(jobKeys.list(orgId), (old) => upsert(old, job));
            qc.setQueryData<Job | null>(jobKeys.detail(job.id), (old) => (old ? { ...old, ...job } : old));
          });
          ch.on("postgres_changes", { event: "*", schema: "public", table: "models", filter: `org_id=eq.${orgId}` }, (msg) => {
            if (msg.eventType === "DELETE") return void qc.invalidateQueries({ queryKey: jobKeys.models(orgId) });
            const m = msg.new as Model & { retrieval_index?: unknown; dataset_snapshot?: unknown };
            const { retrieval_index: _r, dataset_snapshot: _d, ...model } = m;
            qc.setQueryData<Model[]>(jobKeys.models(orgId), (old) => {
              // One model is live per org: switching one on switches the others off.
              const next = upsert(old, model as Model);
              return model.is_live ? next?.map((x) => (x.id === model.id ? x : { ...x, is_live: false })) : next;
            });
          });
        },
        onSubscribed: (_ch, again) => {
          if (again) {
            void qc.invalidateQueries({ queryKey: jobKeys.list(orgId) });
            void qc.invalidateQueries({ queryKey: jobKeys.models(orgId) });
          }
        },
      }),
    [orgId, qc],
  );
}

export function useJobEventsLive(jobId: string) {
  const qc = useQueryClient();
  useEffect(
    () =>
      !jobId ? undefined : openChannel(`job-events:${jobId}`, {
        setup: (ch) =>
          ch.on("postgres_changes", { event: "INSERT", schema: "public", table: "job_events", filter: `job_id=eq.${jobId}` }, (msg) => {
            qc.setQueryData<JobEvent[]>(jobKeys.events(jobId), (old) => upsert(old, msg.new as JobEvent, false));
          }),
        onSubscribed: (_ch, again) => {
          if (again) void qc.invalidateQueries({ queryKey: jobKeys.events(jobId) });
        },
      }),
    [jobId, qc],
  );
}

/** Per-item A/B results as the worker stores them: the win-rate chart grows while the evaluation runs. */
export function useEvalResultsLive(jobId: string) {
  const qc = useQueryClient();
  useEffect(
    () =>
      openChannel(`eval-results:${jobId}`, {
        setup: (ch) =>
          ch.on("postgres_changes", { event: "INSERT", schema: "public", table: "eval_results", filter: `job_id=eq.${jobId}` }, (msg) => {
            const { job_id: _j, org_id: _o, example_id: _e, created_at: _c, ...row } = msg.new as EvalResult & Record<string, unknown>;
            qc.setQueryData<EvalResult[]>(jobKeys.evalResults(jobId), (old) =>
              old ? upsert(old, row as EvalResult, false)!.slice().sort((a, b) => a.item_index - b.item_index || a.id - b.id) : old,
            );
          }),
        onSubscribed: (_ch, again) => {
          if (again) void qc.invalidateQueries({ queryKey: jobKeys.evalResults(jobId) });
        },
      }),
    [jobId, qc],
  );
}

/** Starts a job of any kind through start-job (which checks the role, the config and what it points at). */
export function useStartJob() {
  return useMutation({
    mutationFn: async (body: StartJobRequest) => {
      const r = await callFunction("start-job", body);
      return { ...r, job: r.job as Job }; // kind and status narrowed by their enums
    },
  });
}

export function useCancelJob() {
  return useMutation({ mutationFn: (jobId: string) => callFunction("cancel-job", { jobId }) });
}

/**
 * Puts a model in front of users the only way anything reaches them: a candidate version of the
 * suggest-answer prompt that pins the model (propose_model_version), evaluated against production by
 * the A/B gate, which promotes it if it wins. Resolves with the evaluation's job id.
 */
export function useServeModel(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (modelId: string) => {
      const prompt = unwrap(await supabase.from("prompts").select("id").eq("org_id", orgId).eq("slug", "suggest-answer").maybeSingle()) as { id: string } | null;
      if (!prompt) throw new Error("This organization has no suggest-answer prompt yet: create it in Prompts first.");
      const version = unwrap(await supabase.rpc("propose_model_version", { p_prompt_id: prompt.id, p_model_id: modelId })) as { id: string; version: number };
      const started = await callFunction("promote-prompt", { versionId: version.id });
      return { jobId: started.jobId, version: version.version };
    },
    onSettled: () => qc.invalidateQueries({ queryKey: jobKeys.models(orgId) }),
  });
}
