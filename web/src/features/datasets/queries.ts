import { useEffect } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { allRows } from "../../lib/pages.ts";
import { callFunction } from "../../lib/functions.ts";
import { openChannel } from "../../lib/realtime.ts";
import type { DatasetItemInput } from "@review/shared/datasets/import";
import type { ExperimentSummary } from "@review/shared/datasets/summary";
import type { ExperimentConfig } from "@review/shared/jobs/config";
import type { Enum, FnRow, Row } from "../../lib/rows.ts";

/** The proportions and seed a version's items were split with (public.split_dataset_version). */
export type StoredSplits = { train: number; validation: number; test: number; seed: string };
export type Dataset = Pick<Row<"datasets">, "id" | "org_id" | "name" | "description" | "created_at" | "updated_at">;
/** source: where the items came from ({kind: "inbox_filter", filter} | {kind: "import", fileName} | …). */
export type DatasetVersion = Pick<
  Row<"dataset_versions", { status: "draft" | "published"; source: Record<string, unknown>; splits: StoredSplits | null }>,
  "id" | "dataset_id" | "version" | "status" | "source" | "item_count" | "created_at" | "published_at" | "doc_problems"
>;
const VERSION_COLUMNS = "id, dataset_id, version, status, source, item_count, created_at, published_at, doc_problems";
export type DatasetItem = Pick<
  Row<"dataset_items", { variables: Record<string, unknown>; metadata: Record<string, unknown> }>,
  "id" | "version_id" | "position" | "query" | "context" | "variables" | "expected" | "metadata"
>;
export type Evaluator = Pick<Row<"evaluators", { kind: "llm_judge" | "deterministic"; config: Record<string, unknown> }>, "id" | "name" | "version" | "kind" | "config" | "created_at">;
export type ExperimentVariant = { promptVersionId?: string; model?: string; live?: string; label?: string };
/** variants: the job config's matrix (ExperimentConfig); summary: the worker's ExperimentSummary once finished. */
export type Experiment = Pick<
  Row<"experiments", { variants: ExperimentVariant[]; status: Enum<"job_status">; summary: ExperimentSummary | null }>,
  "id" | "org_id" | "job_id" | "name" | "dataset_version_id" | "variants" | "evaluator_ids" | "baseline" | "status" | "summary" | "created_at"
>;
/** scores: {"<evaluator name>": score | null}. */
export type ExperimentResultRow = Pick<
  Row<"experiment_results", { scores: Record<string, number | null> }>,
  "id" | "item_id" | "variant" | "output" | "scores" | "cost_usd" | "latency_ms" | "error"
>;
/**
 * One variant's result of an item, as public.experiment_comparison_page returns it; score_details (per
 * rubric judge: its raw value on the scale, label and reason) only when the result has any.
 */
export type ItemResult = Pick<ExperimentResultRow, "variant" | "output" | "scores" | "cost_usd" | "latency_ms" | "error"> & { score_details?: Record<string, unknown> };
/** One row of public.experiment_comparison_page: an item with the compared results (delta null when not comparable). */
export type ComparisonRow = FnRow<"experiment_comparison_page", { expected: string | null; delta: number | null; results: ItemResult[] }>;
export type ComparisonSort = "position" | "delta" | "-delta" | "latency" | "cost";
export type ComparisonQuery = { variant: number; metric: string; regressions: boolean; q: string; sort: ComparisonSort; page: number; pageSize: number };
/** public.experiment_variant_stats: the figures of the rows stored so far. */
export type VariantStats = FnRow<"experiment_variant_stats", {
  latency_p50: number | null; latency_p90: number | null; latency_p99: number | null;
  metrics: Record<string, { n: number; mean: number | null }>; vs_baseline: Record<string, { n: number; meanDiff: number | null }>;
}>;

export const datasetKeys = {
  list: (orgId: string) => ["datasets", orgId] as const,
  versions: (orgId: string) => ["dataset-versions", orgId] as const,
  items: (versionId: string) => ["dataset-items", versionId] as const,
  evaluators: (orgId: string) => ["evaluators", orgId] as const,
  experiments: (orgId: string) => ["experiments", orgId] as const,
  experiment: (id: string) => ["experiment", id] as const,
  results: (id: string) => ["experiment-results", id] as const,
  /** Every page and the figures of one experiment: what a stored result makes stale. */
  comparison: (id: string) => ["experiment-comparison", id] as const,
  page: (id: string, q: ComparisonQuery) => ["experiment-comparison", id, "page", q] as const,
  stats: (id: string) => ["experiment-comparison", id, "stats"] as const,
  version: (id: string) => ["dataset-version", id] as const,
};

