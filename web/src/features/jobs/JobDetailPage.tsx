import { Fragment, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { Area, CartesianGrid, ComposedChart, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Button } from "../../components/ui/Button.tsx";
import { Badge } from "../../components/ui/Badge.tsx";
import { EmptyState, ErrorState, ProgressBar } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { dateTime, pct } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { KIND_LABEL, STATUS_TONE } from "./JobsPage.tsx";
import { useCancelJob, useEvalResults, useEvalResultsLive, useJob, useJobEvents, useJobEventsLive, useJobsLive, type EvalResult } from "./queries.ts";
import { trainingCurve, winRateSeries, type EpochPoint, type WinRatePoint } from "./series.ts";

const AXIS = { fontSize: 11 } as const;
const pctTick = (v: number) => `${Math.round(v * 100)}%`;

export default function JobDetailPage() {
  const { jobId = "" } = useParams();
  const org = useCurrentOrg();
  const { data: job, isLoading, error, refetch } = useJob(jobId);
  const { data: events = [] } = useJobEvents(jobId);
  useJobsLive(org.org_id);
  useJobEventsLive(jobId);
  const cancel = useCancelJob();
  const curve = useMemo(() => trainingCurve(events), [events]);
  if (isLoading) return <div className="page muted">Loading…</div>;
  // A failed read is not a missing job: say what failed and offer a retry.
  if (error) return <div className="page"><ErrorState error={error} retry={() => void refetch()} /></div>;
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
        {job.kind === "fine_tune" ? <TrainingCharts points={curve} /> : null}
        {job.kind === "ab_eval" ? <WinRateCard jobId={job.id} /> : null}
      </div>

      {job.kind === "fine_tune" && job.result ? <FineTuneResult result={job.result} /> : null}
      {job.kind === "ab_eval" ? <EvalSection jobId={job.id} result={job.result} /> : null}
    </div>
  );
}

function FineTuneResult({ result }: { result: Record<string, unknown> }) {
  const entries = Object.entries(result).filter(([, v]) => v !== null && typeof v !== "object");
  const nested = Object.entries(result).filter(([, v]) => v && typeof v === "object");
  const evaluation = result.evaluation as { n: number; accuracy: number; meanF1: number } | undefined;
  const baseline = result.baseline as { model: string; accuracy: number; meanF1: number } | null | undefined;
  return (
    <section className="card" style={{ marginTop: 16 }}>
      <h3 className="section-title">Result</h3>
      {evaluation ? (
        <div className="stat-row" data-testid="fine-tune-comparison">
          <div className="stat"><div className="stat-value">{pct(evaluation.accuracy)}</div><div className="stat-label">Tuned model accuracy · F1 {evaluation.meanF1.toFixed(3)}</div></div>
          {baseline ? <div className="stat"><div className="stat-value">{pct(baseline.accuracy)}</div><div className="stat-label">Base {baseline.model} · F1 {baseline.meanF1.toFixed(3)}</div></div> : null}
          {baseline ? <div className="stat"><div className="stat-value">{evaluation.accuracy >= baseline.accuracy ? "+" : ""}{((evaluation.accuracy - baseline.accuracy) * 100).toFixed(1)}</div><div className="stat-label">Points gained on {evaluation.n} held-out items</div></div> : null}
        </div>
      ) : null}
      <div className="meta-grid">{entries.map(([k, v]) => <Fragment key={k}><span className="muted">{k}</span><span>{String(v)}</span></Fragment>)}</div>
      {nested.map(([k, v]) => <details key={k}><summary>{k}</summary><pre className="small">{JSON.stringify(v, null, 2)}</pre></details>)}
    </section>
  );
}

type Analysis = { n: number; winRateB: number; winRateCi95?: { lower: number; upper: number }; wins: { a: number; b: number; ties: number }; meanDelta: number; ci95: { lower: number; upper: number }; pValue: number; test: string; primaryMetric: string; gate?: { passed: boolean; reasons?: string[] } };

