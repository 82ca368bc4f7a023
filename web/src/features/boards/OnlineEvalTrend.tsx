import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ErrorState } from "../../components/ui/Field.tsx";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import type { DateRange } from "./range.ts";

export type OnlineEvalPoint = { bucket: string; rule_id: string; evaluator_name: string; evaluator_version: number; n: number; mean_score: number | null };

const COLORS = ["#4f46e5", "#16a34a", "#dc2626", "#d97706", "#0891b2", "#9333ea", "#db2777"];

export function useOnlineEvalBoard(orgId: string, r: DateRange, bucket: "day" | "hour") {
  return useQuery({
    queryKey: ["board", "online-eval", orgId, r, bucket],
    queryFn: async () =>
      (unwrap(await supabase.rpc("board_online_eval", { p_org: orgId, p_from: r.from, p_to: r.to, p_bucket: bucket })) as OnlineEvalPoint[]).map((x) => ({ ...x, n: Number(x.n) })),
    placeholderData: (prev) => prev,
  });
}

/** One series per online evaluator rule: its mean score per bucket (the points carry n for the tooltip). */
export function trendSeries(rows: OnlineEvalPoint[]) {
  const rules = [...new Map(rows.map((x) => [x.rule_id, `${x.evaluator_name} v${x.evaluator_version}`])).entries()];
  const byBucket = new Map<string, Record<string, number | string | null>>();
  for (const x of rows) {
    const p = byBucket.get(x.bucket) ?? { bucket: x.bucket };
    p[x.rule_id] = x.mean_score;
    p[`${x.rule_id}:n`] = x.n;
    byBucket.set(x.bucket, p);
  }
  return { rules, points: [...byBucket.values()].sort((a, b) => String(a.bucket).localeCompare(String(b.bucket))) };
}

/** The boards' online evaluation trend: mean score per rule per day (or hour) with n, over the board's range. */
export function OnlineEvalTrend({ orgId, range }: { orgId: string; range: DateRange }) {
  const [bucket, setBucket] = useState<"day" | "hour">("day");
  const q = useOnlineEvalBoard(orgId, range, bucket);
  const { rules, points } = useMemo(() => trendSeries(q.data ?? []), [q.data]);
  const label = (b: string) => (bucket === "day" ? b.slice(0, 10) : `${b.slice(5, 10)} ${b.slice(11, 16)}`);
  const totals = useMemo(() => {
    const m = new Map<string, { n: number; sum: number }>();
    for (const x of q.data ?? []) {
      const t = m.get(x.rule_id) ?? { n: 0, sum: 0 };
      t.n += x.n;
      t.sum += (x.mean_score ?? 0) * x.n;
      m.set(x.rule_id, t);
    }
    return m;
  }, [q.data]);

  return (
    <section className="card" aria-label="Online evaluation trend" data-testid="online-eval-trend">
      <div className="row">
        <h3 className="section-title">Online evaluation: mean score per {bucket}</h3>
        <span className="grow" />
        <div className="row" role="group" aria-label="Online evaluation bucket">
          {(["day", "hour"] as const).map((b) => <button key={b} className="chip" aria-pressed={bucket === b} onClick={() => setBucket(b)}>Per {b}</button>)}
        </div>
      </div>
      {q.error ? <ErrorState error={q.error} retry={() => void q.refetch()} /> : !rules.length ? (
        <p className="muted">No online evaluation scores in this range.</p>
      ) : (
        <>
          <ResponsiveContainer width="100%" height={240}>
            <LineChart data={points}>
              <CartesianGrid strokeDasharray="3 3" /><XAxis dataKey="bucket" tickFormatter={label} fontSize={11} /><YAxis domain={[0, 1]} />
              <Tooltip labelFormatter={(b) => label(String(b))} formatter={(v, name, item) => [`${Number(v).toFixed(2)} (n = ${(item.payload as Record<string, number>)[`${String(item.dataKey)}:n`] ?? 0})`, name]} />
              <Legend />
              {rules.map(([id, name], i) => <Line key={id} dataKey={id} name={name} stroke={COLORS[i % COLORS.length]} isAnimationActive={false} connectNulls />)}
            </LineChart>
          </ResponsiveContainer>
          <table className="table" aria-label="Online evaluation by rule">
            <thead><tr><th>Evaluator</th><th className="num">Scored calls</th><th className="num">Mean score</th></tr></thead>
            <tbody>
              {rules.map(([id, name]) => {
                const t = totals.get(id)!;
                return <tr key={id} data-testid="online-eval-board-row"><td>{name}</td><td className="num">{t.n.toLocaleString()}</td><td className="num">{t.n ? (t.sum / t.n).toFixed(2) : "—"}</td></tr>;
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
