import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { Tabs } from "radix-ui";
import { finalsCsv, finalsJsonl } from "@review/shared/review/report";
import { Button } from "../../components/ui/Button.tsx";
import { AvatarStack } from "../../components/ui/Avatar.tsx";
import { Badge } from "../../components/ui/Badge.tsx";
import { EmptyState, ErrorState, ProgressBar } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg, useMembers } from "../orgs/index.ts";
import { useMe } from "../orgs/index.ts";
import { optionsOf, valueForDigit, workKey, WORK_SHORTCUTS } from "./keyboard.ts";
import { JudgeSection } from "./JudgeSection.tsx";
import { PreferenceSection } from "./PreferenceSection.tsx";
import { useQueuePresence, type QueuePeer } from "./presence.ts";
import HumanVsEvaluators from "./HumanVsEvaluators.tsx";
import {
  fetchFinals, progressByReviewer, rqKeys, useAdjudicate, useAssignments, useClaimNext, useItems, useQueue, useQueueLive, useRelease, useRubrics, useStoredReport, useSubmitScores,
  type Claimed, type ReviewItem, type ScoreConfig, type StoredReport,
} from "./queries.ts";

/** The item the caller holds a slot on, as the last claim returned it (shared by the work view and presence). */
function useCurrent(queueId: string): Claimed {
  return useQuery<Claimed>({ queryKey: rqKeys.current(queueId), queryFn: () => null, staleTime: Infinity, enabled: false }).data ?? null;
}

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "—");

export default function QueuePage() {
  const { queueId = "" } = useParams();
  const org = useCurrentOrg();
  const me = useMe(org.org_id);
  const queue = useQueue(queueId);
  const rubricsQ = useRubrics(org.org_id);
  const canScore = can(org.role, "review:score");
  const canReport = can(org.role, "review:report");
  useQueueLive(queueId, canReport);
  const canAdjudicate = can(org.role, "review:adjudicate");
  const viewing = useCurrent(queueId)?.item.id ?? null;
  const peers = useQueuePresence(org.org_id, queueId, me, viewing, canScore);

  if (queue.error) return <div className="page"><ErrorState error={queue.error} /></div>;
  if (queue.data === null || (queue.data && queue.data.org_id !== org.org_id)) return <div className="page"><EmptyState title="This review queue does not exist here.">It may belong to another organization.</EmptyState></div>;
  if (!queue.data || !rubricsQ.data) return <div className="page muted">Loading…</div>;
  const rubrics = queue.data.score_config_ids.map((id) => rubricsQ.data.find((r) => r.id === id)).filter((r): r is ScoreConfig => !!r);

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <div className="crumbs"><Link to="..">Review queues</Link></div>
          <h1>{queue.data.name}</h1>
          <div className="muted">{queue.data.overlap} reviewers per item · blind until you submit · {rubrics.map((r) => `${r.name} v${r.version}`).join(", ")}</div>
        </div>
        <span className="grow" />
        <span data-testid="queue-presence" aria-label={`In this queue: ${peers.map((p) => p.name).join(", ") || "nobody else"}`}>
          {peers.length ? <AvatarStack people={peers.map((p) => ({ key: p.userId, name: p.name, color: p.color }))} max={6} label={`In this queue: ${peers.map((p) => p.name).join(", ")}`} /> : <span className="muted small">Nobody else here</span>}
        </span>
      </header>
      <Tabs.Root defaultValue={canScore ? "work" : "progress"} className="tabs">
        <Tabs.List className="tab-list" aria-label="Queue sections">
          {canScore ? <Tabs.Trigger className="tab" value="work">Score</Tabs.Trigger> : null}
          <Tabs.Trigger className="tab" value="progress">Progress</Tabs.Trigger>
          {canReport ? <Tabs.Trigger className="tab" value="report">Agreement report</Tabs.Trigger> : null}
          {canAdjudicate || canReport ? <Tabs.Trigger className="tab" value="adjudicate">Adjudication</Tabs.Trigger> : null}
          {queue.data.source_kind === "experiment" ? <Tabs.Trigger className="tab" value="evaluators">People vs evaluators</Tabs.Trigger> : null}
        </Tabs.List>
        {canScore ? <Tabs.Content value="work"><WorkView queueId={queueId} rubrics={rubrics} peers={peers} /></Tabs.Content> : null}
        <Tabs.Content value="progress"><ProgressView queueId={queueId} overlap={queue.data.overlap} orgId={org.org_id} /></Tabs.Content>
        {canReport ? <Tabs.Content value="report"><ReportView queueId={queueId} rubrics={rubrics} orgId={org.org_id} name={queue.data.name} /></Tabs.Content> : null}
        {canAdjudicate || canReport ? (
          <Tabs.Content value="adjudicate"><AdjudicationView queueId={queueId} rubrics={rubrics} orgId={org.org_id} threshold={queue.data.disagreement_threshold} canDecide={canAdjudicate} /></Tabs.Content>
        ) : null}
        {queue.data.source_kind === "experiment" ? <Tabs.Content value="evaluators"><HumanVsEvaluators queue={queue.data} orgId={org.org_id} /></Tabs.Content> : null}
      </Tabs.Root>
    </div>
  );
}

