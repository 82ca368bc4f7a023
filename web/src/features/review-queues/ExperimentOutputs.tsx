import { useMemo } from "react";
import { Field } from "../../components/ui/Field.tsx";
import type { ScoreConfig } from "./queries.ts";

/**
 * The parts of a new queue over an experiment's outputs that both ways of making one share: the new-queue
 * dialog (QueuesPage) and "Send to review queue" on the experiment page (datasets/ExperimentReview).
 */

/** One variant's outputs (b), or two variants' side by side (a and b). */
export type OutputsChoice = { pairwise: boolean; a: number; b: number };

/** The baseline as A against the first other variant as B; pairwise when there are two to compare. */
export function defaultOutputs(variants: number, baseline: number): OutputsChoice {
  const other = Array.from({ length: variants }, (_, i) => i).find((i) => i !== baseline);
  return { pairwise: variants > 1, a: baseline, b: other ?? baseline };
}

export const outputsValid = (v: OutputsChoice) => !v.pairwise || v.a !== v.b;

/** The variants whose outputs become items, in the order the queue's source takes them. */
export const outputVariants = (v: OutputsChoice): number[] => (v.pairwise ? [v.a, v.b] : [v.b]);

export function ExperimentOutputsFields({ labels, baseline, value, onChange }: { labels: string[]; baseline: number; value: OutputsChoice; onChange(v: OutputsChoice): void }) {
  const variantSelect = (label: string, current: number, set: (i: number) => void) => (
    <Field label={label}>
      <select value={current} onChange={(ev) => set(Number(ev.target.value))} aria-label={label}>
        {labels.map((l, i) => <option key={i} value={i}>{l}{i === baseline ? " (baseline)" : ""}</option>)}
      </select>
    </Field>
  );
  return (
    <>
      <Field label="Outputs">
        <select value={value.pairwise ? "pairwise" : "single"} onChange={(ev) => onChange({ ...value, pairwise: ev.target.value === "pairwise" })} aria-label="Outputs">
          {labels.length > 1 ? <option value="pairwise">Two variants side by side (pairwise)</option> : null}
          <option value="single">One variant's outputs</option>
        </select>
      </Field>
      <div className="row">
        {value.pairwise ? variantSelect("Variant A", value.a, (a) => onChange({ ...value, a })) : null}
        {variantSelect(value.pairwise ? "Variant B" : "Variant", value.b, (b) => onChange({ ...value, b }))}
      </div>
      {outputsValid(value) ? null : <p className="form-error">Pick two different variants.</p>}
    </>
  );
}

/**
 * The rubrics a queue's items can be scored with. Pairwise items are answered with a preference (A, B or
 * a tie), so those come first, and other rubrics apply to the pair as a whole; single items have no pair
 * to prefer, so preference rubrics are left out. Every version is offered (newest first, as listed): a
 * team may keep scoring against the version its earlier queues used.
 */
export function rubricsForItems(rubrics: ScoreConfig[], pairwise: boolean): ScoreConfig[] {
  return pairwise ? [...rubrics].sort((x, y) => Number(y.kind === "preference") - Number(x.kind === "preference")) : rubrics.filter((r) => r.kind !== "preference");
}

export function RubricChecklist({ rubrics, pairwise, picked, onChange }: { rubrics: ScoreConfig[]; pairwise: boolean; picked: string[]; onChange(ids: string[]): void }) {
  const listed = useMemo(() => rubricsForItems(rubrics, pairwise), [rubrics, pairwise]);
  return (
    <fieldset className="fieldset">
      <legend>Rubrics</legend>
      {pairwise ? <p className="muted small">Pairwise items are answered with a preference rubric (A, B or a tie); other rubrics apply to the pair as a whole.</p> : null}
      {listed.map((r) => (
        <label key={r.id} className="row">
          <input type="checkbox" checked={picked.includes(r.id)} onChange={(e) => onChange(e.target.checked ? [...picked, r.id] : picked.filter((x) => x !== r.id))} aria-label={`${r.name} v${r.version}`} />
          {r.name} v{r.version} <span className="muted small">{r.kind}</span>
        </label>
      ))}
      {listed.length ? null : <p className="muted small">No rubric for these items yet: create one under Review queues.</p>}
    </fieldset>
  );
}