function EvalSection({ jobId, result }: { jobId: string; result: Record<string, unknown> | null }) {
  const analysis = (result?.analysis ?? null) as Analysis | null;
  const variants = result?.variants as { a: { label: string; model: string }; b: { label: string; model: string } } | undefined;
  const decision = result?.decision as { promoted: boolean; reasons: string[] } | undefined;
  // Loaded while it runs too: the win-rate chart grows from these rows as the worker stores them.
  const items = useEvalResults(jobId, true);
  const [open, setOpen] = useState<number | null>(null);
  return (
    <section className="card" style={{ marginTop: 16 }}>
      <h3 className="section-title">Evaluation</h3>
      {analysis ? (
        <>
          <div className="stat-row">
            <div className="stat"><div className="stat-value">{pct(analysis.winRateB)}</div><div className="stat-label">B win rate ({variants?.b.label ?? "B"}){analysis.winRateCi95 ? ` · 95% CI ${pct(analysis.winRateCi95.lower)}–${pct(analysis.winRateCi95.upper)}` : ""}</div></div>
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

/**
 * Training loss and validation metrics per epoch, each on its own scale: loss (cross-entropy, from ln 2
 * down) and held-out accuracy / MRR (0–100%). Epoch 0 is before training: its accuracy is BM25 alone.
 */
function TrainingCharts({ points }: { points: EpochPoint[] }) {
  return (
    <section className="card" data-testid="training-charts">
      <h3 className="section-title">Training</h3>
      {points.length ? (
        <>
          <h4 className="muted small">Loss per epoch</h4>
          <ResponsiveContainer width="100%" height={150}>
            <LineChart data={points} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="epoch" tick={AXIS} />
              <YAxis tick={AXIS} width={44} domain={[0, (max: number) => Math.ceil(max * 10) / 10]} tickCount={5} tickFormatter={(v: number) => v.toFixed(2)} />
              <Tooltip formatter={(v) => (typeof v === "number" ? v.toFixed(4) : String(v))} labelFormatter={(e) => `epoch ${e}`} />
              <Legend />
              <Line name="training loss" dataKey="loss" stroke="#4f46e5" dot={false} isAnimationActive={false} />
              <Line name="validation loss" dataKey="valLoss" stroke="#d97706" dot={false} isAnimationActive={false} connectNulls />
            </LineChart>
          </ResponsiveContainer>
          <h4 className="muted small">Held-out validation per epoch</h4>
          <ResponsiveContainer width="100%" height={150}>
            <LineChart data={points} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="epoch" tick={AXIS} />
              <YAxis tick={AXIS} width={44} domain={[0, 1]} tickFormatter={pctTick} />
              <Tooltip formatter={(v) => (typeof v === "number" ? pctTick(v) : String(v))} labelFormatter={(e) => (e === 0 ? "before training (BM25 alone)" : `epoch ${e}`)} />
              <Legend />
              <Line name="validation accuracy" dataKey="valAccuracy" stroke="#16a34a" dot={false} isAnimationActive={false} connectNulls />
              <Line name="validation MRR" dataKey="valMrr" stroke="#0891b2" dot={false} isAnimationActive={false} connectNulls strokeDasharray="4 2" />
            </LineChart>
          </ResponsiveContainer>
        </>
      ) : <p className="muted">Loss and validation accuracy appear here per epoch as the trainer reports them.</p>}
    </section>
  );
}

/** B's running win rate with its Wilson 95% band, growing as the worker stores judged items. */
function WinRateCard({ jobId }: { jobId: string }) {
  const items = useEvalResults(jobId, true);
  useEvalResultsLive(jobId);
  const points = useMemo(() => winRateSeries(items.data ?? []), [items.data]);
  return (
    <section className="card" data-testid="win-rate-chart">
      <h3 className="section-title">Win rate of B</h3>
      {points.length ? <WinRateChart points={points} /> : <p className="muted">B's win rate appears here as items are judged.</p>}
    </section>
  );
}

function WinRateChart({ points }: { points: WinRatePoint[] }) {
  const last = points.at(-1)!;
  return (
    <>
      <p className="small">
        <strong>{pctTick(last.rate)}</strong> after {last.n} item{last.n === 1 ? "" : "s"} <span className="muted">(95% CI {pctTick(last.lower)}–{pctTick(last.upper)}; ties count half)</span>
      </p>
      <ResponsiveContainer width="100%" height={240}>
        <ComposedChart data={points} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="n" tick={AXIS} />
          <YAxis tick={AXIS} width={44} domain={[0, 1]} tickFormatter={pctTick} />
          <Tooltip
            formatter={(v, name) => (Array.isArray(v) ? `${pctTick(Number(v[0]))}–${pctTick(Number(v[1]))}` : typeof v === "number" ? pctTick(v) : String(v))}
            labelFormatter={(n) => `after ${n} items`}
          />
          <ReferenceLine y={0.5} stroke="#9ca3af" strokeDasharray="4 2" />
          <Area name="95% band" dataKey="band" stroke="none" fill="#4f46e5" fillOpacity={0.15} isAnimationActive={false} />
          <Line name="B win rate" dataKey="rate" stroke="#4f46e5" dot={false} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </>
  );
}
