import type postgres from "postgres";
import { METRIC_INFO, nextTransition, type AlertMetric, type Comparator, type Observation, type RuleSpec } from "@review/shared/alerts/state";
import type { HandlerDeps } from "../common.ts";

type RuleRow = {
  id: string; org_id: string; org_name: string; org_slug: string; name: string; metric: AlertMetric; comparator: Comparator; threshold: number;
  level: "warning" | "critical"; min_sample: number; hysteresis_minutes: number; window_minutes: number; enabled: boolean;
};
type ObsRow = { rule_id: string; org_id: string; scope_key: string; value: number | null; sample: string | number; ref: string | null };
type OpenRow = { id: string; rule_id: string; scope_key: string; clear_since: Date | null; muted_until: Date | null };

export type EvaluationSummary = { rules: number; observations: number; fired: number; resolved: number; firing: number; deliveries: number; ms: number };

/**
 * One evaluation of every organization's rules: values from private.alert_observations (the hourly
 * rollups, never raw rows), the transition from the shared state machine, and the changes written in one
 * transaction. Fired and resolved alerts enqueue one delivery per channel of the rule (the `notify` task
 * sends them), so a slow or dead endpoint never holds up evaluation.
 */
export async function evaluateAlerts(deps: Pick<HandlerDeps, "sql">, now = new Date()): Promise<EvaluationSummary> {
  const started = performance.now();
  const { sql } = deps;
  return sql.begin(async (tx) => {
    // One evaluation at a time across workers; a second one waits and then sees the first one's writes.
    await tx`select pg_advisory_xact_lock(hashtext('alerts_evaluate'))`;
    const [rules, obs, open] = await Promise.all([
      tx<RuleRow[]>`
        select r.id, r.org_id, o.name as org_name, o.slug as org_slug, r.name, r.metric, r.comparator, r.threshold, r.level,
               r.min_sample, r.hysteresis_minutes, r.window_minutes, r.enabled
        from public.alert_rules r join public.organizations o on o.id = r.org_id`,
      tx<ObsRow[]>`select rule_id, org_id, scope_key, value, sample, ref from private.alert_observations(${now})`,
      tx<OpenRow[]>`select id, rule_id, scope_key, clear_since, muted_until from public.alerts where status = 'firing' for update`,
    ]);
    const ruleById = new Map(rules.map((r) => [r.id, r]));
    const openByKey = new Map(open.map((a) => [`${a.rule_id}|${a.scope_key}`, a]));
    const seen = new Set<string>();
    const summary: EvaluationSummary = { rules: rules.filter((r) => r.enabled).length, observations: obs.length, fired: 0, resolved: 0, firing: 0, deliveries: 0, ms: 0 };

    const work: Array<{ rule: RuleRow; scopeKey: string; o: Observation; ref: string | null; current: OpenRow | null }> = [];
    for (const row of obs) {
      const rule = ruleById.get(row.rule_id);
      if (!rule) continue;
      const key = `${row.rule_id}|${row.scope_key}`;
      seen.add(key);
      work.push({ rule, scopeKey: row.scope_key, o: { value: row.value === null ? null : Number(row.value), sample: Number(row.sample) }, ref: row.ref, current: openByKey.get(key) ?? null });
    }
    // Open alerts whose scope had no data this time (or whose rule was disabled): no verdict, so they clear.
    for (const a of open) {
      if (seen.has(`${a.rule_id}|${a.scope_key}`)) continue;
      const rule = ruleById.get(a.rule_id);
      if (rule) work.push({ rule, scopeKey: a.scope_key, o: { value: null, sample: 0 }, ref: null, current: a });
    }

    for (const w of work) {
      const spec: RuleSpec = { comparator: w.rule.comparator, threshold: Number(w.rule.threshold), minSample: w.rule.min_sample, hysteresisMinutes: w.rule.hysteresis_minutes };
      const t = nextTransition(spec, w.o, w.current ? { clearSince: w.current.clear_since } : null, now);
      switch (t.kind) {
        case "none":
          break;
        case "fire": {
          const link = w.rule.metric === "drift_psi" && w.ref ? `jobs/${w.ref}` : METRIC_INFO[w.rule.metric].board;
          const [a] = await tx<{ id: string }[]>`
            insert into public.alerts (org_id, rule_id, scope_key, level, metric, comparator, threshold, value, sample, last_value, last_sample, link, opened_at, last_evaluated_at)
            values (${w.rule.org_id}, ${w.rule.id}, ${w.scopeKey}, ${w.rule.level}, ${w.rule.metric}, ${w.rule.comparator}, ${spec.threshold},
                    ${w.o.value}, ${w.o.sample}, ${w.o.value}, ${w.o.sample}, ${link}, ${now}, ${now})
            on conflict (rule_id, scope_key) where status = 'firing' do nothing
            returning id`;
          if (!a) break;
          summary.fired++;
          summary.firing++;
          await tx`insert into public.alert_events (org_id, alert_id, kind, value, sample) values (${w.rule.org_id}, ${a.id}, 'fired', ${w.o.value}, ${w.o.sample})`;
          summary.deliveries += await notifyChannels(tx, w.rule, a.id, "fired", w.scopeKey, w.o);
          break;
        }
        case "still_firing":
          summary.firing++;
          await tx`update public.alerts set last_value = ${w.o.value}, last_sample = ${w.o.sample}, clear_since = null, last_evaluated_at = ${now} where id = ${w.current!.id}`;
          break;
        case "clearing":
          summary.firing++;
          await tx`update public.alerts set last_value = ${w.o.value}, last_sample = ${w.o.sample}, clear_since = ${t.clearSince}, last_evaluated_at = ${now} where id = ${w.current!.id}`;
          break;
        case "resolve": {
          summary.resolved++;
          await tx`update public.alerts set status = 'resolved', resolved_at = ${now}, last_value = ${w.o.value}, last_sample = ${w.o.sample}, last_evaluated_at = ${now} where id = ${w.current!.id}`;
          await tx`insert into public.alert_events (org_id, alert_id, kind, value, sample) values (${w.rule.org_id}, ${w.current!.id}, 'resolved', ${w.o.value}, ${w.o.sample})`;
          const muted = w.current!.muted_until && w.current!.muted_until > now;
          if (!muted) summary.deliveries += await notifyChannels(tx, w.rule, w.current!.id, "resolved", w.scopeKey, w.o);
          break;
        }
      }
    }
    summary.ms = Math.round(performance.now() - started);
    return summary;
  }) as Promise<EvaluationSummary>;
}

