import { DriftConfig } from "@review/shared/jobs/config";
import { proportions, psi, ratingHistogram } from "@review/shared/stats/index";
import type { ClaimedJob, JobContext } from "../../queue/types.ts";
import { loadJob, round, type HandlerDeps } from "../common.ts";

export type DriftSubject = {
  model: string | null;
  promptVersionId: string | null;
  baselineCount: number;
  currentCount: number;
  psi: number | null;
  alertId: string | null;
  skipped?: string;
};

export type DriftResult = {
  threshold: number;
  windows: { baselineFrom: string; baselineTo: string; currentFrom: string; currentTo: string };
  subjects: DriftSubject[];
  alerts: number;
  retrain: { proposed: boolean; newExamples: number; since: string | null; minNewExamples: number; proposalId: string | null };
};

type Row = { model: string | null; prompt_version_id: string | null; is_current: boolean; rating: number; n: number };

/**
 * Drift of user ratings per (model, prompt version): PSI of the 1–5 rating distribution in the current
 * window against the window before it. Above the threshold → a drift alert. Independently, when enough
 * answers were approved since the org's last trained model, an open retrain proposal (one per org).
 */
export async function runDrift(deps: HandlerDeps, entry: ClaimedJob, ctx: JobContext): Promise<DriftResult> {
  const { sql } = deps;
  const { job, config } = await loadJob(sql, entry, DriftConfig);
  const threshold = config.threshold ?? deps.env.DRIFT_PSI_THRESHOLD;
  // The organization's own setting (public.ml_settings) over the deployment-wide default.
  const [settings] = await sql<{ min: number | null }[]>`select min_samples_for_retrain as min from public.ml_settings where org_id = ${job.org_id}`;
  const minNew = config.minNewExamples ?? settings?.min ?? deps.env.ML_MIN_SAMPLES_FOR_RETRAIN;
  const [w] = await sql<{ now: Date; cur_from: Date; base_from: Date }[]>`
    select now() as now, now() - make_interval(days => ${config.currentDays}) as cur_from,
           now() - make_interval(days => ${config.currentDays + config.baselineDays}) as base_from`;
  const { now, cur_from: curFrom, base_from: baseFrom } = w!;
  const rows = await sql<Row[]>`
    select model, prompt_version_id, created_at >= ${curFrom} as is_current, rating::int, count(*)::int as n
    from public.feedback
    where org_id = ${job.org_id} and created_at >= ${baseFrom} and created_at < ${now}
    group by 1, 2, 3, 4`;
  await ctx.progress({ percent: 30, step: "collect", message: `Read rating counts for ${new Set(rows.map((r) => `${r.model}|${r.prompt_version_id}`)).size} model/prompt combinations` });

  const groups = new Map<string, { model: string | null; pv: string | null; base: number[]; cur: number[] }>();
  for (const r of rows) {
    const key = `${r.model ?? ""}|${r.prompt_version_id ?? ""}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { model: r.model, pv: r.prompt_version_id, base: [], cur: [] }));
    for (let i = 0; i < r.n; i++) (r.is_current ? g.cur : g.base).push(r.rating);
  }

  const subjects: DriftSubject[] = [];
  let firstAlert: string | null = null;
  for (const g of groups.values()) {
    const base = ratingHistogram(g.base);
    const cur = ratingHistogram(g.cur);
    const subject: DriftSubject = { model: g.model, promptVersionId: g.pv, baselineCount: g.base.length, currentCount: g.cur.length, psi: null, alertId: null };
    if (g.base.length < config.minSamples || g.cur.length < config.minSamples) {
      subject.skipped = `needs ${config.minSamples} ratings in each window`;
      subjects.push(subject);
      continue;
    }
    const value = psi(base, cur);
    subject.psi = round(value);
    if (value > threshold) {
      const [alert] = await sql<{ id: string }[]>`
        insert into public.drift_alerts (org_id, job_id, model, prompt_version_id, psi, threshold, baseline_from, baseline_to,
                                         current_from, current_to, baseline_count, current_count, distribution)
        values (${job.org_id}, ${job.id}, ${g.model}, ${g.pv}, ${value}, ${threshold}, ${baseFrom}, ${curFrom}, ${curFrom}, ${now},
                ${g.base.length}, ${g.cur.length}, ${sql.json({ baseline: proportions(base), current: proportions(cur) } as never)})
        returning id`;
      subject.alertId = alert!.id;
      firstAlert ??= alert!.id;
    }
    subjects.push(subject);
  }
  await ctx.progress({ percent: 70, step: "psi", message: `${subjects.filter((s) => s.alertId).length} of ${subjects.length} combinations drifted above PSI ${threshold}` });

  // New approved answers since the last model was trained for this org.
  const [since] = await sql<{ at: Date | null }[]>`select max(created_at) as at from public.models where org_id = ${job.org_id}`;
  const [count] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.training_examples where org_id = ${job.org_id} and (${since?.at ?? null}::timestamptz is null or created_at > ${since?.at ?? null})`;
  const newExamples = count?.n ?? 0;
  let proposalId: string | null = null;
  if (newExamples >= minNew) {
    const reason =
      `${newExamples} answers were approved ${since?.at ? `since the last model (${since.at.toISOString().slice(0, 10)})` : "and no model has been trained yet"}` +
      (firstAlert ? `, and ratings drifted (PSI above ${threshold})` : "");
    const [p] = await sql<{ id: string }[]>`
      insert into public.retrain_proposals (org_id, job_id, drift_alert_id, new_examples, since, reason)
      values (${job.org_id}, ${job.id}, ${firstAlert}, ${newExamples}, ${since?.at ?? null}, ${reason})
      on conflict (org_id) where status = 'open' do update set
        job_id = excluded.job_id, drift_alert_id = coalesce(excluded.drift_alert_id, public.retrain_proposals.drift_alert_id),
        new_examples = excluded.new_examples, since = excluded.since, reason = excluded.reason
      returning id`;
    proposalId = p!.id;
  }
  return {
    threshold,
    windows: { baselineFrom: baseFrom.toISOString(), baselineTo: curFrom.toISOString(), currentFrom: curFrom.toISOString(), currentTo: now.toISOString() },
    subjects,
    alerts: subjects.filter((s) => s.alertId).length,
    retrain: { proposed: proposalId !== null, newExamples, since: since?.at?.toISOString() ?? null, minNewExamples: minNew, proposalId },
  };
}

/** Enqueues one drift job per active org per interval; every worker runs this, the schedule key dedupes. */
export async function scheduleDrift(deps: HandlerDeps, nowMs = Date.now()): Promise<number> {
  const bucket = Math.floor(nowMs / deps.env.DRIFT_INTERVAL_MS);
  const rows = await deps.sql<{ id: string | null }[]>`
    select (e.job).id as id
    from (select distinct org_id from public.feedback where created_at > now() - interval '35 days') o
    cross join lateral private.enqueue_job(o.org_id, 'drift', 'Rating drift check', p_priority => -1,
                                           p_schedule_key => 'drift:' || o.org_id || ':' || ${bucket}::text) e`;
  return rows.filter((r) => r.id).length;
}
