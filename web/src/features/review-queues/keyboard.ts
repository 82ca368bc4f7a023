import type { Rubric } from "@review/shared/review/report";

export type WorkAction = { type: "next" } | { type: "prev" } | { type: "submit" } | { type: "digit"; digit: number } | { type: "help" };

export const WORK_SHORTCUTS: Array<{ keys: string; description: string }> = [
  { keys: "1 – 9", description: "Score the focused rubric (the nth option; numbers are the value)" },
  { keys: "j / k", description: "Next / previous rubric" },
  { keys: "Enter", description: "Submit this item's scores and take the next" },
  { keys: "?", description: "Show these shortcuts" },
];

/** A key press in the work view as an action; null while typing (a free-text rubric) or in a dialog. */
export function workKey(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "target">): WorkAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return null;
  if (t?.closest?.("[role=dialog],[role=menu]")) return null;
  if (/^[0-9]$/.test(e.key)) return { type: "digit", digit: Number(e.key) };
  switch (e.key) {
    case "j": case "ArrowDown": return { type: "next" };
    case "k": case "ArrowUp": return { type: "prev" };
    case "Enter": return { type: "submit" };
    case "?": return { type: "help" };
    default: return null;
  }
}

/** The options a rubric offers as buttons, in the order number keys pick them. */
export function optionsOf(r: Rubric): Array<{ value: unknown; label: string }> {
  switch (r.kind) {
    case "ordinal":
      return (Array.isArray(r.levels) ? (r.levels as Array<{ value: number; label: string }>) : []).map((l) => ({ value: l.value, label: `${l.value} · ${l.label}` }));
    case "boolean":
      return [{ value: true, label: "Yes" }, { value: false, label: "No" }];
    case "preference":
      return [{ value: "A", label: "A is better" }, { value: "B", label: "B is better" }, { value: "tie", label: "Tie" }];
    case "categorical":
      return (r.categories ?? []).map((c) => ({ value: c, label: c }));
    case "numeric": {
      const min = Number(r.min_value ?? 0);
      const max = Number(r.max_value ?? 0);
      const step = Number(r.step ?? 1) || 1;
      const n = Math.floor((max - min) / step) + 1;
      return n <= 11 ? Array.from({ length: n }, (_, i) => ({ value: min + i * step, label: String(min + i * step) })) : [];
    }
    default:
      return [];
  }
}

/**
 * The value a digit gives a rubric: numbers are taken literally when the rubric's range has that number
 * (a 0–10 scale), otherwise the digit picks the nth option; multi-choice toggles the nth category.
 */
export function valueForDigit(r: Rubric, digit: number, current: unknown): unknown {
  const opts = optionsOf(r);
  if (r.kind === "numeric" || r.kind === "ordinal") {
    const literal = opts.find((o) => o.value === digit);
    if (literal) return literal.value;
  }
  const picked = opts[digit - 1];
  if (!picked) return undefined;
  if (r.kind === "categorical" && r.multi) {
    const set = new Set(Array.isArray(current) ? (current as string[]) : []);
    if (set.has(picked.value as string)) set.delete(picked.value as string);
    else set.add(picked.value as string);
    return [...set].sort();
  }
  return picked.value;
}
