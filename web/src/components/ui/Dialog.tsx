import type { ReactNode } from "react";
import { Dialog as D } from "radix-ui";

type Props = { open: boolean; onOpenChange(open: boolean): void; title: string; description?: string; children: ReactNode; wide?: boolean };

/** Modal dialog (Radix: focus trap, Escape, aria wiring). */
export function Dialog({ open, onOpenChange, title, description, children, wide }: Props) {
  return (
    <D.Root open={open} onOpenChange={onOpenChange}>
      <D.Portal>
        <D.Overlay className="dialog-overlay" />
        <D.Content className={`dialog ${wide ? "dialog-wide" : ""}`} aria-describedby={description ? undefined : undefined}>
          <D.Title className="dialog-title">{title}</D.Title>
          {description ? <D.Description className="muted">{description}</D.Description> : <D.Description className="sr-only">{title}</D.Description>}
          {children}
          <D.Close className="dialog-close" aria-label="Close">×</D.Close>
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}
