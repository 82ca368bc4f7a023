import { useEffect, useRef } from "react";

export type InboxAction = "next" | "prev" | "open" | "createCase" | "label" | "dismiss" | "select" | "claim" | "help" | "escape" | "search" | "newFeedback";

export const SHORTCUTS: Array<{ keys: string; action: InboxAction; description: string }> = [
  { keys: "j / ↓", action: "next", description: "Next item" },
  { keys: "k / ↑", action: "prev", description: "Previous item" },
  { keys: "Enter", action: "open", description: "Open the item" },
  { keys: "x", action: "select", description: "Select / unselect the item" },
  { keys: "c", action: "createCase", description: "Create an improvement case" },
  { keys: "l", action: "label", description: "Label the selection (or the item)" },
  { keys: "d", action: "dismiss", description: "Dismiss the selection (or the item)" },
  { keys: "m", action: "claim", description: "Claim / release the selection (or the item)" },
  { keys: "n", action: "newFeedback", description: "Add feedback by hand" },
  { keys: "/", action: "search", description: "Search" },
  { keys: "Esc", action: "escape", description: "Close the item, then clear the selection" },
  { keys: "?", action: "help", description: "Show these shortcuts" },
];

/** Maps a key press to an inbox action; null when the key is not a shortcut or the user is typing. */
export function keyToAction(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "target">): InboxAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const t = e.target as HTMLElement | null;
  const typing = !!t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  if (typing) return e.key === "Escape" ? "escape" : null;
  // A dialog owns the keyboard while open.
  if (t?.closest?.("[role=dialog],[role=menu]")) return null;
  switch (e.key) {
    case "j": case "ArrowDown": return "next";
    case "k": case "ArrowUp": return "prev";
    case "Enter": return "open";
    case "c": return "createCase";
    case "l": return "label";
    case "d": return "dismiss";
    case "x": return "select";
    case "m": return "claim";
    case "n": return "newFeedback";
    case "/": return "search";
    case "?": return "help";
    case "Escape": return "escape";
    default: return null;
  }
}

export function useInboxKeyboard(handle: (action: InboxAction) => void, enabled = true) {
  const ref = useRef(handle);
  ref.current = handle;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      const action = keyToAction(e);
      if (!action) return;
      // Buttons and links keep their own Enter.
      if (action === "open" && (e.target as HTMLElement)?.closest?.("button,a")) return;
      e.preventDefault();
      ref.current(action);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}
