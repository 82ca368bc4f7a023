import type { ReactNode } from "react";

export function Badge({ tone = "neutral", children, title }: { tone?: "neutral" | "good" | "bad" | "warn" | "info"; children: ReactNode; title?: string }) {
  return <span className={`badge badge-${tone}`} title={title}>{children}</span>;
}
