import { useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { describeEvaluator } from "@review/shared/datasets/evaluators";
import { Button } from "../../components/ui/Button.tsx";
import { Badge } from "../../components/ui/Badge.tsx";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { EmptyState, ErrorState, Field, ProgressBar } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { dateTime } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { useJobs, useJobsLive } from "../jobs/index.ts";
import { stoppedAtCostCap } from "./CostCapNotice.tsx";
import { TryEvaluator } from "./TryEvaluator.tsx";
import { EvaluatorForm } from "./EvaluatorForm.tsx";
import { editorResult, initialEditorState, switchKind } from "./evaluatorForm.ts";
import { useDatasets, useDatasetVersions, useEvaluators, useExperiments, useExperimentsLive, usePromptVersions, useSaveEvaluator, useStartExperiment, type ExperimentVariant } from "./queries.ts";

export const STATUS_TONE = { pending: "neutral", running: "info", completed: "good", failed: "bad", cancelled: "warn" } as const;

export default function ExperimentsPage() {
  const org = useCurrentOrg();
  const [params, setParams] = useSearchParams();
  const experiments = useExperiments(org.org_id);
  const jobs = useJobs(org.org_id);
  useJobsLive(org.org_id);
  useExperimentsLive(org.org_id);
  const evaluators = useEvaluators(org.org_id);
  const runner = can(org.role, "experiment:run");
  const editor = can(org.role, "dataset:edit");
  const newFor = params.get("new");
  const [starting, setStarting] = useState(newFor !== null && runner);
  const [evaluatorOpen, setEvaluatorOpen] = useState(false);
  const progressOf = (jobId: string) => jobs.data?.find((j) => j.id === jobId);

  return (
    <div className="page" data-testid="experiments-page">
      <header className="page-head">
        <div>
          <h1>Experiments</h1>
          <div className="muted">Prompt versions × models over a published dataset version, scored by evaluators, compared with statistics.</div>
        </div>
        <span className="grow" />
        {editor ? <Button onClick={() => setEvaluatorOpen(true)}>New evaluator</Button> : null}
        {runner ? <Button variant="primary" onClick={() => setStarting(true)}>New experiment</Button> : null}
      </header>
      {experiments.error ? <ErrorState error={experiments.error} /> : experiments.data?.length === 0 ? (
        <EmptyState title="No experiments yet.">{runner ? "Publish a dataset version, then start one." : "Admins start experiments; you can watch them here."}</EmptyState>
      ) : (
        <table className="table" aria-label="Experiments">
          <thead><tr><th>Name</th><th>Variants</th><th>Status</th><th style={{ width: 200 }}>Progress</th><th>Started</th></tr></thead>
          <tbody>
            {experiments.data?.map((e) => {
              const job = progressOf(e.job_id);
              const status = job?.status ?? e.status;
              return (
                <tr key={e.id} data-testid="experiment-row">
                  <td><Link to={`/o/${org.slug}/experiments/${e.id}`}>{e.name}</Link></td>
                  <td className="num">{e.variants.length}</td>
                  <td>
                    <Badge tone={STATUS_TONE[status]}>{status}</Badge>
                    {status === "completed" && stoppedAtCostCap(job?.result) ? <> <Badge tone="warn" title="Stopped at its cost cap before scoring every output">cost cap</Badge></> : null}
                  </td>
                  <td><div className="row"><ProgressBar value={job?.progress ?? 0} label={`${e.name} progress`} /><span className="small num">{Math.round(job?.progress ?? 0)}%</span></div></td>
                  <td className="muted small">{dateTime(e.created_at)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}

      <section className="card" style={{ marginTop: 16 }}>
        <h3 className="section-title">Evaluators</h3>
        {evaluators.data?.length ? (
          <ul className="stack small" aria-label="Evaluators">
            {evaluators.data.map((e) => <li key={e.id}><strong>{e.name}</strong> v{e.version} <span className="muted">· {describeEvaluator(e)}</span></li>)}
          </ul>
        ) : <p className="muted">No evaluators yet.</p>}
      </section>

      <NewExperimentDialog open={starting} onClose={() => { setStarting(false); if (newFor !== null) setParams({}, { replace: true }); }} initialVersion={newFor} />
      <NewEvaluatorDialog open={evaluatorOpen} onClose={() => setEvaluatorOpen(false)} />
    </div>
  );
}

const MODEL_SUGGESTIONS = ["offline-fast-1", "offline-strong-1", "claude-haiku-4-5", "claude-sonnet-4-5", "openai:gpt-4o-mini", "openrouter:meta-llama/llama-3.1-8b-instruct"];

function NewExperimentDialog({ open, onClose, initialVersion }: { open: boolean; onClose(): void; initialVersion: string | null }) {
  const org = useCurrentOrg();
  const navigate = useNavigate();
  const datasets = useDatasets(org.org_id);
  const versions = useDatasetVersions(org.org_id);
  const evaluators = useEvaluators(org.org_id);
  const prompts = usePromptVersions(org.org_id);
  const start = useStartExperiment(org.org_id);
  const published = (versions.data ?? []).filter((v) => v.status === "published");
  const [name, setName] = useState("");
  const [versionId, setVersionId] = useState(initialVersion ?? "");
  const [promptIds, setPromptIds] = useState<string[]>([]);
  const [models, setModels] = useState("offline-fast-1, offline-strong-1");
  const [evaluatorIds, setEvaluatorIds] = useState<string[]>([]);
  const [costCap, setCostCap] = useState("");
  const latestEvaluators = useMemo(() => {
    const seen = new Set<string>();
    return (evaluators.data ?? []).filter((e) => (seen.has(e.name) ? false : (seen.add(e.name), true)));
  }, [evaluators.data]);
  const modelList = models.split(",").map((m) => m.trim()).filter(Boolean);
  const variants: ExperimentVariant[] = (promptIds.length ? promptIds : [null]).flatMap((p) =>
    modelList.map((m) => {
      const pv = prompts.data?.find((x) => x.id === p);
      return { ...(p ? { promptVersionId: p } : {}), model: m, label: `${pv ? `${pv.prompts?.slug ?? "prompt"} v${pv.version}` : "bare"} · ${m}` };
    }),
  );
  const toggle = (list: string[], id: string) => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate(
      { name: name.trim(), config: { datasetVersionId: versionId || published[0]!.id, variants, evaluatorIds, baseline: 0, ...(costCap ? { costCapUsd: Number(costCap) } : {}) } },
      {
        onSuccess: (r) => {
          toast.success("Experiment started", `${variants.length} variants`);
          onClose();
          navigate(`/o/${org.slug}/experiments/${r.experimentId}`);
        },
      },
    );
  };
  const nameOf = (datasetId: string) => datasets.data?.find((d) => d.id === datasetId)?.name ?? "dataset";
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="New experiment" description="Every prompt version runs on every model, over every item of one published dataset version. The first variant is the baseline." wide>
      <form className="stack" onSubmit={submit}>
        <Field label="Name"><input className="input" value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} aria-label="Experiment name" /></Field>
        <Field label="Dataset version">
          <select className="input" value={versionId || published[0]?.id || ""} onChange={(e) => setVersionId(e.target.value)} aria-label="Dataset version">
            {published.map((v) => <option key={v.id} value={v.id}>{nameOf(v.dataset_id)} v{v.version} ({v.item_count} items)</option>)}
          </select>
        </Field>
        <fieldset className="field fieldset">
          <legend className="field-label">Prompt versions (rows of the matrix)</legend>
          <div className="tag-cloud">
            {prompts.data?.map((p) => (
              <button type="button" key={p.id} className="chip" aria-pressed={promptIds.includes(p.id)} onClick={() => setPromptIds((s) => toggle(s, p.id))}>
                {p.prompts?.slug ?? "prompt"} v{p.version} · {p.status}
              </button>
            ))}
          </div>
          <span className="field-hint">None selected: the bare question.</span>
        </fieldset>
        <Field label="Models (columns of the matrix), comma-separated" hint={`Any provider: e.g. ${MODEL_SUGGESTIONS.join(", ")}`}>
          <input className="input" value={models} onChange={(e) => setModels(e.target.value)} aria-label="Models" />
        </Field>
        <fieldset className="field fieldset">
          <legend className="field-label">Evaluators</legend>
          <div className="tag-cloud">
            {latestEvaluators.map((e) => (
              <button type="button" key={e.id} className="chip" aria-pressed={evaluatorIds.includes(e.id)} onClick={() => setEvaluatorIds((s) => toggle(s, e.id))}>{e.name} v{e.version}</button>
            ))}
          </div>
        </fieldset>
        <Field label="Cost cap (USD, optional)" hint="Counts the outputs and the LLM judges' calls; no new output starts once it is reached."><input className="input" type="number" min="0" step="0.01" value={costCap} onChange={(e) => setCostCap(e.target.value)} /></Field>
        <p className="muted small" data-testid="matrix-size">{variants.length} variant{variants.length === 1 ? "" : "s"}: {variants.map((v) => v.label).join("; ")}</p>
        {start.error ? <div className="form-error" role="alert">{messageOf(start.error)}</div> : null}
        <div className="row-end"><Button type="button" onClick={onClose}>Cancel</Button><Button variant="primary" type="submit" busy={start.isPending} disabled={!name.trim() || !published.length || !variants.length}>Start experiment</Button></div>
      </form>
    </Dialog>
  );
}

function NewEvaluatorDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const org = useCurrentOrg();
  const evaluators = useEvaluators(org.org_id);
  const save = useSaveEvaluator(org.org_id);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<"deterministic" | "llm_judge">("deterministic");
  const [editor, setEditor] = useState(() => initialEditorState("deterministic"));
  const [tried, setTried] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    const { config } = editorResult(kind, editor);
    if (!config) return;
    // Saving a name that exists saves its next version; the old one stays for the experiments that used it.
    const version = Math.max(0, ...(evaluators.data ?? []).filter((x) => x.name === name.trim()).map((x) => x.version)) + 1;
    save.mutate({ name: name.trim(), kind, config, version }, { onSuccess: () => { toast.success("Evaluator saved", `${name} v${version}`); onClose(); } });
  };
  const invalid = editorResult(kind, editor).config === null;
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="New evaluator" description="Deterministic checks or an LLM judge: pairwise against the baseline or against the expected answer (both orders), or a rubric judge scoring each answer on a scale (normalized to 0–1; it can also run on live traffic)." wide>
      <form className="stack" onSubmit={submit}>
        <Field label="Name" hint="lower-case, e.g. f1 or judge"><input className="input" value={name} onChange={(e) => setName(e.target.value)} pattern="[a-z0-9][a-z0-9_\-]{0,62}" required /></Field>
        <Field label="Kind">
          <select className="input" value={kind} onChange={(e) => { const k = e.target.value as typeof kind; setKind(k); setEditor((s) => switchKind(s, k)); }}>
            <option value="deterministic">Deterministic</option>
            <option value="llm_judge">LLM judge</option>
          </select>
        </Field>
        <EvaluatorForm kind={kind} state={editor} onChange={setEditor} />
        <TryEvaluator kind={kind} configText={editor.text} />
        {save.error ? <div className="form-error" role="alert">{messageOf(save.error)}</div> : null}
        {tried && invalid ? <div className="form-error" role="alert">Fix the configuration above before saving.</div> : null}
        <div className="row-end"><Button type="button" onClick={onClose}>Cancel</Button><Button variant="primary" type="submit" busy={save.isPending} disabled={!name.trim()}>Save evaluator</Button></div>
      </form>
    </Dialog>
  );
}
