import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import type { ExperimentSummary } from "@review/shared/datasets/summary";
import { LlmJudgeConfig } from "@review/shared/datasets/evaluators";
import { Button } from "../../components/ui/Button.tsx";
import { Badge } from "../../components/ui/Badge.tsx";
import { EmptyState, ErrorState, ProgressBar } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { usd } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { useCancelJob, useJob, useJobEvents, useJobEventsLive, useJobsLive, useStartJob } from "../jobs/index.ts";
import { STATUS_TONE } from "./ExperimentsPage.tsx";
import { ExperimentReview } from "./ExperimentReview.tsx";
import { TrainingOverlapWarning } from "./Splits.tsx";
import { CostCapNotice } from "./CostCapNotice.tsx";
import { judgeDetailText, liveSummary, storedOutputs } from "./comparison.ts";
import {
  useComparisonPage, useDatasetItems, useDatasetVersion, useEvaluators, useExperiment, useExperimentLive, usePromptVersions, useResumeExperiment, useVariantStats,
  type ComparisonSort, type Experiment, type ItemResult,
} from "./queries.ts";

const PAGE = 50;
/** Fixed decimals, without the "-0.000" a tiny negative difference rounds to. */
const num = (x: number | null | undefined, d = 3) => {
  if (x === null || x === undefined) return "—";
  const s = x.toFixed(d);
  return Number(s) === 0 ? (0).toFixed(d) : s;
};
const signed = (x: number) => {
  const s = num(x);
  return Number(s) > 0 ? `+${s}` : s;
};

