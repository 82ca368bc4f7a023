import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ErrorState } from "../../components/ui/Field.tsx";
import { pct, usd } from "../../lib/format.ts";
import { can } from "../../lib/permissions.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { OnlineEvalTrend } from "./OnlineEvalTrend.tsx";
import { costByDay, useCostBoard, useQualityBoard } from "./queries.ts";
import { clampRange, lastDays, type DateRange } from "./range.ts";
import { ReviewBoard } from "./ReviewBoard.tsx";

const COLORS = ["#4f46e5", "#16a34a", "#dc2626", "#d97706", "#0891b2", "#9333ea", "#db2777"];
const PRESETS = [7, 30, 90];

export default function BoardsPage() {
  const org = useCurrentOrg();
  const [params, setParams] = useSearchParams();
  const range: DateRange = useMemo(() => {
    const d = lastDays(30);
    return clampRange({ from: params.get("from") ?? d.from, to: params.get("to") ?? d.to });
  }, [params]);
  const setRange = (r: DateRange) => setParams(new URLSearchParams(clampRange(r)));
  const quality = useQualityBoard(org.org_id, range);
  const cost = useCostBoard(org.org_id, range);
  const perDay = useMemo(() => costByDay(cost.data ?? [], range), [cost.data, range]);
  const totals = (cost.data ?? []).filter((x) => x.day === null);
  const q = quality.data;

  return (
    <div className="page">
      <header className="page-head">
        <h1>Boards</h1>
        <span className="grow" />
        <div className="row" role="group" aria-label="Date range">
          {PRESETS.map((n) => {
            const r = lastDays(n);
            return <button key={n} className="chip" aria-pressed={r.from === range.from && r.to === range.to} onClick={() => setRange(r)}>Last {n} days</button>;
          })}
          <label className="inline-field">From <input type="date" value={range.from} onChange={(e) => e.target.value && setRange({ ...range, from: e.target.value })} /></label>
          <label className="inline-field">To <input type="date" value={range.to} onChange={(e) => e.target.value && setRange({ ...range, to: e.target.value })} /></label>
        </div>
      </header>

      <h2>Quality</h2>
      {quality.error ? <ErrorState error={quality.error} retry={() => void quality.refetch()} /> : (
        <>
          <div className="stat-row" data-testid="quality-stats">
            <div className="stat"><div className="stat-value">{q ? q.totals.feedback.toLocaleString() : "…"}</div><div className="stat-label">Feedback</div></div>
            <div className="stat"><div className="stat-value">{q?.totals.avg_rating?.toFixed(2) ?? "—"}</div><div className="stat-label">Average rating</div></div>
            <div className="stat"><div className="stat-value">{pct(q?.totals.low_rating_share === null || q?.totals.low_rating_share === undefined ? null : Number(q.totals.low_rating_share))}</div><div className="stat-label">Rated 1–2</div></div>
            <div className="stat"><div className="stat-value">{q ? `${q.resolution.approved} / ${q.resolution.rejected}` : "…"}</div><div className="stat-label">Cases approved / rejected</div></div>
            <div className="stat"><div className="stat-value">{q?.resolution.median_hours ?? "—"} h</div><div className="stat-label">Median time to decision (p90 {q?.resolution.p90_hours ?? "—"} h)</div></div>
            <div className="stat"><div className="stat-value">{q?.resolution.pending_now ?? "…"}</div><div className="stat-label">Cases pending now</div></div>
          </div>
          <div className="grid-2">
            <section className="card" aria-label="Rating trend">
              <h3 className="section-title">Average rating and share rated 1–2</h3>
              <ResponsiveContainer width="100%" height={240}>
                <LineChart data={q?.days ?? []}>
                  <CartesianGrid strokeDasharray="3 3" /><XAxis dataKey="day" fontSize={11} /><YAxis yAxisId="r" domain={[1, 5]} /><YAxis yAxisId="s" orientation="right" domain={[0, 1]} tickFormatter={(v) => `${Math.round(v * 100)}%`} />
                  <Tooltip /><Legend />
                  <Line yAxisId="r" dataKey="avg_rating" name="Average rating" stroke={COLORS[0]} dot={false} isAnimationActive={false} connectNulls />
                  <Line yAxisId="s" dataKey="low_rating_share" name="Rated 1–2" stroke={COLORS[2]} dot={false} isAnimationActive={false} connectNulls />
                </LineChart>
              </ResponsiveContainer>
            </section>
            <section className="card" aria-label="Cases per day">
              <h3 className="section-title">Cases per day</h3>
              <ResponsiveContainer width="100%" height={240}>
                <BarChart data={q?.days ?? []}>
                  <CartesianGrid strokeDasharray="3 3" /><XAxis dataKey="day" fontSize={11} /><YAxis allowDecimals={false} /><Tooltip /><Legend />
                  <Bar dataKey="cases_opened" name="Opened" fill={COLORS[0]} isAnimationActive={false} />
                  <Bar dataKey="cases_approved" name="Approved" fill={COLORS[1]} isAnimationActive={false} />
                  <Bar dataKey="cases_rejected" name="Rejected" fill={COLORS[2]} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </section>
          </div>
          {q?.models.length ? (
            <table className="table" style={{ marginTop: 16 }} aria-label="Model accuracy by version">
              <thead><tr><th>Model</th><th>Base</th><th className="num">Version</th><th className="num">Accuracy</th><th>Live</th></tr></thead>
              <tbody>{q.models.map((m) => <tr key={m.id}><td>{m.name}</td><td>{m.base_model}</td><td className="num">v{m.version}</td><td className="num">{pct(m.accuracy)}</td><td>{m.is_live ? "Live" : ""}</td></tr>)}</tbody>
            </table>
          ) : null}
        </>
      )}

      <h2 style={{ marginTop: 28 }}>Online evaluation</h2>
      <OnlineEvalTrend orgId={org.org_id} range={range} />
      {can(org.role, "review:report") ? (
        <>
          <h2 style={{ marginTop: 28 }}>Reviewers</h2>
          <ReviewBoard orgId={org.org_id} range={range} />
        </>
      ) : null}

      <h2 style={{ marginTop: 28 }}>Cost</h2>
      {cost.error ? <ErrorState error={cost.error} retry={() => void cost.refetch()} /> : (
        <>
          <div className="stat-row" data-testid="cost-stats">
            <div className="stat"><div className="stat-value">{usd(totals.reduce((s, x) => s + x.cost_usd, 0), 2)}</div><div className="stat-label">LLM cost</div></div>
            <div className="stat"><div className="stat-value">{totals.reduce((s, x) => s + x.requests, 0).toLocaleString()}</div><div className="stat-label">Requests</div></div>
            <div className="stat"><div className="stat-value">{totals.reduce((s, x) => s + x.errors, 0).toLocaleString()}</div><div className="stat-label">Errors</div></div>
          </div>
          <section className="card" aria-label="Cost per day">
            <h3 className="section-title">Cost per day by model</h3>
            <ResponsiveContainer width="100%" height={260}>
              <AreaChart data={perDay.points}>
                <CartesianGrid strokeDasharray="3 3" /><XAxis dataKey="day" fontSize={11} /><YAxis tickFormatter={(v) => `$${Number(v).toFixed(2)}`} />
                <Tooltip formatter={(v) => usd(Number(v), 4)} /><Legend />
                {perDay.models.map((m, i) => <Area key={m} dataKey={m} stackId="1" stroke={COLORS[i % COLORS.length]} fill={COLORS[i % COLORS.length]} fillOpacity={0.35} isAnimationActive={false} />)}
              </AreaChart>
            </ResponsiveContainer>
          </section>
          <table className="table" style={{ marginTop: 16 }} aria-label="Cost by model and function">
            <thead><tr><th>Model</th><th>Function</th><th className="num">Requests</th><th className="num">Error rate</th><th className="num">Tokens in / out</th><th className="num">Cost</th><th className="num">p50 / p95 latency</th></tr></thead>
            <tbody>
              {totals.map((x) => (
                <tr key={`${x.model}/${x.function_name}`}>
                  <td>{x.model}</td><td>{x.function_name}</td><td className="num">{x.requests.toLocaleString()}</td><td className="num">{pct(x.error_rate === null ? null : Number(x.error_rate))}</td>
                  <td className="num">{Number(x.input_tokens).toLocaleString()} / {Number(x.output_tokens).toLocaleString()}</td><td className="num">{usd(x.cost_usd, 4)}</td>
                  <td className="num">{x.latency_p50_ms ?? "—"} / {x.latency_p95_ms ?? "—"} ms</td>
                </tr>
              ))}
              {!totals.length ? <tr><td colSpan={7} className="muted">No LLM calls in this range.</td></tr> : null}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
