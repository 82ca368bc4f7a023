import { Fragment, useMemo, useState } from "react";
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { consensusOf, judgeAgreement, judgeItems, judgeVerdict, type JudgeScoreRow } from "@review/shared/review/judge";
import { levelOf, type FinalScore } from "@review/shared/review/report";
import { Badge } from "../../components/ui/Badge.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { EmptyState, ErrorState, ProgressBar } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { messageOf } from "../../lib/errors.ts";
import { allRows } from "../../lib/pages.ts";
import { can } from "../../lib/permissions.ts";
import { supabase } from "../../lib/supabase.ts";
import { useJobEvents, useJobEventsLive, useJobs, useJobsLive, useStartJob } from "../jobs/index.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { showValue } from "./finals.ts";
import { rqKeys, useItems, useStoredFinals, type ScoreConfig } from "./queries.ts";

const fmt = (x: number | null | undefined, d = 2) => (x != null && Number.isFinite(x) ? x.toFixed(d) : "—");
const TONE = { trust: "good", tentative: "warn", "do not trust": "bad", "too few items": "neutral" } as const;

/**
 * The run's values the caller may read: all for those who read everything (review:read_all); for a
 * curator, blind like people's scores (the items they have scored, or that have all their ratings).
 * A blind reader's share grows as they score and as items complete, so their copy sits under the
 * report's "judge" key, which the queue's live channel refetches on every recomputation of the report.
 */
function useJudgeScores(queueId: string, jobId: string | null, blind: boolean) {
  return useQuery({
    queryKey: blind ? [...rqKeys.report(queueId), "judge", jobId] : ["review-judge", jobId, "scores"],
    enabled: !!jobId,
    queryFn: async () =>
      allRows<JudgeScoreRow & { id: number }>((from, to) => supabase.from("judge_scores").select("id, item_id, score_config_id, value").eq("job_id", jobId!).order("id").range(from, to)),
    staleTime: blind ? 0 : Infinity,
  });
}

/**
 * The report tab's "Judge vs human": the newest finished review_judge job of this queue against the human
 * consensus the worker stored with the report above (its finals: complete items), with the
 * same statistics; a run in progress streams its progress like any job.
 */
