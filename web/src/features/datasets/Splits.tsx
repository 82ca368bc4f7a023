import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { supabase } from "../../lib/supabase.ts";
import { unwrap, messageOf } from "../../lib/errors.ts";
import { allRows } from "../../lib/pages.ts";
import type { FnRow } from "../../lib/rows.ts";
import { useTrainingOverlap, type DatasetVersion, type StoredSplits } from "./queries.ts";

export type SplitName = "train" | "validation" | "test" | "unsplit";
type SplitOverlap = FnRow<"dataset_split_overlap", { served_model: string | null; split: SplitName }>;

const splitKeys = {
  counts: (versionId: string) => ["dataset-splits", versionId] as const,
  overlap: (versionId: string) => ["dataset-split-overlap", versionId] as const,
};

function useSplitCounts(versionId: string) {
  return useQuery({
    queryKey: splitKeys.counts(versionId),
    enabled: !!versionId,
    queryFn: async () => {
      const rows = await allRows<{ split: string | null }>((from, to) => supabase.from("dataset_items").select("split").eq("version_id", versionId).order("position").range(from, to));
      const counts: Record<SplitName, number> = { train: 0, validation: 0, test: 0, unsplit: 0 };
      for (const r of rows) counts[(r.split ?? "unsplit") as SplitName]++;
      const v = unwrap(await supabase.from("dataset_versions").select("splits").eq("id", versionId).single()) as { splits: StoredSplits | null };
      return { counts, stored: v.splits };
    },
  });
}

/** Per fine-tuned model and split: items its training snapshot contains (public.dataset_split_overlap). */
function useSplitOverlap(versionId: string) {
  return useQuery({
    queryKey: splitKeys.overlap(versionId),
    enabled: !!versionId,
    queryFn: async () => unwrap(await supabase.rpc("dataset_split_overlap", { p_version_id: versionId })) as SplitOverlap[],
  });
}

function useSplit(versionId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (v: { train: number; validation: number; test: number; seed: string }) =>
      unwrap(await supabase.rpc("split_dataset_version", { p_version_id: versionId, p_train: v.train, p_validation: v.validation, p_test: v.test, p_seed: v.seed })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: splitKeys.counts(versionId) });
      void qc.invalidateQueries({ queryKey: splitKeys.overlap(versionId) });
      void qc.invalidateQueries({ queryKey: ["datasets"] });
    },
  });
}

/**
 * A version's train/validation/test split: the counts, the form that (re)splits a draft with chosen
 * proportions and a seed, and, per split, the items a fine-tuned model was trained on.
 */
export function SplitsPanel({ version, editable }: { version: DatasetVersion; editable: boolean }) {
  const counts = useSplitCounts(version.id);
  const overlap = useSplitOverlap(version.id);
  const split = useSplit(version.id);
  const stored = counts.data?.stored ?? null;
  const [train, setTrain] = useState(70);
  const [validation, setValidation] = useState(15);
  const [seed, setSeed] = useState("split");
  const test = 100 - train - validation;
  const c = counts.data?.counts;
  const leaks = (overlap.data ?? []).filter((o) => o.split === "train" || o.split === "validation");
  return (
    <section className="card stack" style={{ marginBottom: 12 }} data-testid="dataset-splits">
      <div className="row">
        <strong className="grow">Splits</strong>
        {c ? (
          <span className="small" data-testid="split-counts">
            train {c.train} · validation {c.validation} · test {c.test}{c.unsplit ? ` · not split ${c.unsplit}` : ""}
            {stored ? <span className="muted"> (seed “{stored.seed}”)</span> : null}
          </span>
        ) : null}
      </div>
      {leaks.length ? (
        <div className="form-error" role="alert" data-testid="split-overlap">
          Train/validation items in a fine-tune's training data: {leaks.map((o) => `${o.overlapping} of ${o.items} ${o.split} items were in the training set of ${o.model_name}${o.served_model ? ` (${o.served_model})` : ""}`).join("; ")}.
        </div>
      ) : null}
      {editable ? (
        <form className="row" onSubmit={(e) => {
          e.preventDefault();
          split.mutate({ train: train / 100, validation: validation / 100, test: test / 100, seed }, {
            onSuccess: (r) => toast.success("Split", (r ?? []).map((x) => `${x.split} ${x.items}`).join(" · ")),
            onError: (err) => toast.error("Could not split", messageOf(err)),
          });
        }}>
          <Field label="Train %"><input className="input" type="number" min={0} max={100} value={train} onChange={(e) => setTrain(Number(e.target.value))} /></Field>
          <Field label="Validation %"><input className="input" type="number" min={0} max={100} value={validation} onChange={(e) => setValidation(Number(e.target.value))} /></Field>
          <Field label="Test %"><input className="input" type="number" value={test} readOnly aria-readonly /></Field>
          <Field label="Seed"><input className="input" value={seed} onChange={(e) => setSeed(e.target.value)} maxLength={100} /></Field>
          <Button type="submit" busy={split.isPending} disabled={test < 0 || !seed.trim()}>Split items</Button>
        </form>
      ) : null}
    </section>
  );
}

/** The experiment page's warning: the dataset version it ran on overlaps a fine-tune's training data. */
export function TrainingOverlapWarning({ versionId }: { versionId: string }) {
  const overlap = useTrainingOverlap(versionId);
  if (!overlap.data?.length) return null;
  return (
    <div className="form-error" role="alert" data-testid="experiment-training-overlap" style={{ marginTop: 16 }}>
      This experiment's dataset overlaps training data: {overlap.data.map((o) => `${o.overlapping} of ${o.items} items were in the training set of ${o.model_name}${o.served_model ? ` (${o.served_model})` : ""}`).join("; ")}. A variant served by that model scores optimistically on them.
    </div>
  );
}
