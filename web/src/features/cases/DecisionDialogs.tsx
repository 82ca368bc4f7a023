import { useState, type FormEvent } from "react";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";

export function ApproveDialog({ open, onClose, onConfirm, busy, error, defaultTags }: { open: boolean; onClose(): void; onConfirm(tags: string[]): void; busy: boolean; error: string | null; defaultTags: string[] }) {
  const [tags, setTags] = useState(defaultTags.join(", "));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onConfirm(tags.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean));
  };
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Approve this answer" description="The current text becomes a training example. A decision cannot be changed.">
      <form className="stack" onSubmit={submit}>
        <Field label="Tags for the training example" hint="Comma separated; the feedback's labels are added too.">
          <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="billing, refunds" />
        </Field>
        {error ? <p className="form-error" role="alert">{error}</p> : null}
        <div className="row-end">
          <Button type="button" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy}>Approve</Button>
        </div>
      </form>
    </Dialog>
  );
}

export function RejectDialog({ open, onClose, onConfirm, busy, error }: { open: boolean; onClose(): void; onConfirm(reason: string): void; busy: boolean; error: string | null }) {
  const [reason, setReason] = useState("");
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Reject this case" description="Say why, so the team learns from it. A decision cannot be changed.">
      <form className="stack" onSubmit={(e) => { e.preventDefault(); onConfirm(reason.trim()); }}>
        <Field label="Reason"><textarea required minLength={3} maxLength={2000} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} autoFocus /></Field>
        {error ? <p className="form-error" role="alert">{error}</p> : null}
        <div className="row-end">
          <Button type="button" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="danger" busy={busy} disabled={reason.trim().length < 3}>Reject</Button>
        </div>
      </form>
    </Dialog>
  );
}
