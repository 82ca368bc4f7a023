import { Fragment, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Button } from "../../components/ui/Button.tsx";
import { Badge } from "../../components/ui/Badge.tsx";
import { EmptyState, ProgressBar } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { dateTime, pct } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/queries.ts";
import { KIND_LABEL, STATUS_TONE } from "./JobsPage.tsx";
import { useCancelJob, useEvalResults, useJob, useJobEvents, useJobEventsLive, useJobsLive, type EvalResult, type JobEvent } from "./queries.ts";

/** Numeric metrics from the event log as series over time (loss, accuracy, …: whatever the worker reports). */
export function metricSeries(events: JobEvent[]): { keys: string[]; points: Array<Record<string, number>> } {
  const keys = new Set<string>();
  const points: Array<Record<string, number>> = [];
  events.forEach((e, i) => {
    const p: Record<string, number> = { i };
    for (const [k, v] of Object.entries(e.metrics ?? {})) {
      if (typeof v === "number" && Number.isFinite(v)) {
        p[k] = v;
        keys.add(k);
      }
    }
    if (Object.keys(p).length > 1) points.push(p);
  });
  return { keys: [...keys].slice(0, 6), points };
}

const COLORS = ["#4f46e5", "#16a34a", "#dc2626", "#d97706", "#0891b2", "#9333ea"];