/** A Slack-compatible message (Slack, Mattermost and most chat webhooks read `text`), plus the alert as data. */
export function alertMessage(rule: Pick<RuleRow, "name" | "metric" | "level" | "comparator" | "threshold" | "org_name" | "org_slug">, event: "fired" | "resolved", scopeKey: string, o: Observation, alertId: string) {
  const info = METRIC_INFO[rule.metric];
  const value = o.value === null ? "no data" : info.format(o.value);
  const scope = scopeKey ? ` (${scopeKey})` : "";
  const title = event === "fired" ? `${rule.level === "critical" ? "CRITICAL" : "Warning"}: ${rule.name}${scope}` : `Resolved: ${rule.name}${scope}`;
  const text = `${title} in ${rule.org_name}. ${info.label} is ${value} (threshold ${rule.comparator} ${info.format(Number(rule.threshold))}, ${o.sample} observations).`;
  return {
    text,
    title,
    attachments: [{ color: event === "resolved" ? "#2eb67d" : rule.level === "critical" ? "#e01e5a" : "#ecb22e", title, text }],
    alert: { id: alertId, event, org: rule.org_slug, rule: rule.name, metric: rule.metric, level: rule.level, scope: scopeKey || null, value: o.value, sample: o.sample, threshold: Number(rule.threshold) },
  };
}

async function notifyChannels(tx: postgres.TransactionSql, rule: RuleRow, alertId: string, event: "fired" | "resolved", scopeKey: string, o: Observation): Promise<number> {
  const payload = alertMessage(rule, event, scopeKey, o, alertId);
  const rows = await tx<{ id: string }[]>`
    select private.enqueue_delivery(rc.org_id, rc.channel_id, ${alertId}, ${event}, ${tx.json(payload as never)}) as id
    from public.alert_rule_channels rc join public.notification_channels c on c.id = rc.channel_id
    where rc.rule_id = ${rule.id} and c.enabled`;
  return rows.length;
}

/** Each minute (by default) one evaluation is queued, once across all workers (the schedule key). */
export async function scheduleAlertEvaluation(deps: Pick<HandlerDeps, "sql">, intervalMs: number, nowMs = Date.now()): Promise<boolean> {
  const key = `alerts:${Math.floor(nowMs / intervalMs)}`;
  const rows = await deps.sql`
    with claimed as (insert into private.job_schedule (key) values (${key}) on conflict do nothing returning key),
         -- a minute's key is spent once its minute is over; keep a day of them, not a year
         pruned as (delete from private.job_schedule where key like 'alerts:%' and created_at < now() - interval '1 day')
    select private.enqueue_alert_evaluation() from claimed`;
  return rows.length > 0;
}
