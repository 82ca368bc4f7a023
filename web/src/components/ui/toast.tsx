import { create } from "zustand";
import { Toast as T } from "radix-ui";

type Toast = { id: number; title: string; body?: string; tone: "info" | "error" | "success" };
type ToastState = { toasts: Toast[]; push(t: Omit<Toast, "id">): void; dismiss(id: number): void };

let seq = 0;
export const useToasts = create<ToastState>((set) => ({
  toasts: [],
  push: (t) => set((s) => ({ toasts: [...s.toasts.slice(-4), { ...t, id: ++seq }] })),
  dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
}));

export const toast = {
  error: (title: string, body?: string) => useToasts.getState().push({ title, body, tone: "error" }),
  success: (title: string, body?: string) => useToasts.getState().push({ title, body, tone: "success" }),
  info: (title: string, body?: string) => useToasts.getState().push({ title, body, tone: "info" }),
};

export function Toaster() {
  const { toasts, dismiss } = useToasts();
  return (
    <T.Provider swipeDirection="right" duration={6000}>
      {toasts.map((t) => (
        <T.Root key={t.id} className={`toast toast-${t.tone}`} onOpenChange={(open) => !open && dismiss(t.id)} type={t.tone === "error" ? "foreground" : "background"}>
          <T.Title className="toast-title">{t.title}</T.Title>
          {t.body ? <T.Description className="toast-body">{t.body}</T.Description> : null}
          <T.Close className="toast-close" aria-label="Dismiss">×</T.Close>
        </T.Root>
      ))}
      <T.Viewport className="toast-viewport" />
    </T.Provider>
  );
}
