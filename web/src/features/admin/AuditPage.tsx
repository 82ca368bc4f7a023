import { useState } from "react";
import { Button } from "../../components/ui/Button.tsx";
import { ErrorState } from "../../components/ui/Field.tsx";
import { dateTime } from "../../lib/format.ts";
import { useCurrentOrg, useMembers } from "../orgs/index.ts";
import { useAudit } from "./queries.ts";

/** The append-only audit log, newest first, a hundred entries a page. */
export default function AuditPage() {
  const org = useCurrentOrg();
  const { byId } = useMembers(org.org_id);
  const [cursors, setCursors] = useState<Array<number | null>>([null]);
  const before = cursors[cursors.length - 1] ?? null;
  const audit = useAudit(org.org_id, before);
  const rows = audit.data ?? [];
  return (
    <div className="page">
      <header className="page-head"><h1>Audit log</h1></header>
      {audit.error ? <ErrorState error={audit.error} retry={() => void audit.refetch()} /> : (
        <table className="table" aria-label="Audit log">
          <thead><tr><th>When</th><th>Who</th><th>Action</th><th>On</th><th>Details</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td className="small">{dateTime(r.created_at)}</td>
                <td>{r.actor_id ? (byId.get(r.actor_id)?.name ?? "former member") : "system"}</td>
                <td><code>{r.action}</code></td>
                <td className="small">{r.entity_type}{r.entity_id ? ` ${r.entity_id.slice(0, 8)}` : ""}</td>
                <td className="small muted">{Object.keys(r.details).length ? JSON.stringify(r.details) : ""}</td>
              </tr>
            ))}
            {!rows.length && !audit.isLoading ? <tr><td colSpan={5} className="muted">Nothing recorded yet.</td></tr> : null}
          </tbody>
        </table>
      )}
      <div className="row-end" style={{ marginTop: 12 }}>
        <Button disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>Newer</Button>
        <Button disabled={rows.length < 100} onClick={() => setCursors((c) => [...c, rows[rows.length - 1]!.id])}>Older</Button>
      </div>
    </div>
  );
}
