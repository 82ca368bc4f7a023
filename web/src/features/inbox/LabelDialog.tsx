import { useState, type FormEvent } from "react";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { Button } from "../../components/ui/Button.tsx";

type Props = { open: boolean; count: number; known: string[]; onClose(): void; onApply(label: string): void };

export function LabelDialog({ open, count, known, onClose, onApply }: Props) {
  const [label, setLabel] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!label.trim()) return;
    onApply(label.trim().toLowerCase());
    setLabel("");
    onClose();
  };
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title={`Label ${count} item${count === 1 ? "" : "s"}`}>
      <form className="stack" onSubmit={submit}>
        <input autoFocus aria-label="Label" list="label-suggestions" placeholder="e.g. billing" maxLength={40} value={label} onChange={(e) => setLabel(e.target.value)} />
        <datalist id="label-suggestions">{known.map((l) => <option key={l} value={l} />)}</datalist>
        <div className="chips-wrap">
          {known.slice(0, 12).map((l) => (
            <button type="button" key={l} className="chip" onClick={() => { onApply(l); onClose(); }}>#{l}</button>
          ))}
        </div>
        <div className="row-end">
          <Button type="button" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary">Apply label</Button>
        </div>
      </form>
    </Dialog>
  );
}
