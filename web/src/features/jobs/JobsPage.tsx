import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { Button } from "../../components/ui/Button.tsx";
import { Badge } from "../../components/ui/Badge.tsx";
import { EmptyState, ErrorState, ProgressBar } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { pct, timeAgo, usd } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { useJobs, useJobsLive, useModels, useServeModel, type JobStatus } from "./queries.ts";
import { EvaluationDialog, FineTuneDialog } from "./StartJobDialogs.tsx";

export const STATUS_TONE: Record<JobStatus, "neutral" | "info" | "good" | "bad" | "warn"> = { pending: "neutral", running: "info", completed: "good", failed: "bad", cancelled: "warn" };
export const KIND_LABEL = { fine_tune: "Fine-tune", ab_eval: "A/B evaluation", drift: "Drift check", experiment: "Experiment", themes: "Feedback themes", review_judge: "Judge vs human" } as const;

export default function JobsPage() {
  const org = useCurrentOrg();
  const jobs = useJobs(org.org_id);
  const models = useModels(org.org_id);
  useJobsLive(org.org_id);
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<"ft" | "eval" | null>(null);
  const serve = useServeModel(org.org_id);
  const canStart = can(org.role, "job:start");
  const canServe = can(org.role, "prompt:promote");

  return (
    <div className="page">
      <header className="page-head">
        <h1>Jobs</h1>
        <span className="grow" />
        {canStart ? (
          <>
            <Button onClick={() => setDialog("eval")}>New A/B evaluation</Button>
            <Button variant="primary" onClick={() => setDialog("ft")}>New fine-tune</Button>
          </>
        ) : null}
      </header>
      {jobs.error ? <ErrorState error={jobs.error} retry={() => void jobs.refetch()} /> : jobs.data?.length === 0 ? (
        <EmptyState title="No jobs yet.">{canStart ? "Start a fine-tune once there are approved training examples." : "Admins start fine-tunes and evaluations."}</EmptyState>
      ) : (
        <table className="table" aria-label="Jobs">
          <thead><tr><th>Name</th><th>Kind</th><th>Status</th><th style={{ width: "28%" }}>Progress</th><th>Started</th></tr></thead>
          <tbody>
            {jobs.data?.map((j) => (
              <tr key={j.id} className="clickable" onClick={() => navigate(`/o/${org.slug}/jobs/${j.id}`)} data-job-id={j.id}>
                <td><Link to={`/o/${org.slug}/jobs/${j.id}`} onClick={(e) => e.stopPropagation()}>{j.name}</Link></td>
                <td>{KIND_LABEL[j.kind]}</td>
                <td><Badge tone={STATUS_TONE[j.status]}>{j.status}{j.cancel_requested && j.status === "running" ? " (cancelling)" : ""}</Badge></td>
                <td><div className="row"><ProgressBar value={j.progress} label={`${j.name} progress`} /><span className="small num" data-testid="job-progress">{Math.round(j.progress)}%</span></div></td>
                <td className="muted small">{timeAgo(j.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 style={{ marginTop: 28 }}>Models</h2>
      {models.data?.length ? (
        <table className="table" aria-label="Models">
          <thead><tr><th>Name</th><th>Base model</th><th className="num">Accuracy</th><th className="num">Cost / 1k tokens</th><th className="num">Latency</th><th>Live</th></tr></thead>
          <tbody>
            {models.data.map((m) => (
              <tr key={m.id}>
                <td>{m.name}<div className="muted small">{m.provider}</div></td>
                <td>{m.base_model}</td>
                <td className="num">{pct(m.accuracy)}</td>
                <td className="num">{usd(m.cost_per_1k_tokens, 5)}</td>
                <td className="num">{m.latency_ms === null ? "—" : `${m.latency_ms} ms`}</td>
                <td>
                  {m.is_live ? <Badge tone="good">Live</Badge> : canServe ? (
                    <Button
                      busy={serve.isPending && serve.variables === m.id}
                      onClick={() => serve.mutate(m.id, {
                        onSuccess: (r) => { toast.success(`Candidate v${r.version} is being evaluated against production`); navigate(`/o/${org.slug}/jobs/${r.jobId}`); },
                        onError: (err) => toast.error("Could not start the evaluation", messageOf(err)),
                      })}
                    >
                      Serve via A/B
                    </Button>
                  ) : <span className="muted">—</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <EmptyState title="No models yet.">A finished fine-tune registers its model here.</EmptyState>}

      {canStart ? (
        <>
          <FineTuneDialog open={dialog === "ft"} onClose={() => setDialog(null)} orgId={org.org_id} orgSlug={org.slug} />
          <EvaluationDialog open={dialog === "eval"} onClose={() => setDialog(null)} orgId={org.org_id} orgSlug={org.slug} models={models.data ?? []} />
        </>
      ) : null}
    </div>
  );
}
