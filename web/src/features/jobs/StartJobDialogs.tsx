import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { AppError, messageOf } from "../../lib/errors.ts";
import { useTagCounts } from "../training/index.ts";
import { useStartJob, type Job, type Model } from "./queries.ts";

const BASE_MODELS = ["offline-strong-1", "offline-fast-1"];

/** After a start: close the dialog and go to the new job, where its progress streams. */
function useOpenJob(orgSlug: string, onClose: () => void) {
  const navigate = useNavigate();
  return (job: Job) => {
    onClose();
    navigate(`/o/${orgSlug}/jobs/${job.id}`);
  };
}

function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  const fields = error instanceof AppError && error.fields ? Object.entries(error.fields).map(([k, v]) => `${k}: ${v.join(", ")}`) : [];
  return <div className="form-error" role="alert">{messageOf(error)}{fields.length ? <ul>{fields.map((f) => <li key={f}>{f}</li>)}</ul> : null}</div>;
}

export function FineTuneDialog({ open, onClose, orgId, orgSlug }: { open: boolean; onClose(): void; orgId: string; orgSlug: string }) {
  const counts = useTagCounts(orgId);
  const opened = useOpenJob(orgSlug, onClose);
  const [name, setName] = useState("");
  const [baseModel, setBaseModel] = useState(BASE_MODELS[0]!);
  const [tags, setTags] = useState<string[]>([]);
  const [minSamples, setMinSamples] = useState(10);
  const start = useStartJob();
  const selectedCount = tags.length ? null : counts.data?.total;

  function submit(e: FormEvent) {
    e.preventDefault();
    start.mutate({ kind: "fine_tune", orgId, name: name.trim(), config: { baseModel, tags, minSamples } }, { onSuccess: ({ job }) => opened(job) });
  }

  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Start a fine-tune" description="Trains on approved training examples; the job runs on a worker and its progress streams here." wide>
      <form className="stack" onSubmit={submit}>
        <Field label="Name"><input required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} placeholder="support-answers-v3" autoFocus /></Field>
        <Field label="Base model">
          <select value={baseModel} onChange={(e) => setBaseModel(e.target.value)}>{BASE_MODELS.map((m) => <option key={m}>{m}</option>)}</select>
        </Field>
        {/* A group of toggle buttons is not one labelable control, so it is a fieldset, not a <label>. */}
        <fieldset className="field fieldset">
          <legend className="field-label">Train on examples tagged</legend>
          <div className="tag-cloud">
            {counts.data?.tags.map((t) => (
              <button type="button" key={t.tag} className="chip" aria-pressed={tags.includes(t.tag)} onClick={() => setTags((s) => (s.includes(t.tag) ? s.filter((x) => x !== t.tag) : [...s, t.tag]))}>
                #{t.tag} · {t.count} example{t.count === 1 ? "" : "s"}
              </button>
            ))}
            {counts.data && !counts.data.tags.length ? <span className="muted small">No tagged examples yet.</span> : null}
          </div>
          <span className="field-hint">{tags.length ? "Examples with any of the selected tags." : `No tag selected: all ${selectedCount ?? "…"} examples.`}</span>
        </fieldset>
        <Field label="Minimum examples"><input type="number" min={2} max={100000} value={minSamples} onChange={(e) => setMinSamples(Number(e.target.value))} /></Field>
        <FormError error={start.error} />
        <div className="row-end">
          <Button type="button" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={start.isPending}>Start fine-tune</Button>
        </div>
      </form>
    </Dialog>
  );
}

export function EvaluationDialog({ open, onClose, orgId, orgSlug, models }: { open: boolean; onClose(): void; orgId: string; orgSlug: string; models: Model[] }) {
  const opened = useOpenJob(orgSlug, onClose);
  const counts = useTagCounts(orgId);
  const choices = [...BASE_MODELS, ...models.map((m) => `offline-ft:${m.id}`)];
  const labelOf = (v: string) => models.find((m) => `offline-ft:${m.id}` === v)?.name ?? v;
  const [name, setName] = useState("");
  const [a, setA] = useState(choices[0]!);
  const [b, setB] = useState(choices[choices.length > 1 ? choices.length - 1 : 0]!);
  const [tags, setTags] = useState<string[]>([]);
  const [limit, setLimit] = useState(50);
  const [promote, setPromote] = useState(false);
  const start = useStartJob();

  function submit(e: FormEvent) {
    e.preventDefault();
    start.mutate(
      {
        kind: "ab_eval", orgId, name: name.trim(),
        config: {
          variantA: { model: a, label: labelOf(a) }, variantB: { model: b, label: labelOf(b) },
          evalSet: { source: "training_examples", tags, limit }, promote,
        },
      },
      { onSuccess: ({ job }) => opened(job) },
    );
  }

  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Start an A/B evaluation" description="Both variants answer the same questions; a judge compares them and the gate tests whether B is really better." wide>
      <form className="stack" onSubmit={submit}>
        <Field label="Name"><input required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} autoFocus /></Field>
        <div className="grid-2">
          <Field label="Variant A (current)"><select value={a} onChange={(e) => setA(e.target.value)}>{choices.map((c) => <option key={c} value={c}>{labelOf(c)}</option>)}</select></Field>
          <Field label="Variant B (candidate)"><select value={b} onChange={(e) => setB(e.target.value)}>{choices.map((c) => <option key={c} value={c}>{labelOf(c)}</option>)}</select></Field>
        </div>
        <fieldset className="field fieldset">
          <legend className="field-label">Questions from training examples tagged</legend>
          <div className="tag-cloud">
            {counts.data?.tags.map((t) => (
              <button type="button" key={t.tag} className="chip" aria-pressed={tags.includes(t.tag)} onClick={() => setTags((s) => (s.includes(t.tag) ? s.filter((x) => x !== t.tag) : [...s, t.tag]))}>#{t.tag} · {t.count}</button>
            ))}
          </div>
          <span className="field-hint">None selected: all examples.</span>
        </fieldset>
        <Field label="Questions (at most)"><input type="number" min={1} max={5000} value={limit} onChange={(e) => setLimit(Number(e.target.value))} /></Field>
        <label className="row"><input type="checkbox" checked={promote} onChange={(e) => setPromote(e.target.checked)} /> Make B live if it passes the gate</label>
        <FormError error={start.error} />
        <div className="row-end">
          <Button type="button" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={start.isPending}>Start evaluation</Button>
        </div>
      </form>
    </Dialog>
  );
}