export function useDatasets(orgId: string) {
  return useQuery({
    queryKey: datasetKeys.list(orgId),
    queryFn: async () => unwrap(await supabase.from("datasets").select("id, org_id, name, description, created_at, updated_at").eq("org_id", orgId).order("created_at", { ascending: false })) as Dataset[],
  });
}

/** Every version of the organization's datasets (few: one row per publication). */
export function useDatasetVersions(orgId: string) {
  return useQuery({
    queryKey: datasetKeys.versions(orgId),
    queryFn: async () =>
      unwrap(await supabase.from("dataset_versions").select(VERSION_COLUMNS).eq("org_id", orgId).order("version", { ascending: false })) as DatasetVersion[],
  });
}

export function useDatasetItems(versionId: string | null) {
  return useQuery({
    queryKey: datasetKeys.items(versionId ?? ""),
    enabled: !!versionId,
    queryFn: async () =>
      (await allRows((from, to) => supabase.from("dataset_items").select("id, version_id, position, query, context, variables, expected, metadata").eq("version_id", versionId!).order("position").range(from, to))) as DatasetItem[],
  });
}

export function useEvaluators(orgId: string) {
  return useQuery({
    queryKey: datasetKeys.evaluators(orgId),
    queryFn: async () => unwrap(await supabase.from("evaluators").select("id, name, version, kind, config, created_at").eq("org_id", orgId).order("name").order("version", { ascending: false })) as Evaluator[],
  });
}

const EXPERIMENT_COLUMNS = "id, org_id, job_id, name, dataset_version_id, variants, evaluator_ids, baseline, status, summary, created_at";

export function useExperiments(orgId: string) {
  return useQuery({
    queryKey: datasetKeys.experiments(orgId),
    queryFn: async () => unwrap(await supabase.from("experiments").select(EXPERIMENT_COLUMNS).eq("org_id", orgId).order("created_at", { ascending: false }).limit(200)) as Experiment[],
  });
}

/** New experiments and status changes appear in every open list. */
export function useExperimentsLive(orgId: string) {
  const qc = useQueryClient();
  useEffect(
    () =>
      openChannel(`experiments:${orgId}`, {
        setup: (ch) =>
          ch.on("postgres_changes", { event: "*", schema: "public", table: "experiments", filter: `org_id=eq.${orgId}` }, () => {
            void qc.invalidateQueries({ queryKey: datasetKeys.experiments(orgId) });
          }),
        onSubscribed: (_ch, again) => {
          if (again) void qc.invalidateQueries({ queryKey: datasetKeys.experiments(orgId) });
        },
      }),
    [orgId, qc],
  );
}

export function useExperiment(id: string) {
  return useQuery({
    queryKey: datasetKeys.experiment(id),
    queryFn: async () => unwrap(await supabase.from("experiments").select(EXPERIMENT_COLUMNS).eq("id", id).maybeSingle()) as Experiment | null,
  });
}

/** One page of the comparison, filtered and sorted by the database; the previous page stays up while the next loads. */
export function useComparisonPage(id: string, q: ComparisonQuery, enabled = true) {
  return useQuery({
    queryKey: datasetKeys.page(id, q),
    enabled: enabled && !!id,
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(await supabase.rpc("experiment_comparison_page", {
        p_experiment_id: id, p_variant: q.variant, p_metric: q.metric, p_regressions: q.regressions,
        p_q: q.q.trim() || undefined, p_sort: q.sort, p_limit: q.pageSize, p_offset: q.page * q.pageSize,
      })) as ComparisonRow[],
  });
}

/** Per-variant figures computed by the database (for a run in progress; a finished one has its stored summary). */
export function useVariantStats(id: string, enabled: boolean) {
  return useQuery({
    queryKey: datasetKeys.stats(id),
    enabled: enabled && !!id,
    placeholderData: keepPreviousData,
    queryFn: async () => unwrap(await supabase.rpc("experiment_variant_stats", { p_experiment_id: id })) as VariantStats[],
  });
}

export function useDatasetVersion(id: string | null) {
  return useQuery({
    queryKey: datasetKeys.version(id ?? ""),
    enabled: !!id,
    queryFn: async () => unwrap(await supabase.from("dataset_versions").select(VERSION_COLUMNS).eq("id", id!).single()) as DatasetVersion,
  });
}

