import { useEffect, useState } from "react";
import { Link } from "react-router";
import { Button } from "../../components/ui/Button.tsx";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { EmptyState, ErrorState, Field } from "../../components/ui/Field.tsx";
import { Badge } from "../../components/ui/Badge.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { useMembers } from "../orgs/index.ts";
import {
  experimentSource, useCreateQueue, useCreateRubric, useFinishedExperiments, useQueues, useRubrics, useThroughput, variantLabel, type ExperimentSource, type NewRubric, type ScoreConfig,
} from "./queries.ts";
import { defaultOutputs, ExperimentOutputsFields, outputsValid, outputVariants, RubricChecklist, rubricsForItems, type OutputsChoice } from "./ExperimentOutputs.tsx";

const MODES: Array<[string, string]> = [
  ["self_claim", "Self-claim with a lease"],
  ["round_robin", "Round-robin"],
  ["random_balanced", "Random, balanced"],
  ["manual", "Manual per item"],
];

export default function QueuesPage() {
  const org = useCurrentOrg();
  const queues = useQueues(org.org_id);
  const rubrics = useRubrics(org.org_id);
  const manage = can(org.role, "review:manage");
  const [newQueue, setNewQueue] = useState(false);
  const [newRubric, setNewRubric] = useState(false);
  const byId = new Map((rubrics.data ?? []).map((r) => [r.id, r]));

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Review queues</h1>
          <div className="muted">Several reviewers per item, blind until each submits; agreement and adjudication follow.</div>
        </div>
        <span className="grow" />
        {manage ? (
          <>
            <Button onClick={() => setNewRubric(true)}>New rubric</Button>
            <Button variant="primary" onClick={() => setNewQueue(true)}>New queue</Button>
          </>
        ) : null}
      </header>
      {queues.error ? <ErrorState error={queues.error} retry={() => void queues.refetch()} /> : queues.data?.length === 0 ? (
        <EmptyState title="No review queues yet.">{manage ? "Create a rubric, then a queue over some feedback." : "A curator or admin creates them."}</EmptyState>
      ) : (
        <table className="table" aria-label="Review queues">
          <thead><tr><th>Queue</th><th>Rubrics</th><th>Reviewers per item</th><th>Assignment</th><th>Status</th></tr></thead>
          <tbody>
            {(queues.data ?? []).map((q) => (
              <tr key={q.id}>
                <td><Link to={q.id}>{q.name}</Link><div className="muted small">{q.description}</div></td>
                <td>{q.score_config_ids.map((id) => byId.get(id)).filter(Boolean).map((r) => <span key={r!.id} className="label">{r!.name} v{r!.version}</span>)}</td>
                <td className="num">{q.overlap}</td>
                <td>{MODES.find((m) => m[0] === q.assignment_mode)?.[1]}</td>
                <td><Badge tone={q.status === "open" ? "good" : "neutral"}>{q.status}</Badge></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can(org.role, "review:report") ? <Throughput orgId={org.org_id} /> : null}
      {manage ? (
        <section style={{ marginTop: 24 }}>
          <h2 className="section-title">Rubrics</h2>
          <table className="table" aria-label="Rubrics">
            <thead><tr><th>Name</th><th>Version</th><th>Kind</th><th>Description</th><th /></tr></thead>
            <tbody>
              {(rubrics.data ?? []).map((r) => (
                <tr key={r.id}><td>{r.name}</td><td className="num">v{r.version}</td><td>{r.kind}</td><td className="muted">{r.description}</td><td>{r.frozen_at ? <Badge>frozen</Badge> : null}</td></tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      <NewRubricDialog open={newRubric} onOpenChange={setNewRubric} orgId={org.org_id} />
      <NewQueueDialog open={newQueue} onOpenChange={setNewQueue} orgId={org.org_id} rubrics={rubrics.data ?? []} />
    </div>
  );
}

function NewRubricDialog({ open, onOpenChange, orgId }: { open: boolean; onOpenChange(o: boolean): void; orgId: string }) {
  const create = useCreateRubric(orgId);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<NewRubric["kind"]>("ordinal");
  const [description, setDescription] = useState("");
  const [levels, setLevels] = useState("Wrong, Poor, Partial, Good, Excellent");
  const [range, setRange] = useState({ min: 1, max: 10, step: 1 });
  const [categories, setCategories] = useState("");
  const [multi, setMulti] = useState(false);

  async function submit() {
    const r: NewRubric = { name: name.trim(), kind, description };
    if (kind === "ordinal") r.levels = levels.split(",").map((l, i) => ({ value: i + 1, label: l.trim() })).filter((l) => l.label);
    if (kind === "numeric") Object.assign(r, { min_value: range.min, max_value: range.max, step: range.step });
    if (kind === "categorical") Object.assign(r, { categories: categories.split(",").map((c) => c.trim()).filter(Boolean), multi });
    try {
      const made = await create.mutateAsync(r);
      toast.success(`Rubric ${made.name} v${made.version} created`);
      onOpenChange(false);
    } catch (err) {
      toast.error("Could not create the rubric", messageOf(err));
    }
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="New rubric" description="Giving an existing name makes its next version; a version freezes once a queue uses it.">
      <form className="stack" onSubmit={(e) => (e.preventDefault(), void submit())}>
        <Field label="Name"><input value={name} onChange={(e) => setName(e.target.value)} required /></Field>
        <Field label="Kind">
          <select value={kind} onChange={(e) => setKind(e.target.value as NewRubric["kind"])}>
            {["ordinal", "numeric", "categorical", "boolean", "preference", "text"].map((k) => <option key={k}>{k}</option>)}
          </select>
        </Field>
        {kind === "ordinal" ? <Field label="Levels, lowest first (comma-separated)"><input value={levels} onChange={(e) => setLevels(e.target.value)} /></Field> : null}
        {kind === "numeric" ? (
          <div className="row">
            {(["min", "max", "step"] as const).map((k) => (
              <Field key={k} label={k}><input type="number" value={range[k]} onChange={(e) => setRange({ ...range, [k]: Number(e.target.value) })} /></Field>
            ))}
          </div>
        ) : null}
        {kind === "categorical" ? (
          <>
            <Field label="Categories (comma-separated)"><input value={categories} onChange={(e) => setCategories(e.target.value)} /></Field>
            <label className="row"><input type="checkbox" checked={multi} onChange={(e) => setMulti(e.target.checked)} /> Several may be chosen</label>
          </>
        ) : null}
        <Field label="Description"><textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={3} /></Field>
        <div className="row-end"><Button variant="primary" type="submit" busy={create.isPending}>Create rubric</Button></div>
      </form>
    </Dialog>
  );
}

function NewQueueDialog({ open, onOpenChange, orgId, rubrics }: { open: boolean; onOpenChange(o: boolean): void; orgId: string; rubrics: ScoreConfig[] }) {
  const create = useCreateQueue(orgId);
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  const [overlap, setOverlap] = useState(2);
  const [mode, setMode] = useState("self_claim");
  const [sourceKind, setSourceKind] = useState("inbox_filter");
  const [ratingMax, setRatingMax] = useState(2);
  const [jobId, setJobId] = useState("");
  const [limit, setLimit] = useState(50);
  const experiments = useFinishedExperiments(orgId, open && sourceKind === "experiment");
  const [exp, setExp] = useState<ExperimentChoice | null>(null);
  const chosen = experiments.data?.find((e) => e.id === exp?.id) ?? null;
  // The newest finished experiment by default, its baseline as A against the first other variant as B.
  useEffect(() => {
    if (!exp && experiments.data?.[0]) setExp(experimentDefaults(experiments.data[0]));
  }, [exp, experiments.data]);
  const experimentInvalid = sourceKind === "experiment" && (!chosen || !exp || !outputsValid(exp));
  const pairwise = sourceKind === "ab_eval" || (sourceKind === "experiment" && !!exp?.pairwise);
  // A rubric ticked for another source may not fit this one's items (a preference on single items).
  const chosenRubrics = picked.filter((id) => rubricsForItems(rubrics, pairwise).some((r) => r.id === id));

  async function submit() {
    const source: Record<string, unknown> =
      sourceKind === "inbox_filter" ? { rating_max: ratingMax, limit }
      : sourceKind === "ab_eval" ? { job_id: jobId, limit }
      : sourceKind === "cases" ? { status: "pending", limit }
      : sourceKind === "experiment" && exp ? experimentSource(exp.id, outputVariants(exp), limit)
      : { limit };
    try {
      await create.mutateAsync({
        name: name.trim(),
        description: sourceKind === "experiment" && chosen ? `Outputs of the experiment “${chosen.name}”.` : "",
        source_kind: sourceKind, source, score_config_ids: chosenRubrics, overlap, assignment_mode: mode, lease_seconds: 900, disagreement_threshold: 0.34,
      });
      toast.success("Queue created");
      onOpenChange(false);
    } catch (err) {
      toast.error("Could not create the queue", messageOf(err));
    }
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="New review queue" wide>
      <form className="stack" onSubmit={(e) => (e.preventDefault(), void submit())}>
        <Field label="Name"><input value={name} onChange={(e) => setName(e.target.value)} required aria-label="Name" /></Field>
        <Field label="Items from">
          <select value={sourceKind} aria-label="Items from" onChange={(e) => setSourceKind(e.target.value)}>
            <option value="inbox_filter">Feedback matching a filter</option>
            <option value="cases">Pending improvement cases</option>
            <option value="ai_requests">LLM calls (ai_requests)</option>
            <option value="ab_eval">An A/B evaluation's outputs (pairwise)</option>
            <option value="experiment">An experiment's outputs (one variant, or two side by side)</option>
          </select>
        </Field>
        {sourceKind === "inbox_filter" ? <Field label="Rated at most"><input type="number" min={1} max={5} value={ratingMax} onChange={(e) => setRatingMax(Number(e.target.value))} aria-label="Rated at most" /></Field> : null}
        {sourceKind === "ab_eval" ? <Field label="A/B job id"><input value={jobId} onChange={(e) => setJobId(e.target.value)} aria-label="A/B job id" /></Field> : null}
        {sourceKind === "experiment" ? <ExperimentPicker experiments={experiments.data} loading={experiments.isLoading} value={exp} onChange={setExp} /> : null}
        <Field label="At most this many items"><input type="number" min={1} max={5000} value={limit} onChange={(e) => setLimit(Number(e.target.value))} aria-label="At most this many items" /></Field>
        <RubricChecklist rubrics={rubrics} pairwise={pairwise} picked={picked} onChange={setPicked} />
        <div className="row">
          <Field label="Reviewers per item"><input type="number" min={1} max={10} value={overlap} onChange={(e) => setOverlap(Number(e.target.value))} aria-label="Reviewers per item" /></Field>
          <Field label="Assignment">
            <select value={mode} onChange={(e) => setMode(e.target.value)} aria-label="Assignment">{MODES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}</select>
          </Field>
        </div>
        <div className="row-end"><Button variant="primary" type="submit" busy={create.isPending} disabled={!chosenRubrics.length || experimentInvalid}>Create queue</Button></div>
      </form>
    </Dialog>
  );
}

type ExperimentChoice = OutputsChoice & { id: string };

function experimentDefaults(e: ExperimentSource): ExperimentChoice {
  return { id: e.id, ...defaultOutputs(e.variants.length, e.baseline) };
}

/** Which finished experiment, and one variant's outputs or two variants' side by side (A and B). */
function ExperimentPicker({ experiments, loading, value, onChange }: { experiments: ExperimentSource[] | undefined; loading: boolean; value: ExperimentChoice | null; onChange(v: ExperimentChoice): void }) {
  if (loading) return <div className="muted small">Loading experiments…</div>;
  if (!experiments?.length) return <p className="muted small">No finished experiment yet: run one under Experiments, then send its outputs here.</p>;
  const e = experiments.find((x) => x.id === value?.id) ?? experiments[0]!;
  const v = value ?? experimentDefaults(e);
  return (
    <>
      <Field label="Experiment">
        <select value={e.id} onChange={(ev) => onChange(experimentDefaults(experiments.find((x) => x.id === ev.target.value)!))} aria-label="Experiment">
          {experiments.map((x) => <option key={x.id} value={x.id}>{x.name} · {new Date(x.created_at).toLocaleDateString()}</option>)}
        </select>
      </Field>
      <ExperimentOutputsFields labels={e.variants.map((_, i) => variantLabel(e, i))} baseline={e.baseline} value={v} onChange={(o) => onChange({ ...o, id: e.id })} />
    </>
  );
}

/** Reviewer throughput: items scored per reviewer over the last 14 days, per day. */
function Throughput({ orgId }: { orgId: string }) {
  const days = 14;
  const rows = useThroughput(orgId, days, true);
  const members = useMembers(orgId);
  if (!rows.data?.length) return null;
  const dayList = [...new Set(rows.data.map((r) => r.day))].sort();
  const reviewers = [...new Set(rows.data.map((r) => r.reviewer_id))];
  const cell = new Map(rows.data.map((r) => [`${r.day}/${r.reviewer_id}`, r.items]));
  return (
    <section style={{ marginTop: 24 }}>
      <h2 className="section-title">Reviewer throughput (items scored per day, last {days} days)</h2>
      <table className="table" aria-label="Reviewer throughput">
        <thead><tr><th>Reviewer</th>{dayList.map((d) => <th key={d} className="num">{d.slice(5)}</th>)}<th className="num">Total</th></tr></thead>
        <tbody>
          {reviewers.map((id) => {
            const name = members.byId.get(id)?.name ?? "Unknown member";
            return (
              <tr key={id} data-testid={`throughput-${name}`}>
                <td>{name}</td>
                {dayList.map((d) => <td key={d} className="num">{cell.get(`${d}/${id}`) ?? ""}</td>)}
                <td className="num" data-testid="throughput-total">{dayList.reduce((s, d) => s + (cell.get(`${d}/${id}`) ?? 0), 0)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
