import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { callFunction } from "../../lib/functions.ts";
import { messageOf } from "../../lib/errors.ts";
import { caseKeys } from "./queries.ts";
import type { ImprovementCase } from "./types.ts";

type Props = { feedbackId: string | null; orgSlug: string; onClose(): void };

/**
 * Opens (or finds) the improvement case for a feedback row. The function asks the model for a
 * better answer before it returns, so the dialog shows that the draft is being written.
 */
export function CreateCaseDialog({ feedbackId, orgSlug, onClose }: Props) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [attempt, setAttempt] = useState(0);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    if (!feedbackId) return;
    setError(null);
    setElapsed(0);
    const ctrl = new AbortController();
    abort.current = ctrl;
    const started = Date.now();
    const timer = setInterval(() => setElapsed(Math.floor((Date.now() - started) / 1000)), 250);
    callFunction("create-improvement-case", { feedbackId }, ctrl.signal)
      .then(({ case: c }) => {
        void qc.invalidateQueries({ queryKey: caseKeys.detail(c.id) });
        navigate(`/o/${orgSlug}/cases/${c.id}`);
        onClose();
      })
      .catch((err) => {
        if ((err as Error).name !== "AbortError") setError(messageOf(err));
      })
      .finally(() => clearInterval(timer));
    return () => {
      clearInterval(timer);
      ctrl.abort();
    };
  }, [feedbackId, attempt, navigate, onClose, orgSlug, qc]);

  return (
    <Dialog open={!!feedbackId} onOpenChange={(o) => !o && onClose()} title="Improvement case">
      {error ? (
        <div className="stack">
          <p className="form-error" role="alert">{error}</p>
          <div className="row-end">
            <Button onClick={onClose}>Close</Button>
            <Button variant="primary" onClick={() => setAttempt((a) => a + 1)}>Try again</Button>
          </div>
        </div>
      ) : (
        <div className="stack" role="status" aria-live="polite">
          <div className="drafting">
            <span className="spinner" aria-hidden />
            <div>
              <strong>The model is drafting a better answer…</strong>
              <div className="muted small">{elapsed}s · the case room opens as soon as the draft is ready</div>
            </div>
          </div>
          <div className="drafting-bar"><div className="drafting-bar-fill" /></div>
          <div className="row-end"><Button onClick={() => { abort.current?.abort(); onClose(); }}>Cancel</Button></div>
        </div>
      )}
    </Dialog>
  );
}