export default function ExperimentPage() {
  const { experimentId = "" } = useParams();
  const org = useCurrentOrg();
  const { data: exp, isLoading, error, refetch } = useExperiment(experimentId);
  const { data: job } = useJob(exp?.job_id ?? "");
  const { data: events = [] } = useJobEvents(exp?.job_id ?? "");
  const version = useDatasetVersion(exp?.dataset_version_id ?? null);
  const final = !!exp?.summary && exp.status === "completed";
  // The figures of the rows stored so far come from the database; a finished run has the worker's summary.
  const stats = useVariantStats(experimentId, !!exp && !final);
  const evaluators = useEvaluators(org.org_id);
  useJobsLive(org.org_id);
  useJobEventsLive(exp?.job_id ?? "");
  useExperimentLive(experimentId);
  const cancel = useCancelJob();
  const resume = useResumeExperiment(experimentId);

  const metrics = useMemo(() => (exp ? exp.evaluator_ids.map((id) => evaluators.data?.find((e) => e.id === id)?.name).filter((n): n is string => !!n) : []), [exp, evaluators.data]);
  // The top of each rubric judge's scale, so its raw value reads "4/5".
  const scaleMax = useMemo(() => {
    const out: Record<string, number> = {};
    for (const id of exp?.evaluator_ids ?? []) {
      const e = evaluators.data?.find((x) => x.id === id);
      const c = e?.kind === "llm_judge" ? LlmJudgeConfig.safeParse(e.config ?? {}) : null;
      if (e && c?.success && c.data.scale) out[e.name] = c.data.scale.max;
    }
    return out;
  }, [exp, evaluators.data]);
  const labels = useMemo(() => exp?.variants.map((v, i) => v.label ?? `V${i + 1}`) ?? [], [exp]);
  const itemCount = version.data?.item_count ?? 0;
  // While it runs, everyone watching sees the partial figures move (means and paired differences so far).
  const summary: ExperimentSummary | null = useMemo(() => {
    if (!exp) return null;
    if (final) return exp.summary;
    if (!stats.data?.length || !metrics.length) return null;
    return liveSummary(stats.data, { labels, metrics, baseline: exp.baseline, items: itemCount });
  }, [exp, final, stats.data, metrics, labels, itemCount]);
  const stored = final ? exp!.summary!.variants.reduce((s, v) => s + v.n, 0) : storedOutputs(stats.data);

  if (isLoading) return <div className="page muted">Loading…</div>;
  // A failed read is not a missing experiment: say what failed and offer a retry.
  if (error) return <div className="page"><ErrorState error={error} retry={() => void refetch()} /></div>;
  if (!exp || exp.org_id !== org.org_id) return <div className="page"><EmptyState title="This experiment does not exist here." /></div>;
  const status = job?.status ?? exp.status;
  const active = status === "pending" || status === "running";
  const total = itemCount * exp.variants.length;

  return (
    <div className="page" data-testid="experiment-detail">
      <header className="page-head">
        <div>
          <div className="crumbs"><Link to={`/o/${org.slug}/experiments`}>Experiments</Link> / {exp.name}</div>
          <h1>{exp.name}</h1>
        </div>
        <span className="grow" />
        <Badge tone={STATUS_TONE[status]}>{status}</Badge>
        {active && can(org.role, "experiment:run") ? (
          <Button variant="danger" busy={cancel.isPending} disabled={job?.cancel_requested}
            onClick={() => cancel.mutate(exp.job_id, { onError: (e) => toast.error("Could not cancel", messageOf(e)), onSuccess: () => toast.info("Cancellation requested") })}>
            {job?.cancel_requested ? "Cancelling…" : "Cancel"}
          </Button>
        ) : null}
        {(status === "cancelled" || status === "failed") && can(org.role, "experiment:run") ? (
          <Button variant="primary" busy={resume.isPending} onClick={() => resume.mutate(undefined, { onSuccess: () => toast.info("Resumed: stored outputs are kept"), onError: (e) => toast.error("Could not resume", messageOf(e)) })}>Resume</Button>
        ) : null}
      </header>
      <section className="card stack">
        <div className="row"><ProgressBar value={job?.progress ?? 0} label="Experiment progress" /><strong data-testid="experiment-progress">{Math.round(job?.progress ?? 0)}%</strong></div>
        <div className="muted small" data-testid="experiment-count">{stored} of {total || "…"} outputs scored</div>
        {job?.error ? <p className="form-error" role="alert">{job.error}</p> : null}
        {events.length ? <div className="small muted" data-testid="experiment-last-event">{events.at(-1)!.message}</div> : null}
      </section>

      {status === "completed" && job ? (
        <CostCapNotice experimentId={exp.id} result={job.result} capUsd={(job.config as { costCapUsd?: number } | null)?.costCapUsd ?? null} scored={stored} total={total} />
      ) : null}
      <TrainingOverlapWarning versionId={exp.dataset_version_id} />
      {summary ? <SummaryTable summary={summary} final={final} /> : null}
      {exp.status === "completed" && can(org.role, "prompt:promote") ? <PromoteThroughGate exp={exp} /> : null}
      <Comparison experimentId={exp.id} labels={labels} baseline={exp.baseline} metrics={metrics} scaleMax={scaleMax} />
      <ExperimentReview exp={exp} labels={labels} />
    </div>
  );
}

/**
 * A variant reaches users only through the A/B gate: this starts the gate's evaluation of the variant's
 * prompt version against the baseline's on this experiment's dataset version, promoting it if it wins.
 * The gate's job names the experiment (and its key ties one gate run to one variant of it).
 */
function PromoteThroughGate({ exp }: { exp: Experiment }) {
  const org = useCurrentOrg();
  // The gate evaluates on every item of the version: loaded only where a gate can be started.
  const { data: items = [] } = useDatasetItems(exp.dataset_version_id);
  const navigate = useNavigate();
  const versions = usePromptVersions(org.org_id);
  const start = useStartJob();
  const base = exp.variants[exp.baseline];
  // Only a variant that is exactly a prompt version with its pinned model can be promoted as such.
  const candidates = exp.variants
    .map((v, i) => ({ v, i, pv: versions.data?.find((p) => p.id === v.promptVersionId) }))
    .filter(({ v, i, pv }) => i !== exp.baseline && pv && pv.model === v.model && pv.status !== "production" && v.promptVersionId !== base?.promptVersionId);
  if (!base || !candidates.length) return null;
  const promote = (i: number) => {
    const v = exp.variants[i]!;
    start.mutate(
      {
        kind: "ab_eval", orgId: org.org_id, name: `Gate: ${v.label ?? `V${i + 1}`} (experiment ${exp.name})`.slice(0, 120), jobKey: `experiment:${exp.id}:${i}`,
        config: {
          variantA: { ...(base.promptVersionId ? { promptVersionId: base.promptVersionId } : {}), ...(base.model ? { model: base.model } : {}) },
          variantB: { promptVersionId: v.promptVersionId!, model: v.model },
          evalSet: { source: "curated", items: items.slice(0, 5000).map((it) => ({ query: it.query, ...(it.expected ? { reference: it.expected } : {}) })) },
          promote: true,
        },
      },
      { onSuccess: (r) => navigate(`/o/${org.slug}/jobs/${(r.job as { id: string }).id}`), onError: (e) => toast.error("Could not start the gate", messageOf(e)) },
    );
  };
  return (
    <section className="card row" style={{ marginTop: 16 }} data-testid="promote-through-gate">
      <span className="grow small">Promote a variant: its prompt version goes live only if it beats {base.label ?? "the baseline"} in the A/B gate on these items.</span>
      {candidates.map(({ v, i }) => <Button key={i} size="sm" busy={start.isPending} onClick={() => promote(i)}>Gate {v.label ?? `V${i + 1}`}</Button>)}
    </section>
  );
}

