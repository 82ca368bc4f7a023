import { useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { addFailureMessage, newRowId, useAddFeedback } from "./add-feedback.ts";
import { EMPTY_DRAFT, FEEDBACK_LIMITS, FIELD_ORDER, parseDraft, splitLabels, toggleLabel, type DraftField, type FeedbackDraft, type FieldErrors } from "./feedback-form.ts";
import type { FeedbackRow } from "./types.ts";

type Props = { open: boolean; orgId: string; knownLabels: string[]; models: string[]; onClose(): void; onAdded(row: FeedbackRow): void };

const RATING_HINTS = ["", "very bad", "bad", "so-so", "good", "very good"];
const limit = (n: number) => `up to ${n.toLocaleString("en-US")} characters`;

/**
 * Adds one feedback item by hand. The draft lives as long as the inbox does, not as long as the
 * dialog: closing it by mistake, or a failed save, loses nothing; only a stored row clears it.
 */
export function NewFeedbackDialog({ open, orgId, knownLabels, models, onClose, onAdded }: Props) {
  const [draft, setDraft] = useState<FeedbackDraft>(EMPTY_DRAFT);
  const [errors, setErrors] = useState<FieldErrors>({});
  // One id per content: a retry of the same text reuses it (see useAddFeedback); an edit is new content.
  const [rowId, setRowId] = useState(newRowId);
  const add = useAddFeedback(orgId);
  const form = useRef<HTMLFormElement>(null);

  const set = (field: DraftField) => (value: string) => {
    setDraft((d) => ({ ...d, [field]: value }));
    setRowId(newRowId());
    if (errors[field]) setErrors(({ [field]: _, ...rest }) => rest);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (add.isPending) return;
    const parsed = parseDraft(draft);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      const first = FIELD_ORDER.find((f) => parsed.errors[f]);
      form.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    setErrors({});
    add.mutate(
      { id: rowId, value: parsed.value },
      {
        onSuccess: (row) => {
          setDraft(EMPTY_DRAFT);
          setRowId(newRowId());
          onAdded(row);
          onClose();
        },
        onError: (err) => toast.error("Could not add the feedback", addFailureMessage(err)),
      },
    );
  };

  // Cmd/Ctrl+Enter saves from any field, as in the other editors.
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
      e.preventDefault();
      form.current?.requestSubmit();
    }
  };

  const chosenLabels = splitLabels(draft.labels);
  const invalid = (f: DraftField) => (errors[f] ? true : undefined);

  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="New feedback" description="Rate an LLM answer by hand. It appears in everyone's inbox at once." wide>
      <form ref={form} className="stack new-feedback" onSubmit={submit} onKeyDown={onKeyDown} noValidate aria-busy={add.isPending || undefined}>
        {/* Read-only while saving: a success clears the draft, which must not take later typing with it. */}
        <fieldset className="fieldset stack" disabled={add.isPending}>
          <Field label="Question" hint={limit(FEEDBACK_LIMITS.query)} error={errors.query}>
            <textarea name="query" rows={3} value={draft.query} onChange={(e) => set("query")(e.target.value)} aria-invalid={invalid("query")} placeholder="What the user asked" />
          </Field>
          <Field label="Answer being rated" hint={`The LLM's answer, as it was given · ${limit(FEEDBACK_LIMITS.response)}`} error={errors.response}>
            <textarea name="response" rows={6} value={draft.response} onChange={(e) => set("response")(e.target.value)} aria-invalid={invalid("response")} />
          </Field>
          <fieldset className="fieldset field" aria-invalid={invalid("rating")}>
            <legend className="field-label">Rating</legend>
            <div className="rating-picker" role="radiogroup" aria-label="Rating">
              {[1, 2, 3, 4, 5].map((r) => (
                <label key={r} className={`rating-option rating-${r}`} title={RATING_HINTS[r]}>
                  <input type="radio" name="rating" value={String(r)} checked={draft.rating === String(r)} onChange={(e) => set("rating")(e.target.value)} aria-label={`${r} – ${RATING_HINTS[r]}`} />
                  <span aria-hidden>{r}</span>
                </label>
              ))}
            </div>
            {errors.rating ? <span className="field-error" role="alert">{errors.rating}</span> : null}
          </fieldset>
          <Field label="Comment (optional)" hint={`What the user said about the answer · ${limit(FEEDBACK_LIMITS.comment)}`} error={errors.comment}>
            <textarea name="comment" rows={2} value={draft.comment} onChange={(e) => set("comment")(e.target.value)} aria-invalid={invalid("comment")} />
          </Field>
          <div className="new-feedback-row">
            <Field label="Labels (optional)" hint={`Comma-separated, e.g. billing, refund · at most ${FEEDBACK_LIMITS.labels}`} error={errors.labels}>
              <input name="labels" value={draft.labels} onChange={(e) => set("labels")(e.target.value)} aria-invalid={invalid("labels")} autoComplete="off" />
            </Field>
            <Field label="Model (optional)" hint="The model that answered" error={errors.model}>
              <input name="model" list="new-feedback-models" value={draft.model} onChange={(e) => set("model")(e.target.value)} aria-invalid={invalid("model")} autoComplete="off" />
            </Field>
          </div>
          {knownLabels.length ? (
            <div className="chips-wrap" role="group" aria-label="Labels used in this organization">
              {knownLabels.slice(0, 12).map((l) => (
                <button type="button" key={l} className="chip" aria-pressed={chosenLabels.includes(l)} onClick={() => set("labels")(toggleLabel(draft.labels, l))}>#{l}</button>
              ))}
            </div>
          ) : null}
          <datalist id="new-feedback-models">{models.map((m) => <option key={m} value={m} />)}</datalist>
        </fieldset>
        <div className="row-end">
          <span className="muted small grow">Closing keeps your draft.</span>
          <Button type="button" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={add.isPending}>Add feedback</Button>
        </div>
      </form>
    </Dialog>
  );
}