export function JudgeSection({ queueId, queueName, rubrics }: { queueId: string; queueName: string; rubrics: ScoreConfig[] }) {
  const org = useCurrentOrg();
  useJobsLive(org.org_id);
  const jobs = useJobs(org.org_id);
  const mine = (jobs.data ?? []).filter((j) => j.kind === "review_judge" && (j.config as { queueId?: string }).queueId === queueId);
  const active = mine.find((j) => j.status === "pending" || j.status === "running") ?? null;
  const finished = mine.find((j) => j.status === "completed") ?? null;
  const failed = mine[0]?.status === "failed" ? mine[0] : null;
  const start = useStartJob();
  const mayRun = can(org.role, "review:judge");
  const blind = !can(org.role, "review:read_all");
  const judged = useJudgeScores(queueId, finished?.id ?? null, blind);
  const finals = useStoredFinals(queueId);
  const agreement = useMemo(
    () => (judged.data && finals.data ? judgeAgreement(rubrics, consensusOf(finals.data), judged.data, { seed: queueId, resamples: 300 }) : null),
    [judged.data, finals.data, rubrics, queueId],
  );

  async function run() {
    try {
      await start.mutateAsync({ kind: "review_judge", orgId: org.org_id, name: `Judge vs human — ${queueName}`.slice(0, 120), config: { queueId }, jobKey: `review-judge:${queueId}` });
      toast.success("The judge is running", "Its values land here as it finishes.");
    } catch (err) {
      toast.error("Could not start the judge", messageOf(err));
    }
  }

  // The run's own counts (the worker's result): a blind reader sees fewer values than the judge gave.
  const result = finished?.result as { judgeModel?: string; judged?: number; failed?: number; skipped?: string[]; agreement?: Array<{ rubricId: string; judged: number }> } | null | undefined;
  const judgedOf = (rubricId: string, visible: number) => result?.agreement?.find((a) => a.rubricId === rubricId)?.judged ?? visible;
  return (
    <section className="stack" aria-label="Judge vs human" data-testid="judge-section">
      <div className="row">
        <h3 className="section-title">Judge vs human</h3>
        <span className="grow" />
        {mayRun ? <Button variant="primary" busy={start.isPending} disabled={!!active} onClick={() => void run()} data-testid="run-judge">{finished ? "Run the judge again" : "Run judge"}</Button> : null}
      </div>
      <div className="muted small">
        An LLM judge scores every item with each rubric's prompt. Where people reached a consensus, the judge and the consensus are two raters: Krippendorff's α at the rubric's level (bootstrap CI), Cohen's κ for categories and levels. Trust the judge where no human looked only when the CI's lower bound clears 0.8 (0.667 for tentative conclusions).
      </div>
      {active ? <JudgeProgress jobId={active.id} progress={active.progress} orgSlug={org.slug} /> : null}
      {failed && !active ? <ErrorState error={new Error(`The last judge run failed: ${failed.error ?? "unknown error"}`)} /> : null}
      {jobs.error ? <ErrorState error={jobs.error} /> : null}
      {!finished && !active && !jobs.isLoading ? (
        <EmptyState title="The judge has not run on this queue yet.">{mayRun ? "Run it to see whether its scores agree with your reviewers'." : "A curator or an admin can run it."}</EmptyState>
      ) : null}
      {finished && agreement ? (
        <>
          <div className="muted small" data-testid="judge-run">
            {result?.judged ?? judged.data?.length ?? 0} values by {result?.judgeModel ?? "the judge"}, <Link to={`/o/${org.slug}/jobs/${finished.id}`}>finished {new Date(finished.finished_at ?? finished.created_at).toLocaleString()}</Link>
            {result?.failed ? ` · ${result.failed} without a valid answer` : ""}{result?.skipped?.length ? ` · skipped ${result.skipped.join("; ")}` : ""}
          </div>
          <table className="table" aria-label="Judge agreement with the human consensus">
            <thead><tr><th>Rubric</th><th>Level</th><th className="num">Items compared</th><th className="num">Krippendorff's α</th><th>95% CI</th><th className="num">Cohen's κ</th><th className="num">Same value</th><th>Verdict</th></tr></thead>
            <tbody>
              {agreement.map((a) => {
                const r = rubrics.find((x) => x.id === a.rubricId)!;
                const verdict = judgeVerdict(a);
                return (
                  <tr key={a.rubricId} data-testid={`judge-${r.name}`}>
                    <td>{r.name} v{r.version}</td><td>{a.level}</td>
                    <td className="num" data-testid="judge-n">{a.n} of {judgedOf(a.rubricId, a.judged)}</td>
                    <td className="num" data-testid="judge-alpha">{fmt(a.alpha.estimate, 3)}</td>
                    <td className="num">[{fmt(a.alpha.lower)}, {fmt(a.alpha.upper)}]</td>
                    <td className="num">{a.kappa === null ? "—" : fmt(a.kappa)}</td>
                    <td className="num">{Number.isFinite(a.exact) ? `${Math.round(100 * a.exact)}%` : "—"}</td>
                    <td><Badge tone={TONE[verdict]}>{verdict}</Badge></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {judged.data && finals.data ? <JudgeItems queueId={queueId} rubrics={rubrics} judge={judged.data} finals={finals.data} blind={blind} /> : null}
        </>
      ) : null}
      {judged.error ? <ErrorState error={judged.error} /> : null}
    </section>
  );
}

function JudgeProgress({ jobId, progress, orgSlug }: { jobId: string; progress: number; orgSlug: string }) {
  useJobEventsLive(jobId);
  const events = useJobEvents(jobId);
  const last = events.data?.at(-1);
  return (
    <div className="stack" data-testid="judge-progress">
      <div className="row"><ProgressBar value={progress} label="Judge progress" /><span className="small num">{Math.round(progress)}%</span></div>
      <div className="muted small">{last?.message ?? "Waiting for the worker…"} · <Link to={`/o/${orgSlug}/jobs/${jobId}`}>details</Link></div>
    </div>
  );
}


const PAGE = 50;

/**
 * Per item: the judge's value next to the people's final for each rubric, the items where they differ
 * highlighted (the same comparison as the "Same value" column), and a filter to those.
 */
function JudgeItems({ queueId, rubrics, judge, finals, blind }: { queueId: string; rubrics: ScoreConfig[]; judge: JudgeScoreRow[]; finals: FinalScore[]; blind: boolean }) {
  const items = useItems(queueId);
  const [onlyDisagreeing, setOnlyDisagreeing] = useState(false);
  const [shown, setShown] = useState(PAGE);
  const scored = useMemo(() => rubrics.filter((r) => levelOf(r.kind)), [rubrics]);
  const byItem = useMemo(() => judgeItems(scored, finals, judge), [scored, finals, judge]);
  const judgedItems = (items.data ?? []).filter((i) => byItem.has(i.id));
  const disagreeing = judgedItems.filter((i) => byItem.get(i.id)!.disagrees).length;
  const list = onlyDisagreeing ? judgedItems.filter((i) => byItem.get(i.id)!.disagrees) : judgedItems;
  if (items.error) return <ErrorState error={items.error} />;
  return (
    <div className="stack" data-testid="judge-items">
      <div className="row">
        <h4 className="section-title grow">Per item: the judge next to the people</h4>
        <label className="row small">
          <input type="checkbox" checked={onlyDisagreeing} onChange={(e) => (setOnlyDisagreeing(e.target.checked), setShown(PAGE))} aria-label="Judge disagrees with humans" /> Judge disagrees with humans
        </label>
      </div>
      <p className="muted small" data-testid="judge-items-count">
        {onlyDisagreeing ? `${list.length} item${list.length === 1 ? "" : "s"} where the judge differs from the people's final` : `${judgedItems.length} item${judgedItems.length === 1 ? "" : "s"} judged, ${disagreeing} where the judge differs from the people's final`}
        {blind ? " · blind: an item shows once you have scored it or it has all its ratings" : ""}
      </p>
      {list.length ? (
        <table className="table small" aria-label="The judge and the people per item">
          <thead>
            <tr>
              <th className="num">#</th>
              <th style={{ width: "30%" }}>Question</th>
              {scored.map((r) => (
                <Fragment key={r.id}><th>{r.name}: judge</th><th>{r.name}: people</th></Fragment>
              ))}
            </tr>
          </thead>
          <tbody>
            {list.slice(0, shown).map((i) => {
              const row = byItem.get(i.id)!;
              const labels = (i.context as { variant_labels?: string[] }).variant_labels ?? [];
              return (
                <tr key={i.id} data-testid="judge-item" data-position={i.position} data-disagrees={row.disagrees ? "true" : "false"} style={row.disagrees ? { background: "#fef2f2" } : undefined}>
                  <td className="num">{i.position}</td>
                  <td><div className="prose">{i.query}</div></td>
                  {row.cells.map((c, k) => {
                    const r = scored[k]!;
                    return (
                      <Fragment key={c.rubricId}>
                        <td data-testid={`judge-value-${r.name}`}>{c.judge === undefined ? <span className="muted">—</span> : showValue(r, c.judge, labels)}</td>
                        <td data-testid={`human-value-${r.name}`}>
                          {c.human === undefined ? <span className="muted">no final yet</span> : showValue(r, c.human, labels)}
                          {c.humanSource === "adjudicated" ? <> <Badge tone="info">adjudicated</Badge></> : null}
                          {c.disagrees ? <> <Badge tone="bad">differs</Badge></> : null}
                        </td>
                      </Fragment>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <EmptyState title={onlyDisagreeing ? "The judge agrees with the people on every item with a final." : "No judged item to show yet."} />
      )}
      {list.length > shown ? <Button size="sm" onClick={() => setShown((n) => n + PAGE)}>Show {Math.min(PAGE, list.length - shown)} more</Button> : null}
    </div>
  );
}
