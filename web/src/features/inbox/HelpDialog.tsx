import { Dialog } from "../../components/ui/Dialog.tsx";
import { SHORTCUTS } from "./keyboard.ts";

export function HelpDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Keyboard shortcuts">
      <table className="table shortcuts">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.action}><td><kbd>{s.keys}</kbd></td><td>{s.description}</td></tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}