// ---- scoring --------------------------------------------------------------------------------------------

function WorkView({ queueId, rubrics, peers }: { queueId: string; rubrics: ScoreConfig[]; peers: QueuePeer[] }) {
  const claim = useClaimNext(queueId);
  const submit = useSubmitScores(queueId);
  const release = useRelease(queueId);
  const current = useCurrent(queueId);
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [focus, setFocus] = useState(0);
  const [help, setHelp] = useState(false);
  const [done, setDone] = useState(false);
  const item = current?.item ?? null;

  async function next() {
    try {
      const got = await claim.mutateAsync();
      setValues({});
      setFocus(0);
      setDone(!got);
    } catch (err) {
      toast.error("Could not take an item", messageOf(err));
    }
  }

  async function send() {
    if (!item) return;
    const missing = rubrics.find((r) => r.kind !== "text" && values[r.id] === undefined);
    if (missing) {
      toast.error(`Score "${missing.name}" first`);
      setFocus(rubrics.indexOf(missing));
      return;
    }
    try {
      await submit.mutateAsync({ itemId: item.id, scores: values });
      toast.success("Scores submitted");
      await next();
    } catch (err) {
      toast.error("Could not submit", messageOf(err));
    }
  }

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const a = workKey(e);
      if (!a) return;
      if (a.type === "help") return setHelp((h) => !h);
      if (!item) {
        if (a.type === "submit") (e.preventDefault(), void next());
        return;
      }
      e.preventDefault();
      if (a.type === "next") setFocus((f) => Math.min(rubrics.length - 1, f + 1));
      else if (a.type === "prev") setFocus((f) => Math.max(0, f - 1));
      else if (a.type === "submit") void send();
      else if (a.type === "digit") {
        const r = rubrics[focus];
        if (!r) return;
        const v = valueForDigit(r, a.digit, values[r.id]);
        if (v !== undefined) {
          setValues((old) => ({ ...old, [r.id]: v }));
          // The next rubric takes the next number key, so a row of digits then Enter scores an item.
          if (!(r.kind === "categorical" && r.multi)) setFocus((f) => Math.min(rubrics.length - 1, f + 1));
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  if (!item) {
    return (
      <div className="panel" style={{ padding: 24 }}>
        {done ? <EmptyState title="Nothing left for you in this queue.">Every item either has its reviewers or has your scores.</EmptyState> : null}
        <Button variant="primary" busy={claim.isPending} onClick={() => void next()} data-testid="claim-next">Take the next item (Enter)</Button>
        <div className="muted small" style={{ marginTop: 8 }}>Your scores are blind: you see others' only after submitting yours.</div>
      </div>
    );
  }
  const here = peers.filter((p) => p.viewing === item.id);
  return (
    <div className="case-grid" data-testid="work-view">
      <section className="panel">
        <div className="panel-head">
          <strong>Item {item.position}</strong>
          <span className="muted small">slot {current!.assignment.slot} · lease until {current!.assignment.lease_expires_at ? new Date(current!.assignment.lease_expires_at).toLocaleTimeString() : "—"}</span>
          {here.length ? <span className="muted small">Also here: {here.map((p) => p.name).join(", ")}</span> : null}
        </div>
        <div className="panel-body"><ItemBody item={item} /></div>
      </section>
      <section className="panel" aria-label="Rubrics">
        <div className="panel-head"><strong>Score</strong><span className="muted small">1–9 score · j/k move · Enter submits · ? help</span></div>
        <div className="panel-body stack">
          {rubrics.map((r, i) => (
            <RubricInput key={r.id} rubric={r} focused={i === focus} value={values[r.id]} onFocus={() => setFocus(i)} onChange={(v) => setValues((old) => ({ ...old, [r.id]: v }))} />
          ))}
          <div className="row-end">
            <Button variant="ghost" onClick={() => void release.mutateAsync(item.id)}>Give back</Button>
            <Button variant="primary" busy={submit.isPending} onClick={() => void send()} data-testid="submit-scores">Submit (Enter)</Button>
          </div>
          {help ? <ul className="shortcuts">{WORK_SHORTCUTS.map((s) => <li key={s.keys}><kbd>{s.keys}</kbd> {s.description}</li>)}</ul> : null}
        </div>
      </section>
    </div>
  );
}

function ItemBody({ item }: { item: ReviewItem }) {
  if (item.is_pairwise) {
    return (
      <div className="stack">
        <div><div className="section-title">Question</div><div className="prose">{item.query}</div></div>
        <div className="row" style={{ alignItems: "stretch" }}>
          <div className="card" style={{ flex: 1 }}><div className="section-title">A</div><div className="prose">{item.output_a}</div></div>
          <div className="card" style={{ flex: 1 }}><div className="section-title">B</div><div className="prose">{item.output_b}</div></div>
        </div>
      </div>
    );
  }
  const ctx = item.context as { rating?: number; comment?: string };
  return (
    <div className="stack">
      <div><div className="section-title">Question</div><div className="prose" data-testid="item-query">{item.query}</div></div>
      <div><div className="section-title">Answer</div><div className="prose">{item.response}</div></div>
      {ctx.rating ? <div className="muted small">User rating {ctx.rating}/5{ctx.comment ? ` — “${ctx.comment}”` : ""}</div> : null}
    </div>
  );
}

function RubricInput({ rubric, focused, value, onFocus, onChange }: { rubric: ScoreConfig; focused: boolean; value: unknown; onFocus(): void; onChange(v: unknown): void }) {
  const opts = optionsOf(rubric);
  const isOn = (v: unknown) => (Array.isArray(value) ? value.includes(v) : value === v);
  return (
    <div className={`card ${focused ? "rubric-focused" : ""}`} style={focused ? { outline: "2px solid var(--accent, #6366f1)" } : undefined} onClick={onFocus} data-testid={`rubric-${rubric.name}`} aria-current={focused || undefined}>
      <div className="row"><strong>{rubric.name}</strong><span className="muted small">{rubric.description}</span></div>
      {rubric.kind === "text" ? (
        <textarea rows={2} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value || undefined)} aria-label={rubric.name} />
      ) : opts.length ? (
        <div className="chip-group" role="group" aria-label={rubric.name}>
          {opts.map((o, i) => (
            <button key={String(o.value)} type="button" className="chip" aria-pressed={isOn(o.value)} onClick={() => onChange(rubric.kind === "categorical" && rubric.multi ? valueForDigit(rubric, i + 1, value) : o.value)}>
              <span className="muted small">{i + 1}</span> {o.label}
            </button>
          ))}
        </div>
      ) : (
        <input type="number" min={Number(rubric.min_value)} max={Number(rubric.max_value)} step={Number(rubric.step ?? 1)} value={typeof value === "number" ? value : ""} onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))} aria-label={rubric.name} />
      )}
    </div>
  );
}