/** Every stored result row of an experiment (an export's input; the comparison view pages instead). */
export function useExperimentResults(id: string) {
  return useQuery({
    queryKey: datasetKeys.results(id),
    queryFn: async () =>
      (await allRows((from, to) =>
        supabase.from("experiment_results").select("id, item_id, variant, output, scores, cost_usd, latency_ms, error").eq("experiment_id", id).order("id").range(from, to),
      )) as ExperimentResultRow[],
  });
}

/**
 * The experiment and its comparison, live: as the worker stores results, the page on screen and the
 * figures are asked for again, at most once a second (a run stores up to hundreds a second).
 */
export function useExperimentLive(id: string) {
  const qc = useQueryClient();
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    const refresh = () => {
      timer = null;
      last = Date.now();
      void qc.invalidateQueries({ queryKey: datasetKeys.comparison(id) });
    };
    const stale = () => {
      if (timer) return;
      timer = setTimeout(refresh, Math.max(0, last + REFRESH_MS - Date.now()));
    };
    const close = openChannel(`experiment:${id}`, {
        setup: (ch) => {
          ch.on("postgres_changes", { event: "INSERT", schema: "public", table: "experiment_results", filter: `experiment_id=eq.${id}` }, (msg) => {
            const row = msg.new as ExperimentResultRow;
            qc.setQueryData<ExperimentResultRow[]>(datasetKeys.results(id), (old) => (old && !old.some((r) => r.id === row.id) ? [...old, row] : old));
            stale();
          });
          ch.on("postgres_changes", { event: "UPDATE", schema: "public", table: "experiments", filter: `id=eq.${id}` }, (msg) => {
            qc.setQueryData<Experiment | null>(datasetKeys.experiment(id), (old) => (old ? { ...old, ...(msg.new as Experiment) } : old));
            stale();
          });
        },
        onSubscribed: (_ch, again) => {
          if (again) {
            void qc.invalidateQueries({ queryKey: datasetKeys.results(id) });
            void qc.invalidateQueries({ queryKey: datasetKeys.experiment(id) });
            void qc.invalidateQueries({ queryKey: datasetKeys.comparison(id) });
          }
        },
      });
    return () => {
      if (timer) clearTimeout(timer);
      close();
    };
  }, [id, qc]);
}
const REFRESH_MS = 1000;

function useInvalidateDatasets(orgId: string) {
  const qc = useQueryClient();
  return () => Promise.all([qc.invalidateQueries({ queryKey: datasetKeys.list(orgId) }), qc.invalidateQueries({ queryKey: datasetKeys.versions(orgId) })]);
}

export function useBuildFromFilter(orgId: string) {
  const done = useInvalidateDatasets(orgId);
  return useMutation({
    mutationFn: async (args: { name: string; filter: Record<string, unknown> }) =>
      unwrap(await supabase.rpc("build_dataset_from_feedback", { p_org_id: orgId, p_name: args.name, p_filter: args.filter as never })) as DatasetVersion,
    onSettled: done,
  });
}

export function useBuildFromExamples(orgId: string) {
  const done = useInvalidateDatasets(orgId);
  return useMutation({
    mutationFn: async (args: { name: string; tags: string[]; onlyCases: boolean }) =>
      unwrap(await supabase.rpc("build_dataset_from_examples", { p_org_id: orgId, p_name: args.name, p_tags: args.tags, p_only_cases: args.onlyCases })) as DatasetVersion,
    onSettled: done,
  });
}

export function useImportItems(orgId: string) {
  const done = useInvalidateDatasets(orgId);
  return useMutation({
    mutationFn: async (args: { name: string; items: DatasetItemInput[]; fileName: string }) =>
      unwrap(await supabase.rpc("import_dataset_items", { p_org_id: orgId, p_name: args.name, p_items: args.items as never, p_source: { fileName: args.fileName } as never })) as DatasetVersion,
    onSettled: done,
  });
}

/**
 * Publishes a version. A co-edited draft first stores this browser's own edits (`beforePublish`: the
 * provider's whenPersisted), then asks until the worker has copied every stored edit into the items
 * (`edits_pending`: the database refuses to freeze rows that are behind the document; the worker's
 * upkeep runs about two seconds after the last edit), so what is frozen is what the editors saw.
 */