export default function JobDetailPage() {
  const { jobId = "" } = useParams();
  const org = useCurrentOrg();
  const { data: job, isLoading } = useJob(jobId);
  const { data: events = [] } = useJobEvents(jobId);
  useJobsLive(org.org_id);
  useJobEventsLive(jobId);
  const cancel = useCancelJob();
  const series = useMemo(() => metricSeries(events), [events]);
  if (isLoading) return <div className="page muted">Loading…</div>;
  if (!job || job.org_id !== org.org_id) return <div className="page"><EmptyState title="This job does not exist here." /></div>;
  const active = job.status === "pending" || job.status === "running";

  return (
    <div className="page" data-testid="job-detail">
      <header className="page-head">
        <div>
          <div className="crumbs"><Link to={`/o/${org.slug}/jobs`}>Jobs</Link> / {KIND_LABEL[job.kind]}</div>
          <h1>{job.name}</h1>
        </div>
        <span className="grow" />
        <Badge tone={STATUS_TONE[job.status]}>{job.status}</Badge>
        {active && can(org.role, "job:start") ? (
          <Button variant="danger" busy={cancel.isPending} disabled={job.cancel_requested}
            onClick={() => cancel.mutate(job.id, { onError: (e) => toast.error("Could not cancel", messageOf(e)), onSuccess: () => toast.info("Cancellation requested") })}>
            {job.cancel_requested ? "Cancelling…" : "Cancel job"}
          </Button>
        ) : null}
      </header>
      <section className="card stack">
        <div className="row"><ProgressBar value={job.progress} label="Job progress" /><strong data-testid="job-progress">{Math.round(job.progress)}%</strong></div>
        <div className="meta-grid">
          <span className="muted">Base model</span><span>{job.base_model ?? "—"}</span>
          <span className="muted">Tags</span><span>{job.trained_on_tags.length ? job.trained_on_tags.map((t) => <span key={t} className="label">#{t}</span>) : "all examples"}</span>
          <span className="muted">Created</span><span>{dateTime(job.created_at)}</span>
          {job.finished_at ? <><span className="muted">Finished</span><span>{dateTime(job.finished_at)}{job.duration_ms ? ` · ${(job.duration_ms / 1000).toFixed(1)} s` : ""}</span></> : null}
        </div>
        {job.error ? <p className="form-error" role="alert">{job.error}</p> : null}
      </section>

      <div className="grid-2" style={{ marginTop: 16 }}>
        <section className="card">
          <h3 className="section-title">Event log</h3>
          <ol className="event-log" aria-label="Event log" data-testid="event-log">
            {events.map((e) => (
              <li key={e.id}><span className="muted">{new Date(e.created_at).toLocaleTimeString()}</span> <strong>{e.step}</strong> {e.message}</li>
            ))}
          </ol>
        </section>
        <section className="card">
          <h3 className="section-title">Metrics</h3>
          {series.points.length ? (
            <ResponsiveContainer width="100%" height={260}>
              <LineChart data={series.points}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="i" hide />
                <YAxis />
                <Tooltip />
                <Legend />
                {series.keys.map((k, i) => <Line key={k} dataKey={k} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} connectNulls />)}
              </LineChart>
            </ResponsiveContainer>
          ) : <p className="muted">Metrics appear here as the worker reports them.</p>}
        </section>
      </div>

      {job.kind === "fine_tune" && job.result ? <FineTuneResult result={job.result} /> : null}
      {job.kind === "ab_eval" ? <EvalSection jobId={job.id} result={job.result} done={job.status === "completed"} /> : null}
    </div>
  );
}

function FineTuneResult({ result }: { result: Record<string, unknown> }) {
  const entries = Object.entries(result).filter(([, v]) => v !== null && typeof v !== "object");
  const nested = Object.entries(result).filter(([, v]) => v && typeof v === "object");
  return (
    <section className="card" style={{ marginTop: 16 }}>
      <h3 className="section-title">Result</h3>
      <div className="meta-grid">{entries.map(([k, v]) => <Fragment key={k}><span className="muted">{k}</span><span>{String(v)}</span></Fragment>)}</div>
      {nested.map(([k, v]) => <details key={k}><summary>{k}</summary><pre className="small">{JSON.stringify(v, null, 2)}</pre></details>)}
    </section>
  );
}

type Analysis = { n: number; winRateB: number; wins: { a: number; b: number; ties: number }; meanDelta: number; ci95: { lower: number; upper: number }; pValue: number; test: string; primaryMetric: string; gate?: { passed: boolean; reasons?: string[] } };

function EvalSection({ jobId, result, done }: { jobId: string; result: Record<string, unknown> | null; done: boolean }) {
  const analysis = (result?.analysis ?? null) as Analysis | null;
  const variants = result?.variants as { a: { label: string; model: string }; b: { label: string; model: string } } | undefined;
  const decision = result?.decision as { promoted: boolean; reasons: string[] } | undefined;
  const items = useEvalResults(jobId, done);
  const [open, setOpen] = useState<number | null>(null);
  return (
    <section className="card" style={{ marginTop: 16 }}>
      <h3 className="section-title">Evaluation</h3>
      {analysis ? (
        <>
          <div className="stat-row">
            <div className="stat"><div className="stat-value">{pct(analysis.winRateB)}</div><div className="stat-label">B win rate ({variants?.b.label ?? "B"})</div></div>
            <div className="stat"><div className="stat-value">{analysis.meanDelta.toFixed(3)}</div><div className="stat-label">Mean Δ {analysis.primaryMetric} · 95% CI [{analysis.ci95.lower.toFixed(3)}, {analysis.ci95.upper.toFixed(3)}]</div></div>
            <div className="stat"><div className="stat-value">{analysis.pValue < 0.001 ? "<0.001" : analysis.pValue.toFixed(3)}</div><div className="stat-label">p-value ({analysis.test})</div></div>
            <div className="stat"><div className="stat-value">{analysis.wins.b} / {analysis.wins.a} / {analysis.wins.ties}</div><div className="stat-label">B wins / A wins / ties · n={analysis.n}</div></div>
          </div>
          {decision ? <p><Badge tone={analysis.gate?.passed ? "good" : "warn"}>{analysis.gate?.passed ? "Gate passed" : "Gate not passed"}</Badge> {decision.promoted ? "B was promoted." : ""} <span className="muted">{decision.reasons.join(" · ")}</span></p> : null}
        </>
      ) : <p className="muted">Results appear when the evaluation finishes.</p>}
      {items.data?.length ? (
        <table className="table" aria-label="Per-item results">
          <thead><tr><th>#</th><th>Question</th><th className="num">Judge (B)</th><th /></tr></thead>
          <tbody>
            {items.data.map((r: EvalResult) => (
              <Fragment key={r.id}>
                <tr className="clickable" onClick={() => setOpen(open === r.id ? null : r.id)}>
                  <td>{r.item_index + 1}</td><td>{r.query.slice(0, 140)}</td>
                  <td className="num">{r.judge_score === null ? "—" : r.judge_score.toFixed(2)}</td>
                  <td>{open === r.id ? "▾" : "▸"}</td>
                </tr>
                {open === r.id ? (
                  <tr><td colSpan={4}>
                    <div className="grid-2">
                      <div><h4 className="section-title">A · {variants?.a.label}</h4><p className="prose">{r.output_a}</p></div>
                      <div><h4 className="section-title">B · {variants?.b.label}</h4><p className="prose">{r.output_b}</p></div>
                    </div>
                    {r.reference ? <><h4 className="section-title">Reference</h4><p className="prose">{r.reference}</p></> : null}
                    <p className="muted small">{r.judge.map((j) => `${j.order}: ${j.winner}${j.reason ? ` — ${j.reason}` : ""}`).join(" · ")}</p>
                  </td></tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
