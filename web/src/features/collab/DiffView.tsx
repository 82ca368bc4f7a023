import { useMemo } from "react";
import { diffWords } from "diff";

/** Word-level difference from the answer the user rated to the current suggestion. */
export function DiffView({ before, after }: { before: string; after: string }) {
  const parts = useMemo(() => diffWords(before, after), [before, after]);
  const added = parts.filter((p) => p.added).reduce((n, p) => n + p.value.length, 0);
  const removed = parts.filter((p) => p.removed).reduce((n, p) => n + p.value.length, 0);
  return (
    <div className="diff" aria-label="Changes from the original answer">
      <div className="muted small diff-stats">
        <span className="diff-add-stat">+{added}</span> <span className="diff-del-stat">−{removed}</span> characters
      </div>
      <p className="prose">
        {parts.map((p, i) =>
          p.added ? <ins key={i}>{p.value}</ins> : p.removed ? <del key={i}>{p.value}</del> : <span key={i}>{p.value}</span>,
        )}
      </p>
    </div>
  );
}