function SummaryTable({ summary, final }: { summary: ExperimentSummary; final: boolean }) {
  const base = summary.variants[summary.baseline];
  return (
    <section className="card" style={{ marginTop: 16 }} data-testid="experiment-summary">
      <h3 className="section-title">Per variant {final ? "" : "(so far)"}</h3>
      <table className="table small" aria-label="Per-variant summary">
        <thead>
          <tr>
            <th>Variant</th><th className="num">n</th>
            {summary.metrics.map((m) => <th key={m}>{m} (95% CI)</th>)}
            {summary.metrics.map((m) => <th key={`d-${m}`}>Δ {m} vs {base?.label} (CI, p Holm)</th>)}
            <th>Cost / item</th><th>Latency p50 / p90 / p99</th><th className="num">Errors</th>
          </tr>
        </thead>
        <tbody>
          {summary.variants.map((v) => (
            <tr key={v.variant} data-testid="variant-summary">
              <td>{v.label}{v.variant === summary.baseline ? <> <Badge>baseline</Badge></> : null}</td>
              <td className="num">{v.n}</td>
              {summary.metrics.map((m) => { const s = v.metrics[m]; return <td key={m} className="num">{num(s?.mean)} <span className="muted">({num(s?.lower, 2)}–{num(s?.upper, 2)})</span></td>; })}
              {summary.metrics.map((m) => {
                const c = summary.comparisons.find((x) => x.variant === v.variant && x.metric === m);
                if (!c) return <td key={`d-${m}`} className="muted">—</td>;
                return (
                  <td key={`d-${m}`} className="num">
                    {c.meanDiff === null ? "—" : signed(c.meanDiff)} <span className="muted">({num(c.lower, 2)}–{num(c.upper, 2)}, p {Number.isFinite(c.pHolm) ? c.pHolm.toPrecision(2) : "—"})</span>{" "}
                    {c.significant ? <Badge tone={(c.meanDiff ?? 0) >= 0 ? "good" : "bad"}>significant</Badge> : null}
                  </td>
                );
              })}
              <td className="num">{v.costPerItemUsd === null ? "—" : usd(v.costPerItemUsd, 6)}</td>
              <td className="num">{v.latencyMs.p50 ?? "—"} / {v.latencyMs.p90 ?? "—"} / {v.latencyMs.p99 ?? "—"} ms</td>
              <td className="num">{v.errors}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">Differences are paired over the items both variants scored; p-values from a paired permutation test, Holm-corrected across the variants compared on each metric (α = {summary.alpha}).</p>
    </section>
  );
}

const SORTS: Array<{ value: ComparisonSort; label: string }> = [
  { value: "position", label: "Dataset order" },
  { value: "delta", label: "Biggest drop first" },
  { value: "-delta", label: "Biggest gain first" },
  { value: "latency", label: "Slowest first" },
  { value: "cost", label: "Most expensive first" },
];

/** The per-item comparison, a page at a time: the database filters, sorts and counts (public.experiment_comparison_page). */
function Comparison({ experimentId, labels, baseline, metrics, scaleMax }: { experimentId: string; labels: string[]; baseline: number; metrics: string[]; scaleMax: Record<string, number> }) {
  const others = labels.map((_, i) => i).filter((i) => i !== baseline);
  const [variant, setVariant] = useState<number>(others[0] ?? baseline);
  const [metric, setMetric] = useState<string>(metrics[0] ?? "");
  const [onlyRegressions, setOnlyRegressions] = useState(false);
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<ComparisonSort>("position");
  const [page, setPage] = useState(0);
  const m = metric || metrics[0] || "";
  // Typing does not send a request per key: the query follows the text once it rests for a moment.
  const [q, setQ] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setQ(search), 250);
    return () => clearTimeout(t);
  }, [search]);
  const { data: rows = [], isFetching } = useComparisonPage(experimentId, { variant, metric: m, regressions: onlyRegressions, q, sort, page, pageSize: PAGE }, labels.length > 0);
  const count = rows[0]?.total ?? 0;
  const cell = (r: ItemResult | undefined) => {
    if (!r) return <span className="muted">waiting…</span>;
    if (r.error) return <span className="form-error">{r.error}</span>;
    return (
      <>
        <div className="prose">{r.output}</div>
        <div className="small muted">
          {metrics.map((k, n) => {
            const j = judgeDetailText(r.score_details?.[k], scaleMax[k]);
            return (
              <span key={k}>
                {n ? " · " : ""}{k} {num(r.scores[k] ?? null, 2)}
                {j ? <> <span title={j.reason} data-testid="judge-detail">({j.text})</span></> : null}
              </span>
            );
          })}
          {" · "}{r.latency_ms ?? "—"} ms · {r.cost_usd === null ? "—" : usd(Number(r.cost_usd), 6)}
        </div>
      </>
    );
  };
  const reset = <T,>(set: (v: T) => void) => (v: T) => { set(v); setPage(0); };
  return (
    <section className="card" style={{ marginTop: 16 }} data-testid="comparison" aria-busy={isFetching}>
      <div className="row">
        <h3 className="section-title grow">Per item: {labels[baseline]} vs</h3>
        <select className="input" value={variant} onChange={(e) => reset(setVariant)(Number(e.target.value))} aria-label="Compared variant">
          {labels.map((l, i) => (i === baseline ? null : <option key={i} value={i}>{l}</option>))}
        </select>
        <select className="input" value={m} onChange={(e) => reset(setMetric)(e.target.value)} aria-label="Metric">
          {metrics.map((k) => <option key={k} value={k}>{k}</option>)}
        </select>
        <select className="input" value={sort} onChange={(e) => reset(setSort)(e.target.value as ComparisonSort)} aria-label="Sort">
          {SORTS.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
        </select>
        <input className="input" type="search" value={search} placeholder="Search inputs and outputs" onChange={(e) => reset(setSearch)(e.target.value)} aria-label="Search items" />
        <label className="row small"><input type="checkbox" checked={onlyRegressions} onChange={(e) => reset(setOnlyRegressions)(e.target.checked)} aria-label="Regressions only" /> Regressions only</label>
      </div>
      <p className="muted small" data-testid="comparison-count">{count} item{count === 1 ? "" : "s"}{onlyRegressions ? ` where ${labels[variant]} scored lower on ${m} than ${labels[baseline]} (or failed)` : ""}</p>
      <table className="table small" aria-label="Comparison">
        <thead><tr><th style={{ width: "22%" }}>Input</th><th>Expected</th><th>{labels[baseline]}</th><th>{labels[variant]}</th></tr></thead>
        <tbody>
          {rows.map((i) => (
            <tr key={i.item_id} data-testid="comparison-row">
              <td><div className="prose">{i.query}</div></td>
              <td><div className="prose muted">{i.expected ?? "—"}</div></td>
              <td>{cell(i.results.find((r) => r.variant === baseline))}</td>
              <td>{cell(i.results.find((r) => r.variant === variant))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {count > PAGE ? (
        <div className="row-end">
          <Button size="sm" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>Previous</Button>
          <span className="small muted">{page + 1} / {Math.ceil(count / PAGE)}</span>
          <Button size="sm" disabled={(page + 1) * PAGE >= count} onClick={() => setPage((p) => p + 1)}>Next</Button>
        </div>
      ) : null}
    </section>
  );
}
