import { useEffect, useMemo, useState } from "react";
import { Link } from "react-router";
import { Button } from "../../components/ui/Button.tsx";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { experimentSource, HumanVsEvaluators, useCreateQueue, useExperimentQueues, useRubrics, type ScoreConfig } from "../review-queues/index.ts";
import type { Experiment } from "./queries.ts";

/**
 * People next to the evaluators: the experiment's outputs go to a review queue (one variant's outputs
 * to score, or two variants' side by side for a preference), and the queue's final scores show here
 * next to the evaluator scores of the same item and variant.
 */
export function ExperimentReview({ exp, labels }: { exp: Experiment; labels: string[] }) {
  const org = useCurrentOrg();
  const queues = useExperimentQueues(org.org_id, exp.id);
  const [open, setOpen] = useState(false);
  const [selected, setSelected] = useState<string>("");
  const list = queues.data ?? [];
  const queue = list.find((q) => q.id === selected) ?? list[0];
  const mayManage = can(org.role, "review:manage");
  if (!list.length && !mayManage) return null;
  return (
    <section className="card stack" style={{ marginTop: 16 }} data-testid="experiment-review">
      <div className="row">
        <h3 className="section-title grow">People and evaluators</h3>
        {list.length > 1 ? (
          <select className="input" aria-label="Review queue" value={queue?.id ?? ""} onChange={(e) => setSelected(e.target.value)}>
            {list.map((q) => <option key={q.id} value={q.id}>{q.name}</option>)}
          </select>
        ) : null}
        {queue ? <Link className="small" to={`/o/${org.slug}/review-queues/${queue.id}`}>Open “{queue.name}”</Link> : null}
        {mayManage && exp.status === "completed" ? <Button size="sm" onClick={() => setOpen(true)}>Send to review queue</Button> : null}
      </div>
      {queue ? <HumanVsEvaluators key={queue.id} queue={queue} orgId={org.org_id} live /> : (
        <p className="muted small">{exp.status === "completed" ? "No review queue has this experiment's outputs yet. Send them to people to see human scores next to the evaluators'." : "When the experiment has finished, its outputs can go to a review queue."}</p>
      )}
      {mayManage ? <SendDialog open={open} onClose={() => setOpen(false)} exp={exp} labels={labels} onCreated={(id) => setSelected(id)} /> : null}
    </section>
  );
}

function SendDialog({ open, onClose, exp, labels, onCreated }: { open: boolean; onClose(): void; exp: Experiment; labels: string[]; onCreated(id: string): void }) {
  const org = useCurrentOrg();
  const rubrics = useRubrics(org.org_id);
  const create = useCreateQueue(org.org_id);
  const [mode, setMode] = useState<"pairwise" | "single">(labels.length > 1 ? "pairwise" : "single");
  const [a, setA] = useState(exp.baseline);
  const [b, setB] = useState(Math.max(0, labels.findIndex((_, i) => i !== exp.baseline)));
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  const [overlap, setOverlap] = useState(2);
  // The latest version of each rubric; pairwise items are judged with a preference, single ones with the rest.
  const latest = useMemo(() => {
    const seen = new Set<string>();
    return (rubrics.data ?? []).filter((r) => (seen.has(r.name) ? false : (seen.add(r.name), true)));
  }, [rubrics.data]);
  const fits = (r: ScoreConfig) => (mode === "pairwise" ? r.kind === "preference" || r.kind === "text" : r.kind !== "preference");
  useEffect(() => setPicked((p) => p.filter((id) => latest.some((r) => r.id === id && fits(r)))), [mode, latest]); // eslint-disable-line react-hooks/exhaustive-deps
  const variantIds = mode === "pairwise" ? [a, b] : [b];
  const defaultName = mode === "pairwise" ? `${exp.name}: ${labels[a]} vs ${labels[b]}` : `${exp.name}: ${labels[b]}`;

  async function submit() {
    try {
      const q = await create.mutateAsync({
        name: (name.trim() || defaultName).slice(0, 120),
        description: `Outputs of the experiment “${exp.name}”.`,
        source_kind: "experiment",
        source: experimentSource(exp.id, variantIds),
        score_config_ids: picked,
        overlap,
        assignment_mode: "self_claim",
        lease_seconds: 900,
        disagreement_threshold: 0.34,
      });
      toast.success("Sent to a review queue", q.name);
      onCreated(q.id);
      onClose();
    } catch (err) {
      toast.error("Could not create the queue", messageOf(err));
    }
  }

  const variantSelect = (label: string, value: number, set: (v: number) => void) => (
    <Field label={label}>
      <select className="input" value={value} onChange={(e) => set(Number(e.target.value))} aria-label={label}>
        {labels.map((l, i) => <option key={i} value={i}>{l}{i === exp.baseline ? " (baseline)" : ""}</option>)}
      </select>
    </Field>
  );
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Send to review queue" description="A new queue whose items are this experiment's outputs: people score them blind, N per item, and their final scores show next to the evaluators'.">
      <form className="stack" onSubmit={(e) => (e.preventDefault(), void submit())}>
        <Field label="Items">
          <select className="input" aria-label="Items" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)}>
            {labels.length > 1 ? <option value="pairwise">Two variants side by side (pairwise)</option> : null}
            <option value="single">One variant's outputs</option>
          </select>
        </Field>
        <div className="row">
          {mode === "pairwise" ? variantSelect("Variant A", a, setA) : null}
          {variantSelect(mode === "pairwise" ? "Variant B" : "Variant", b, setB)}
        </div>
        {mode === "pairwise" && a === b ? <p className="form-error">Pick two different variants.</p> : null}
        <Field label="Queue name" hint={defaultName}><input className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder={defaultName} /></Field>
        <fieldset className="fieldset">
          <legend>Rubrics</legend>
          {latest.filter(fits).map((r) => (
            <label key={r.id} className="row">
              <input type="checkbox" checked={picked.includes(r.id)} onChange={(e) => setPicked(e.target.checked ? [...picked, r.id] : picked.filter((x) => x !== r.id))} aria-label={`${r.name} v${r.version}`} />
              {r.name} v{r.version} <span className="muted small">{r.kind}</span>
            </label>
          ))}
          {!latest.some(fits) ? <p className="muted small">{mode === "pairwise" ? "No preference rubric yet: create one under Review queues." : "No rubric yet: create one under Review queues."}</p> : null}
        </fieldset>
        <Field label="Reviewers per item"><input className="input" type="number" min={1} max={10} value={overlap} onChange={(e) => setOverlap(Number(e.target.value))} /></Field>
        <div className="row-end">
          <Button type="button" onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" busy={create.isPending} disabled={!picked.length || (mode === "pairwise" && a === b)}>Create queue</Button>
        </div>
      </form>
    </Dialog>
  );
}
