import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { TRY_EVALUATOR_MAX_ITEMS, type TryEvaluatorResponse } from "@review/shared/api/datasets";
import { DeterministicCheck, LlmJudgeConfig } from "@review/shared/datasets/evaluators";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { callFunction } from "../../lib/functions.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { useDatasets, useDatasetVersions, useExperiments } from "./queries.ts";

const num = (x: number | null) => (x === null ? "—" : x.toFixed(2));

/**
 * Runs the evaluator being edited (not saved) on the first few items of a dataset version, through the
 * try-evaluator function (the worker's scoring code), and shows each item's score before Save.
 */
export function TryEvaluator({ kind, configText }: { kind: "deterministic" | "llm_judge"; configText: string }) {
  const org = useCurrentOrg();
  const datasets = useDatasets(org.org_id);
  const versions = useDatasetVersions(org.org_id);
  const experiments = useExperiments(org.org_id);
  const [versionId, setVersionId] = useState("");
  const [experimentId, setExperimentId] = useState("");
  const [error, setError] = useState<string | null>(null);
  const nameOf = (datasetId: string) => datasets.data?.find((d) => d.id === datasetId)?.name ?? "dataset";
  const version = versionId || versions.data?.find((v) => v.item_count > 0)?.id || "";
  const onVersion = (experiments.data ?? []).filter((e) => e.dataset_version_id === version);
  const run = useMutation({
    mutationFn: async (): Promise<TryEvaluatorResponse> => {
      const config = JSON.parse(configText) as unknown;
      const evaluator = kind === "deterministic" ? { kind, config: DeterministicCheck.parse(config) } : { kind, config: LlmJudgeConfig.parse(config) };
      return callFunction("try-evaluator", { datasetVersionId: version, evaluator, ...(experimentId ? { experimentId } : {}), limit: TRY_EVALUATOR_MAX_ITEMS });
    },
    onMutate: () => setError(null),
    onError: (e) => setError(e instanceof SyntaxError ? "The configuration is not JSON" : messageOf(e)),
  });
  return (
    <fieldset className="fieldset stack" data-testid="try-evaluator">
      <legend>Try it before saving</legend>
      <div className="row">
        <Field label="Dataset version">
          <select className="input" aria-label="Try on dataset version" value={version} onChange={(e) => { setVersionId(e.target.value); setExperimentId(""); }}>
            {(versions.data ?? []).map((v) => <option key={v.id} value={v.id}>{nameOf(v.dataset_id)} v{v.version} ({v.status}, {v.item_count} items)</option>)}
          </select>
        </Field>
        <Field label="Outputs from">
          <select className="input" aria-label="Outputs from" value={experimentId} onChange={(e) => setExperimentId(e.target.value)}>
            <option value="">The items' logged answers</option>
            {onVersion.map((e) => <option key={e.id} value={e.id}>Experiment “{e.name}”</option>)}
          </select>
        </Field>
        <Button type="button" busy={run.isPending} disabled={!version} onClick={() => run.mutate()}>Try on {TRY_EVALUATOR_MAX_ITEMS} items</Button>
      </div>
      {error ? <div className="form-error" role="alert">{error}</div> : null}
      {run.data ? (
        <>
          <div className="muted small">
            {run.data.outputsFrom.kind === "experiment" ? `Outputs of ${run.data.outputsFrom.label}${kind === "llm_judge" ? ", judged against the baseline's or the expected answer" : ""}.` : "The items' logged answers."}
          </div>
          <table className="table small" aria-label="Try results">
            <thead><tr><th>Input</th><th>Output</th><th className="num">Score</th></tr></thead>
            <tbody>
              {run.data.items.map((i) => (
                <tr key={i.itemId} data-testid="try-result">
                  <td><div className="prose">{i.query}</div></td>
                  <td><div className="prose">{i.output ?? <span className="muted">{i.note}</span>}</div>{i.verdicts ? <div className="muted small">{i.verdicts.map((v) => `${v.order}: ${v.winner} — ${v.reason}`).join(" · ")}</div> : null}{i.judgement ? <div className="muted small" data-testid="try-judgement">judge {i.judgement.raw}{i.judgement.label ? ` (${i.judgement.label})` : ""}{i.judgement.usedReference ? ", with the expected answer" : ""} — {i.judgement.reason}</div> : null}</td>
                  <td className="num" data-testid="try-score">{num(i.score)}{i.output !== null && i.note ? <div className="muted small">{i.note}</div> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </fieldset>
  );
}
