import { useMemo, type ReactNode } from "react";
import { Badge } from "../../components/ui/Badge.tsx";
import { EmptyState } from "../../components/ui/Field.tsx";
import { experimentContext, showFinal, useQueueFinals, useQueueItems, useResultScores } from "./finals.ts";
import { useQueueLive, useRubrics, type ReviewQueue, type ScoreConfig } from "./queries.ts";

const num = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x.toFixed(2));

/**
 * An experiment queue's items with, per item, the evaluators' scores of the outputs shown (from the
 * experiment_results rows the item links to) next to the people's final score (the queue's finals, as
 * its report computes them). Shown in the queue and on the experiment's page.
 */
export default function HumanVsEvaluators({ queue, orgId, live = false }: { queue: ReviewQueue; orgId: string; live?: boolean }) {
  const rubricsQ = useRubrics(orgId);
  const rubrics = useMemo(
    () => queue.score_config_ids.map((id) => rubricsQ.data?.find((r) => r.id === id)).filter((r): r is ScoreConfig => !!r),
    [queue.score_config_ids, rubricsQ.data],
  );
  const items = useQueueItems(queue.id);
  const { finals, ready } = useQueueFinals(queue.id, rubrics);
  const results = useResultScores((items.data ?? []).flatMap((i) => experimentContext(i).result_ids ?? []));
  if (queue.source_kind !== "experiment") return null;
  return live ? <Live queueId={queue.id}>{render()}</Live> : render();
  function render() {
    if (!items.data || !ready) return <div className="muted small">Loading the queue's scores…</div>;
    if (!items.data.length) return <EmptyState title="This queue has no items." />;
    const scored = items.data.filter((i) => rubrics.some((r) => finals.get(`${i.id}/${r.id}`)?.source !== undefined && finals.get(`${i.id}/${r.id}`)?.source !== "none")).length;
    return (
      <div className="stack" data-testid="human-vs-evaluators" aria-label={`People and evaluators: ${queue.name}`}>
        <div className="muted small">{scored} of {items.data.length} items have a final score from people (what you may read of them: blind until you have scored).</div>
        <table className="table small" aria-label="People and evaluators side by side">
          <thead>
            <tr>
              <th style={{ width: "28%" }}>Input</th>
              <th>Evaluators</th>
              {rubrics.map((r) => <th key={r.id}>People: {r.name}</th>)}
            </tr>
          </thead>
          <tbody>
            {items.data.map((i) => {
              const ctx = experimentContext(i);
              return (
                <tr key={i.id} data-testid="human-vs-evaluators-row">
                  <td><div className="prose">{i.query}</div></td>
                  <td>
                    {(ctx.result_ids ?? []).map((rid, k) => {
                      const r = results.data?.get(Number(rid));
                      const label = ctx.variant_labels?.[k] ?? `V${(ctx.variant_ids?.[k] ?? k) + 1}`;
                      return (
                        <div key={rid} className="small" data-testid="evaluator-scores">
                          <strong>{i.is_pairwise ? `${k === 0 ? "A" : "B"} · ${label}` : label}</strong>{" "}
                          {r ? Object.entries(r.scores).map(([name, v]) => `${name} ${num(v)}`).join(" · ") || "no evaluator scores" : "…"}
                        </div>
                      );
                    })}
                  </td>
                  {rubrics.map((r) => {
                    const f = finals.get(`${i.id}/${r.id}`);
                    return (
                      <td key={r.id} data-testid="human-final">
                        {showFinal(r, f, ctx.variant_labels)}{" "}
                        {f && f.source !== "none" ? <Badge tone={f.source === "adjudicated" ? "info" : "neutral"}>{f.source}</Badge> : null}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
        <p className="muted small">A judge's score is the compared output's preference against the experiment's baseline, from −1 to 1, judged in both orders; deterministic evaluators score 0 to 1.</p>
      </div>
    );
  }
}

/**
 * Outside the queue's own page (which subscribes already), people's finals arrive live: each stored
 * report's change (the worker recomputes it as scores arrive) refetches them.
 */
function Live({ queueId, children }: { queueId: string; children: ReactNode }) {
  useQueueLive(queueId, true);
  return <>{children}</>;
}
