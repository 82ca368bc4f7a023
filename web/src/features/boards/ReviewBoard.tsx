import { useMemo, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { agreementOverTime, costPerReviewedItem, type Bucket } from "@review/shared/review/boards";
import { ErrorState } from "../../components/ui/Field.tsx";
import { usd } from "../../lib/format.ts";
import { useMembers } from "../orgs/index.ts";
import { useReviewBoard } from "./queries.ts";
import type { DateRange } from "./range.ts";

const COLORS = ["#4f46e5", "#16a34a", "#dc2626", "#d97706", "#0891b2", "#9333ea", "#db2777"];
const fmt = (x: number | null | undefined, d = 2) => (x != null && Number.isFinite(x) ? x.toFixed(d) : "—");

/**
 * The reviewers' part of the managers' board, over the board's date range: throughput per reviewer,
 * agreement over time (alpha per rubric over the items completed in each day or week, computed here with
 * the report's statistics from the compact rows public.board_review returns), and the cost per reviewed item.
 */
export function ReviewBoard({ orgId, range }: { orgId: string; range: DateRange }) {
  const board = useReviewBoard(orgId, range);
  const members = useMembers(orgId);
  const [bucket, setBucket] = useState<Bucket>("week");
  const b = board.data;
  const name = (id: string) => members.byId.get(id)?.name ?? "Unknown member";

  const throughput = useMemo(() => {
    const rows = b?.throughput ?? [];
    const reviewers = [...new Set(rows.map((r) => r.reviewer_id))];
    const days = new Map<string, Record<string, number | string>>();
    for (const r of rows) {
      const p = days.get(r.day) ?? { day: r.day };
      p[r.reviewer_id] = r.items;
      days.set(r.day, p);
    }
    const totals = reviewers.map((id) => ({ id, items: rows.filter((r) => r.reviewer_id === id).reduce((s, r) => s + r.items, 0), days: rows.filter((r) => r.reviewer_id === id).length }));
    return { reviewers, points: [...days.values()].sort((x, y) => String(x.day).localeCompare(String(y.day))), totals: totals.sort((x, y) => y.items - x.items) };
  }, [b]);

  const agreement = useMemo(() => (b ? agreementOverTime(b.agreement.rubrics, b.agreement.units, bucket, { resamples: 200, seed: `${orgId}/${range.from}/${range.to}` }) : []), [b, bucket, orgId, range]);
  const rubricIds = [...new Set(agreement.map((p) => p.rubricId))];
  const rubricName = (id: string) => {
    const r = b?.agreement.rubrics.find((x) => x.id === id);
    return r ? `${r.name} v${r.version}` : id;
  };
  const series = useMemo(() => {
    const byWindow = new Map<string, Record<string, number | string | null>>();
    for (const p of agreement) {
      const row = byWindow.get(p.window) ?? { window: p.window };
      row[p.rubricId] = Number.isFinite(p.alpha.estimate) ? Number(p.alpha.estimate.toFixed(3)) : null;
      byWindow.set(p.window, row);
    }
    return [...byWindow.values()].sort((x, y) => String(x.window).localeCompare(String(y.window)));
  }, [agreement]);
  const cost = b?.cost ? costPerReviewedItem(b.cost) : null;

  if (board.error) return <ErrorState error={board.error} retry={() => void board.refetch()} />;
  return (
    <div className="stack" data-testid="review-board">
      <div className="stat-row" data-testid="review-stats">
        <div className="stat"><div className="stat-value">{b ? b.throughput.reduce((s, r) => s + r.items, 0) : "…"}</div><div className="stat-label">Ratings submitted</div></div>
        <div className="stat"><div className="stat-value">{throughput.reviewers.length}</div><div className="stat-label">Reviewers</div></div>
        <div className="stat"><div className="stat-value" data-testid="items-reviewed">{cost ? cost.items : "—"}</div><div className="stat-label">Items completed</div></div>
        <div className="stat">
          <div className="stat-value" data-testid="cost-per-item">{cost ? (cost.perItemUsd === null ? "—" : usd(cost.perItemUsd, 4)) : "—"}</div>
          <div className="stat-label" title="LLM cost attributable to the items completed in the range (the judge's calls on them, plus the generation of the reviewed output where the item links to it) divided by the number of items completed (all their ratings in) in the range">
            Cost per reviewed item{cost?.judgeTokensPerItem != null ? ` (${Math.round(cost.judgeTokensPerItem).toLocaleString()} judge tokens)` : ""}
          </div>
        </div>
      </div>
      <div className="muted small">
        Cost per reviewed item = LLM cost attributable to the items completed in this range (every LLM-judge call on them, plus the generation cost of the output under review where the item links to it: an LLM request or an A/B output) ÷ the items completed in the range (all their ratings in; dated by the last one). {cost ? `${usd(cost.costUsd, 4)} over ${cost.items} items.` : "Needs the usage permission."}
      </div>
      <div className="grid-2">
        <section className="card" aria-label="Reviewer throughput per day">
          <h3 className="section-title">Reviewer throughput (items scored per day)</h3>
          <ResponsiveContainer width="100%" height={240}>
            <BarChart data={throughput.points}>
              <CartesianGrid strokeDasharray="3 3" /><XAxis dataKey="day" fontSize={11} /><YAxis allowDecimals={false} /><Tooltip /><Legend />
              {throughput.reviewers.map((id, i) => <Bar key={id} dataKey={id} name={name(id)} stackId="r" fill={COLORS[i % COLORS.length]} isAnimationActive={false} />)}
            </BarChart>
          </ResponsiveContainer>
        </section>
        <section className="card" aria-label="Agreement over time">
          <div className="row">
            <h3 className="section-title">Agreement over time (Krippendorff's α per rubric)</h3>
            <span className="grow" />
            <div className="row" role="group" aria-label="Agreement window">
              {(["day", "week"] as const).map((k) => <button key={k} className="chip" aria-pressed={bucket === k} onClick={() => setBucket(k)}>Per {k}</button>)}
            </div>
          </div>
          <ResponsiveContainer width="100%" height={240}>
            <LineChart data={series}>
              <CartesianGrid strokeDasharray="3 3" /><XAxis dataKey="window" fontSize={11} /><YAxis domain={[-1, 1]} /><Tooltip /><Legend />
              {rubricIds.map((id, i) => <Line key={id} dataKey={id} name={rubricName(id)} stroke={COLORS[i % COLORS.length]} isAnimationActive={false} connectNulls />)}
            </LineChart>
          </ResponsiveContainer>
        </section>
      </div>
      <table className="table" aria-label="Reviewer throughput">
        <thead><tr><th>Reviewer</th><th className="num">Items scored</th><th className="num">Active days</th><th className="num">Per active day</th></tr></thead>
        <tbody>
          {throughput.totals.map((t) => (
            <tr key={t.id} data-testid={`board-throughput-${name(t.id)}`}>
              <td>{name(t.id)}</td><td className="num" data-testid="board-throughput-items">{t.items}</td><td className="num">{t.days}</td><td className="num">{fmt(t.items / Math.max(1, t.days), 1)}</td>
            </tr>
          ))}
          {b && !throughput.totals.length ? <tr><td colSpan={4} className="muted">No ratings in this range.</td></tr> : null}
        </tbody>
      </table>
      <table className="table" aria-label="Agreement per window">
        <thead><tr><th>{bucket === "week" ? "Week of" : "Day"}</th><th>Rubric</th><th>Level</th><th className="num">Items</th><th className="num">α</th><th>95% CI</th></tr></thead>
        <tbody>
          {agreement.map((p) => (
            <tr key={`${p.window}/${p.rubricId}`}>
              <td>{p.window}</td><td>{rubricName(p.rubricId)}</td><td>{p.level}</td><td className="num">{p.items}</td><td className="num">{fmt(p.alpha.estimate, 3)}</td><td className="num">[{fmt(p.alpha.lower)}, {fmt(p.alpha.upper)}]</td>
            </tr>
          ))}
          {b && !agreement.length ? <tr><td colSpan={6} className="muted">No item was completed in this range.</td></tr> : null}
        </tbody>
      </table>
    </div>
  );
}
