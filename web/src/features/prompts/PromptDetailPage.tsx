import { Link, useParams } from "react-router";
import { Badge } from "../../components/ui/Badge.tsx";
import { EmptyState, ErrorState } from "../../components/ui/Field.tsx";
import { dateTime, pct, usd } from "../../lib/format.ts";
import { useCurrentOrg, useMembers } from "../orgs/index.ts";
import { PromoteButton, RollbackButton } from "./AdminActions.tsx";
import { useMetrics, usePrompt, useVersions } from "./queries.ts";
import { mayEditPrompts, mayRelease, STATUS_TONE, type VersionMetrics } from "./types.ts";
import { VersionDiff } from "./VersionDiff.tsx";

const num = (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? "—" : Number(n).toFixed(digits));

function lastEval(m: VersionMetrics | undefined): string {
  const e = m?.last_eval;
  if (!e) return "—";
  const verdict = e.promoted ? "promoted" : e.gatePassed ? "gate passed" : "gate failed";
  return `${verdict}${e.n ? ` · n=${e.n}` : ""}`;
}

/** One prompt: its versions with live metrics, a diff between any two, and the admin's release actions. */
export default function PromptDetailPage() {
  const { promptId = "" } = useParams();
  const org = useCurrentOrg();
  const prompt = usePrompt(promptId);
  const versions = useVersions(promptId);
  const metrics = useMetrics(promptId);
  const { byId: members } = useMembers(org.org_id);
  if (prompt.isLoading || versions.isLoading) return <div className="page muted">Loading…</div>;
  if (prompt.error || versions.error) return <div className="page"><ErrorState error={prompt.error ?? versions.error} /></div>;
  const p = prompt.data;
  if (!p || p.org_id !== org.org_id) return <div className="page"><EmptyState title="This prompt does not exist here." /></div>;
  const list = versions.data ?? [];
  const byVersion = new Map((metrics.data ?? []).map((m) => [m.version_id, m]));
  const base = `/o/${org.slug}/prompts/${p.id}`;

  return (
    <div className="page" data-testid="prompt-detail">
      <header className="page-head">
        <div>
          <div className="crumbs"><Link to={`/o/${org.slug}/prompts`}>Prompts</Link> / {p.slug}</div>
          <h1>{p.slug}</h1>
          {p.description ? <p className="muted">{p.description}</p> : null}
        </div>
        <span className="grow" />
        {mayEditPrompts(org.role) ? <Link className="btn btn-secondary btn-md" to={`${base}/optimize`}>Optimizer</Link> : null}
        {mayRelease(org.role) ? <RollbackButton versions={list} /> : null}
      </header>

      {!list.length ? <EmptyState title="No versions yet." /> : (
        <table className="table" data-testid="versions">
          <thead>
            <tr><th>Version</th><th>Status</th><th>Author</th><th>Created</th><th>Requests</th><th>Error rate</th><th>p95 latency</th><th>Cost</th><th>Avg rating</th><th>Last eval</th><th /></tr>
          </thead>
          <tbody>
            {list.map((v) => {
              const m = byVersion.get(v.id);
              return (
                <tr key={v.id} data-testid={`version-row-${v.version}`}>
                  <td><Link to={`${base}/versions/${v.id}`}>v{v.version}</Link></td>
                  <td><Badge tone={STATUS_TONE[v.status]}>{v.status}</Badge></td>
                  <td>{v.author_id ? (members.get(v.author_id)?.name ?? "—") : "—"}</td>
                  <td>{dateTime(v.created_at)}</td>
                  <td>{m?.requests ?? "—"}</td>
                  <td>{pct(m?.error_rate)}</td>
                  <td>{m?.p95_latency_ms != null ? `${num(m.p95_latency_ms)} ms` : "—"}</td>
                  <td>{usd(m?.cost_usd)}</td>
                  <td>{num(m?.avg_rating, 2)}</td>
                  <td>{m?.last_eval ? <Link to={`/o/${org.slug}/jobs/${m.last_eval.jobId}`}>{lastEval(m)}</Link> : "—"}</td>
                  <td>{mayRelease(org.role) && v.status === "candidate" ? <PromoteButton version={v} orgSlug={org.slug} /> : null}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {list.length ? <VersionDiff key={list[0]!.id} versions={list} /> : null}
    </div>
  );
}
