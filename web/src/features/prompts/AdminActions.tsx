import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { Button } from "../../components/ui/Button.tsx";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { supabase } from "../../lib/supabase.ts";
import { messageOf, unwrap } from "../../lib/errors.ts";
import { usePromote, useRollback } from "./queries.ts";
import type { PromptVersion } from "./types.ts";

/** Promote a candidate through the A/B gate (a job), with a confirmation. Admins only (the caller checks). */
export function PromoteButton({ version, orgSlug }: { version: PromptVersion; orgSlug: string }) {
  const [open, setOpen] = useState(false);
  const [jobId, setJobId] = useState<string | null>(null);
  const promote = usePromote(version.prompt_id);
  const confirm = () =>
    promote.mutate(version.id, {
      onSuccess: (r) => { setJobId(r.jobId); setOpen(false); r.warnings.forEach((w) => toast.info("Note", w)); },
    });
  return (
    <>
      <Button size="sm" onClick={() => setOpen(true)}>Promote</Button>
      {jobId ? <PromoteStatus jobId={jobId} orgSlug={orgSlug} /> : null}
      <Dialog open={open} onOpenChange={setOpen} title={`Promote v${version.version}?`} description="This starts an A/B evaluation against production; the version goes live only if it passes the gate.">
        {promote.error ? <p className="form-error" role="alert">{messageOf(promote.error)}</p> : null}
        <div className="row-end">
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="primary" busy={promote.isPending} onClick={confirm}>Start evaluation</Button>
        </div>
      </Dialog>
    </>
  );
}

type JobRow = { id: string; status: string; result: { decision?: { promoted?: boolean; reasons?: string[] } } | null; error: string | null };

function PromoteStatus({ jobId, orgSlug }: { jobId: string; orgSlug: string }) {
  const { data } = useQuery({
    queryKey: ["job", jobId, "promote-status"],
    queryFn: async () => unwrap(await supabase.from("jobs").select("id, status, result, error").eq("id", jobId).maybeSingle()) as JobRow | null,
    refetchInterval: (q) => (q.state.data && ["completed", "failed", "cancelled"].includes(q.state.data.status) ? false : 2000),
  });
  const decision = data?.result?.decision;
  return (
    <span className="small" data-testid="promote-status">
      Job <Link to={`/o/${orgSlug}/jobs/${jobId}`}>{jobId.slice(0, 8)}</Link> · {data?.status ?? "pending"}
      {decision ? ` · ${decision.promoted ? "promoted" : "not promoted"}${decision.reasons?.length ? ` (${decision.reasons.join("; ")})` : ""}` : ""}
      {data?.error ? ` · ${data.error}` : ""}
    </span>
  );
}

/** Bring back an earlier production version (retired, once live), with a confirmation. */
export function RollbackButton({ versions }: { versions: PromptVersion[] }) {
  const targets = versions.filter((v) => v.status === "retired" && v.promoted_at);
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState("");
  const [reason, setReason] = useState("");
  const rollback = useRollback(versions[0]?.prompt_id ?? "");
  if (!targets.length) return null;
  const chosen = target || targets[0]!.id;
  const confirm = () =>
    rollback.mutate({ versionId: chosen, reason: reason.trim() || undefined }, {
      onSuccess: (r) => { setOpen(false); toast.success("Rolled back", `v${r.version.version} is in production again.`); },
    });
  return (
    <>
      <Button variant="danger" onClick={() => setOpen(true)}>Rollback</Button>
      <Dialog open={open} onOpenChange={setOpen} title="Roll back production" description="The current production version is retired and the chosen one goes live again, unchanged.">
        <div className="stack">
          <Field label="Version to restore">
            <select value={chosen} onChange={(e) => setTarget(e.target.value)}>
              {targets.map((v) => <option key={v.id} value={v.id}>v{v.version}</option>)}
            </select>
          </Field>
          <Field label="Reason"><input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} /></Field>
          {rollback.error ? <p className="form-error" role="alert">{messageOf(rollback.error)}</p> : null}
          <div className="row-end">
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button variant="danger" busy={rollback.isPending} onClick={confirm}>Roll back</Button>
          </div>
        </div>
      </Dialog>
    </>
  );
}