// ---- progress -------------------------------------------------------------------------------------------

function ProgressView({ queueId, overlap, orgId }: { queueId: string; overlap: number; orgId: string }) {
  const items = useItems(queueId);
  const assignments = useAssignments(queueId);
  const members = useMembers(orgId);
  const per = progressByReviewer(assignments.data ?? []);
  const total = items.data?.length ?? 0;
  const slots = total * overlap;
  const submitted = [...per.values()].reduce((s, p) => s + p.submitted, 0);
  const complete = (assignments.data ?? []).length ? new Set((items.data ?? []).filter((i) => i.status === "complete").map((i) => i.id)).size : 0;
  return (
    <div className="stack" data-testid="progress-view">
      <div className="stat-row">
        <div className="stat"><div className="stat-value">{total}</div><div className="muted small">items</div></div>
        <div className="stat"><div className="stat-value">{complete}</div><div className="muted small">fully reviewed</div></div>
        <div className="stat"><div className="stat-value" data-testid="ratings-submitted">{submitted}</div><div className="muted small">of {slots} ratings</div></div>
      </div>
      <ProgressBar value={slots ? (100 * submitted) / slots : 0} label="Queue progress" />
      <table className="table" aria-label="Progress per reviewer">
        <thead><tr><th>Reviewer</th><th>Scored</th><th style={{ width: "50%" }}>Share of the items</th><th>Holding</th></tr></thead>
        <tbody>
          {[...per.entries()].sort((a, b) => b[1].submitted - a[1].submitted).map(([id, p]) => {
            const name = members.byId.get(id)?.name ?? "Unknown member";
            return (
              <tr key={id} data-testid={`progress-${name}`}>
                <td>{name}</td>
                <td className="num" data-testid="progress-count">{p.submitted}</td>
                <td><ProgressBar value={total ? (100 * p.submitted) / total : 0} label={`Progress of ${name}`} /></td>
                <td className="num">{p.holding}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

// ---- report, adjudication, export ------------------------------------------------------------------------

/** The worker's stored report (it follows scores and decisions live: useQueueLive). */
function useReport(queueId: string): { report: StoredReport | null; loading: boolean; error: unknown } {
  const q = useStoredReport(queueId);
  return { report: q.data ?? null, loading: q.isLoading, error: q.error };
}

function ReportView({ queueId, rubrics, orgId, name }: { queueId: string; rubrics: ScoreConfig[]; orgId: string; name: string }) {
  const { report, loading, error } = useReport(queueId);
  const members = useMembers(orgId);
  const items = useItems(queueId);
  const who = (id: string) => members.byId.get(id)?.name ?? "Unknown member";
  if (error) return <ErrorState error={error} />;
  if (!report) return <div className="muted">{loading ? "Loading…" : "Computing the first report…"}</div>;

  async function download(kind: "jsonl" | "csv") {
    const rows = (items.data ?? []).map((i) => ({ id: i.id, source_kind: i.source_kind, source_id: i.source_id, query: i.query }));
    let finals;
    try {
      finals = await fetchFinals(queueId);
    } catch (err) {
      toast.error("Could not export", messageOf(err));
      return;
    }
    const text = kind === "jsonl" ? finalsJsonl(rows, rubrics, finals) : finalsCsv(rows, rubrics, finals);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text + "\n"], { type: kind === "jsonl" ? "application/jsonl" : "text/csv" }));
    a.download = `${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}-final-scores.${kind}`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  return (
    <div className="stack" data-testid="report-view">
      <div className="stat-row">
        <div className="stat"><div className="stat-value" data-testid="report-items">{report.items}</div><div className="muted small">items rated</div></div>
        <div className="stat"><div className="stat-value" data-testid="report-ratings">{report.ratings}</div><div className="muted small">ratings</div></div>
        <div className="stat"><div className="stat-value">{report.reviewers.length}</div><div className="muted small">reviewers</div></div>
        <div className="stat"><div className="stat-value">{report.disagreements.length}</div><div className="muted small">disagreements</div></div>
        <span className="grow" />
        <span className="muted small" data-testid="report-computed" title="Computed by the worker as scores arrive; disagreements and exports list items that have all their ratings">
          over {report.scoresCount} scores · {new Date(report.computedAt).toLocaleTimeString()}
        </span>
        <Button onClick={() => void download("jsonl")}>Export JSONL</Button>
        <Button onClick={() => void download("csv")}>Export CSV</Button>
      </div>
      <table className="table" aria-label="Agreement per rubric">
        <thead><tr><th>Rubric</th><th>Level</th><th>Krippendorff's α</th><th>95% CI (bootstrap)</th><th>Items</th><th>Ratings</th></tr></thead>
        <tbody>
          {report.rubrics.map((r) => (
            <tr key={r.rubric.id} data-testid={`alpha-${r.rubric.name}`}>
              <td>{r.rubric.name} v{r.rubric.version}</td><td>{r.level}</td>
              <td className="num" data-testid="alpha-value">{fmt(r.alpha.estimate, 3)}</td>
              <td className="num">[{fmt(r.alpha.lower)}, {fmt(r.alpha.upper)}]</td>
              <td className="num">{r.items}</td><td className="num">{r.ratings}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3 className="section-title">Pairs of reviewers (Cohen's κ)</h3>
      <table className="table" aria-label="Cohen's kappa per pair">
        <thead><tr><th>Rubric</th><th>Reviewers</th><th>Items both rated</th><th>κ</th></tr></thead>
        <tbody>
          {report.pairs.map((p) => (
            <tr key={`${p.rubricId}/${p.a}/${p.b}`}>
              <td>{rubrics.find((r) => r.id === p.rubricId)?.name}</td><td>{who(p.a)} · {who(p.b)}</td><td className="num">{p.items}</td><td className="num">{fmt(p.kappa)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3 className="section-title">Agreement with the consensus</h3>
      <table className="table" aria-label="Agreement with consensus per reviewer">
        <thead><tr><th>Rubric</th><th>Reviewer</th><th>Rated</th><th>Agrees</th></tr></thead>
        <tbody>
          {report.perReviewer.map((p) => (
            <tr key={`${p.rubricId}/${p.reviewerId}`}>
              <td>{rubrics.find((r) => r.id === p.rubricId)?.name}</td><td>{who(p.reviewerId)}</td><td className="num">{p.rated}</td><td className="num">{Number.isFinite(p.agreement) ? `${Math.round(100 * p.agreement)}%` : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <PreferenceSection queueId={queueId} rubrics={rubrics} />
      <JudgeSection queueId={queueId} queueName={name} rubrics={rubrics} />
    </div>
  );
}

function AdjudicationView({ queueId, rubrics, orgId, threshold, canDecide }: { queueId: string; rubrics: ScoreConfig[]; orgId: string; threshold: number; canDecide: boolean }) {
  const { report, error } = useReport(queueId);
  const items = useItems(queueId);
  const members = useMembers(orgId);
  const adjudicate = useAdjudicate();
  const [draft, setDraft] = useState<Record<string, { value?: unknown; reason: string }>>({});
  if (error) return <ErrorState error={error} />;
  if (!report) return <div className="muted">Computing…</div>;
  if (!report.disagreements.length) return <EmptyState title="No disagreements above the threshold.">Items land here when reviewers disagree by more than {Math.round(threshold * 100)}%.</EmptyState>;
  const byItem = new Map((items.data ?? []).map((i) => [i.id, i]));
  return (
    <table className="table" aria-label="Disagreements" data-testid="adjudication-view">
      <thead><tr><th style={{ width: "30%" }}>Item</th><th>Rubric</th><th>Ratings</th><th>Final</th></tr></thead>
      <tbody>
        {report.disagreements.map((d) => {
          const r = rubrics.find((x) => x.id === d.rubricId)!;
          const key = `${d.itemId}/${d.rubricId}`;
          const cur = draft[key] ?? { reason: "" };
          const item = byItem.get(d.itemId);
          return (
            <tr key={key} data-testid={`disagreement-${item?.position ?? d.itemId}-${r.name}`}>
              <td><div className="prose small">{item?.query}</div></td>
              <td>{r.name}<div className="muted small">disagreement {Math.round(d.disagreement * 100)}%</div></td>
              <td>{d.ratings.map((x) => <div key={x.reviewerId}>{members.byId.get(x.reviewerId)?.name ?? "Unknown"}: <strong>{JSON.stringify(x.value)}</strong></div>)}</td>
              <td>
                {d.adjudicated !== undefined ? <Badge tone="good">Final: {JSON.stringify(d.adjudicated)}</Badge> : null}
                {canDecide ? (
                  <form className="stack" onSubmit={(e) => {
                    e.preventDefault();
                    if (cur.value === undefined) return;
                    void adjudicate.mutateAsync({ itemId: d.itemId, rubricId: d.rubricId, value: cur.value, reason: cur.reason })
                      .then(() => toast.success("Decision recorded"))
                      .catch((err) => toast.error("Could not record the decision", messageOf(err)));
                  }}>
                    <div className="chip-group" role="group" aria-label={`Final ${r.name}`}>
                      {optionsOf(r).map((o) => (
                        <button key={String(o.value)} type="button" className="chip" aria-pressed={cur.value === o.value} onClick={() => setDraft({ ...draft, [key]: { ...cur, value: o.value } })}>{o.label}</button>
                      ))}
                    </div>
                    <input placeholder="Why (required)" aria-label="Reason" value={cur.reason} onChange={(e) => setDraft({ ...draft, [key]: { ...cur, reason: e.target.value } })} />
                    <Button type="submit" size="sm" variant="primary" disabled={cur.value === undefined || cur.reason.trim().length < 3}>Decide</Button>
                  </form>
                ) : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
