import { useState } from "react";
import { Link } from "react-router";
import { Button } from "../../components/ui/Button.tsx";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import {
  defaultOutputs, experimentSource, ExperimentOutputsFields, HumanVsEvaluators, outputsValid, outputVariants, RubricChecklist, rubricsForItems, useCreateQueue, useExperimentQueues, useRubrics, type OutputsChoice,
} from "../review-queues/index.ts";
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
  const [outputs, setOutputs] = useState<OutputsChoice>(() => defaultOutputs(labels.length, exp.baseline));
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  const [overlap, setOverlap] = useState(2);
  const chosenRubrics = picked.filter((id) => rubricsForItems(rubrics.data ?? [], outputs.pairwise).some((r) => r.id === id));
  const defaultName = outputs.pairwise ? `${exp.name}: ${labels[outputs.a]} vs ${labels[outputs.b]}` : `${exp.name}: ${labels[outputs.b]}`;

  async function submit() {
    try {
      const q = await create.mutateAsync({
        name: (name.trim() || defaultName).slice(0, 120),
        description: `Outputs of the experiment “${exp.name}”.`,
        source_kind: "experiment",
        source: experimentSource(exp.id, outputVariants(outputs)),
        score_config_ids: chosenRubrics,
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

  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Send to review queue" description="A new queue whose items are this experiment's outputs: people score them blind, N per item, and their final scores show next to the evaluators'.">
      <form className="stack" onSubmit={(e) => (e.preventDefault(), void submit())}>
        <ExperimentOutputsFields labels={labels} baseline={exp.baseline} value={outputs} onChange={setOutputs} />
        <Field label="Queue name" hint={defaultName}><input className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder={defaultName} /></Field>
        <RubricChecklist rubrics={rubrics.data ?? []} pairwise={outputs.pairwise} picked={picked} onChange={setPicked} />
        <Field label="Reviewers per item"><input className="input" type="number" min={1} max={10} value={overlap} onChange={(e) => setOverlap(Number(e.target.value))} /></Field>
        <div className="row-end">
          <Button type="button" onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" busy={create.isPending} disabled={!chosenRubrics.length || !outputsValid(outputs)}>Create queue</Button>
        </div>
      </form>
    </Dialog>
  );
}
