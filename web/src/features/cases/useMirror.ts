import { useEffect, useRef } from "react";
import type * as Y from "yjs";
import { toast } from "../../components/ui/toast.tsx";
import { messageOf } from "../../lib/errors.ts";
import { mirrorAnswer } from "./queries.ts";

/**
 * Keeps improvement_cases.suggested_response equal to the co-edited text (debounced), so the table
 * stays current for lists, boards and anything that does not read the document. Only editors mirror,
 * and only changes that did not come from a peer (the peer mirrors its own).
 */
export function useMirror(caseId: string, ytext: Y.Text | undefined, remoteOrigin: unknown, stored: string, enabled: boolean, delayMs = 800) {
  const last = useRef(stored);
  last.current = stored;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const failedOnce = useRef(false);

  useEffect(() => {
    if (!ytext || !enabled) return;
    const flush = async () => {
      timer.current = null;
      const text = ytext.toString();
      if (text === last.current) return;
      try {
        await mirrorAnswer(caseId, text);
        last.current = text;
        failedOnce.current = false;
      } catch (err) {
        // The document itself is stored separately; this is only the table copy. Say it once.
        if (!failedOnce.current) toast.error("Could not update the stored answer", messageOf(err));
        failedOnce.current = true;
      }
    };
    const onChange = (_e: Y.YTextEvent, tr: Y.Transaction) => {
      if (tr.origin === remoteOrigin) return;
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => void flush(), delayMs);
    };
    ytext.observe(onChange);
    return () => {
      ytext.unobserve(onChange);
      if (timer.current) {
        clearTimeout(timer.current);
        void flush();
      }
    };
  }, [caseId, ytext, remoteOrigin, enabled, delayMs]);
}