export function usePublish(orgId: string, beforePublish?: () => Promise<void>) {
  const qc = useQueryClient();
  const done = useInvalidateDatasets(orgId);
  return useMutation({
    mutationFn: async (versionId: string) => {
      await beforePublish?.();
      for (let attempt = 0; ; attempt++) {
        const r = await supabase.rpc("publish_dataset_version", { p_version_id: versionId });
        if (r.error?.code === "edits_pending" && attempt < PUBLISH_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 200 * 2 ** attempt)));
          continue;
        }
        return unwrap(r) as DatasetVersion;
      }
    },
    onSettled: (_v, _e, versionId) => Promise.all([done(), qc.invalidateQueries({ queryKey: datasetKeys.items(versionId) })]),
  });
}
/** About half a minute of waiting for the worker's copy before giving up (the worker is down). */
const PUBLISH_ATTEMPTS = 35;

export function useNewDraft(orgId: string) {
  const done = useInvalidateDatasets(orgId);
  return useMutation({
    mutationFn: async (datasetId: string) => unwrap(await supabase.rpc("new_dataset_draft", { p_dataset_id: datasetId })) as DatasetVersion,
    onSettled: done,
  });
}

/** Adding and removing a draft's items; their texts change through the draft's document (DraftItems). */
export function useItemMutations(orgId: string, versionId: string) {
  const qc = useQueryClient();
  const done = () => Promise.all([qc.invalidateQueries({ queryKey: datasetKeys.items(versionId) }), qc.invalidateQueries({ queryKey: datasetKeys.versions(orgId) })]);
  const remove = useMutation({ mutationFn: async (id: string) => unwrap(await supabase.from("dataset_items").delete().eq("id", id).select("id")), onSettled: done });
  const add = useMutation({
    mutationFn: async (args: { position: number; query: string; expected: string | null }) =>
      unwrap(await supabase.from("dataset_items").insert({ org_id: orgId, version_id: versionId, position: args.position, query: args.query, expected: args.expected }).select("id")),
    onSettled: done,
  });
  return { remove, add };
}

export function useSaveEvaluator(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (args: { name: string; kind: Evaluator["kind"]; config: Record<string, unknown>; version: number }) =>
      unwrap(await supabase.from("evaluators").insert({ org_id: orgId, name: args.name, kind: args.kind, config: args.config as never, version: args.version }).select("id").single()),
    onSettled: () => qc.invalidateQueries({ queryKey: datasetKeys.evaluators(orgId) }),
  });
}

export function useStartExperiment(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (args: { name: string; config: z_input }) => {
      const r = await callFunction("start-job", { kind: "experiment", orgId, name: args.name, config: args.config });
      // The database made the experiment row with the job (one transaction); its id is where to go next.
      const e = unwrap(await supabase.from("experiments").select("id").eq("job_id", r.job.id).single()) as { id: string };
      return { jobId: r.job.id, experimentId: e.id, created: r.created };
    },
    onSettled: () => qc.invalidateQueries({ queryKey: datasetKeys.experiments(orgId) }),
  });
}
type z_input = Omit<Partial<ExperimentConfig>, "variants"> & { datasetVersionId: string; variants: ExperimentVariant[]; evaluatorIds: string[] };

export function useResumeExperiment(id: string) {
  return useMutation({ mutationFn: async () => unwrap(await supabase.rpc("resume_experiment", { p_experiment_id: id })) as string });
}

/** A higher cap for an experiment that stopped at its own: the same job runs on. */
export function useRaiseExperimentCostCap(id: string) {
  return useMutation({
    mutationFn: async (capUsd: number) => unwrap(await supabase.rpc("raise_experiment_cost_cap", { p_experiment_id: id, p_cost_cap_usd: capUsd })) as string,
  });
}

type PromptVersionOption = Pick<Row<"prompt_versions">, "id" | "version" | "status" | "model"> & { prompts: Pick<Row<"prompts">, "slug"> | null };

/** Prompt versions to put in a matrix (any status: experiments try candidates). */
export function usePromptVersions(orgId: string) {
  return useQuery({
    queryKey: ["experiment-prompt-versions", orgId],
    queryFn: async () =>
      unwrap(await supabase.from("prompt_versions").select("id, version, status, model, prompts(slug)").eq("org_id", orgId).order("created_at", { ascending: false }).limit(200)) as PromptVersionOption[],
  });
}

export type Overlap = FnRow<"dataset_training_overlap">;

/** Fine-tuned models trained on this version's items (public.dataset_training_overlap). */
export function useTrainingOverlap(versionId: string | null) {
  return useQuery({
    queryKey: ["dataset-overlap", versionId ?? ""],
    enabled: !!versionId,
    queryFn: async () => unwrap(await supabase.rpc("dataset_training_overlap", { p_version_id: versionId! })) as Overlap[],
  });
}
