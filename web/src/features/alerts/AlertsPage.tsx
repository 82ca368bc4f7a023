import { useState } from "react";
import { Link } from "react-router";
import { METRIC_INFO, METRIC_SCOPES, SCOPE_LABELS, type AlertMetric, type AlertScope } from "@review/shared/alerts/state";
import { Badge } from "../../components/ui/Badge.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { EmptyState, ErrorState, Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { messageOf } from "../../lib/errors.ts";
import { timeAgo } from "../../lib/format.ts";
import { can } from "../../lib/permissions.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import {
  channelSecret, useAcceptRetrain, useAcknowledge, useMlSettings, useRetrainProposals, useSaveMlSettings, useAddChannel, useAlerts, useChannels, useDeliveries, useMute, useRoutes, useRules, useSendTest, useUpdateRule,
  type Alert, type AlertRule, type Channel,
} from "./queries.ts";

const fmt = (metric: AlertMetric, v: number | null | undefined) => (v === null || v === undefined ? "—" : METRIC_INFO[metric].format(Number(v)));
const MUTES = [{ label: "1 hour", hours: 1 }, { label: "8 hours", hours: 8 }, { label: "1 day", hours: 24 }];

/** The alert centre: what is firing now, its history, the rules, where notifications go and whether they arrived. */
export default function AlertsPage() {
  const org = useCurrentOrg();
  const alerts = useAlerts(org.org_id);
  const canManage = can(org.role, "alert:manage");
  const [acking, setAcking] = useState<Alert | null>(null);
  const open = alerts.data?.filter((a) => a.status === "firing") ?? [];
  const history = alerts.data?.filter((a) => a.status === "resolved").slice(0, 30) ?? [];

  return (
    <div className="page">
      <header className="page-head"><h1>Alerts</h1></header>
      {alerts.error ? <ErrorState error={alerts.error} retry={() => void alerts.refetch()} /> : null}
      <section aria-label="Open alerts">
        <h2>Open</h2>
        {alerts.data && open.length === 0 ? <EmptyState title="Nothing is firing.">Rules are evaluated every minute.</EmptyState> : (
          <table className="table" aria-label="Open alerts table">
            <thead><tr><th>Level</th><th>Rule</th><th className="num">Value</th><th>Since</th><th>State</th><th /></tr></thead>
            <tbody>
              {open.map((a) => (
                <tr key={a.id} data-alert-id={a.id} data-testid="open-alert">
                  <td><Badge tone={a.level === "critical" ? "bad" : "warn"}>{a.level}</Badge></td>
                  <td>
                    {a.alert_rules?.name ?? METRIC_INFO[a.metric].label}{a.scope_key ? <span className="muted small"> · {a.scope_key}</span> : null}
                    {a.link ? <div className="small"><Link to={`/o/${org.slug}/${a.link}`}>{a.link.startsWith("jobs/") ? "Open the job" : a.link === "jobs" ? "Open jobs" : "Open the boards"}</Link></div> : null}
                  </td>
                  <td className="num">
                    {fmt(a.metric, a.last_value ?? a.value)}
                    <div className="muted small">threshold {a.comparator} {fmt(a.metric, a.threshold)}</div>
                  </td>
                  <td className="muted small">{timeAgo(a.opened_at)}</td>
                  <td className="small">
                    {a.acknowledged_at ? <div data-testid="acknowledged">Acknowledged {timeAgo(a.acknowledged_at)}{a.ack_note ? `: “${a.ack_note}”` : ""}</div> : <Badge tone="bad">needs attention</Badge>}
                    {a.muted_until && new Date(a.muted_until) > new Date() ? <div className="muted">Muted until {new Date(a.muted_until).toLocaleString()}</div> : null}
                    {a.clear_since ? <div className="muted">Back within threshold since {timeAgo(a.clear_since)}</div> : null}
                  </td>
                  <td className="row-end">{canManage ? <AlertActions alert={a} onAck={() => setAcking(a)} orgId={org.org_id} /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-label="Alert history" style={{ marginTop: 24 }}>
        <h2>Resolved lately</h2>
        {history.length === 0 ? <p className="muted">No resolved alerts yet.</p> : (
          <table className="table">
            <thead><tr><th>Rule</th><th className="num">Fired at</th><th>Opened</th><th>Resolved</th></tr></thead>
            <tbody>
              {history.map((a) => (
                <tr key={a.id}><td>{a.alert_rules?.name ?? a.metric}{a.scope_key ? <span className="muted small"> · {a.scope_key}</span> : null}</td>
                  <td className="num">{fmt(a.metric, a.value)}</td><td className="muted small">{timeAgo(a.opened_at)}</td><td className="muted small">{a.resolved_at ? timeAgo(a.resolved_at) : "—"}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <RetrainSection orgId={org.org_id} slug={org.slug} canAccept={canManage && can(org.role, "job:start")} />
      <RulesSection orgId={org.org_id} canManage={canManage} />
      <ChannelsSection orgId={org.org_id} canManage={canManage} />
      <AcknowledgeDialog alert={acking} orgId={org.org_id} onClose={() => setAcking(null)} />
    </div>
  );
}

function AlertActions({ alert, onAck, orgId }: { alert: Alert; onAck(): void; orgId: string }) {
  const mute = useMute(orgId);
  const muted = alert.muted_until && new Date(alert.muted_until) > new Date();
  return (
    <>
      {!alert.acknowledged_at ? <Button size="sm" variant="primary" onClick={onAck}>Acknowledge</Button> : null}
      {muted ? (
        <Button size="sm" busy={mute.isPending} onClick={() => mute.mutate({ id: alert.id, hours: null }, { onError: (e) => toast.error("Could not unmute", messageOf(e)) })}>Unmute</Button>
      ) : (
        <select aria-label="Mute" className="input input-sm" value="" disabled={mute.isPending}
          onChange={(e) => mute.mutate({ id: alert.id, hours: Number(e.target.value) }, { onSuccess: () => toast.success("Muted: no notifications until then"), onError: (err) => toast.error("Could not mute", messageOf(err)) })}>
          <option value="" disabled>Mute…</option>
          {MUTES.map((m) => <option key={m.hours} value={m.hours}>{m.label}</option>)}
        </select>
      )}
    </>
  );
}

function AcknowledgeDialog({ alert, orgId, onClose }: { alert: Alert | null; orgId: string; onClose(): void }) {
  const ack = useAcknowledge(orgId);
  const [note, setNote] = useState("");
  return (
    <Dialog open={!!alert} onOpenChange={(o) => !o && onClose()} title="Acknowledge alert" description={alert?.alert_rules?.name}>
      <form className="stack" onSubmit={(e) => {
        e.preventDefault();
        if (!alert) return;
        ack.mutate({ id: alert.id, note }, { onSuccess: () => { setNote(""); onClose(); }, onError: (err) => toast.error("Could not acknowledge", messageOf(err)) });
      }}>
        <Field label="Note" hint="What is being done about it (optional)">
          <textarea className="input" rows={3} value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} />
        </Field>
        <div className="row-end"><Button type="button" onClick={onClose}>Cancel</Button><Button type="submit" variant="primary" busy={ack.isPending}>Acknowledge</Button></div>
      </form>
    </Dialog>
  );
}

function RulesSection({ orgId, canManage }: { orgId: string; canManage: boolean }) {
  const rules = useRules(orgId);
  const [editing, setEditing] = useState<AlertRule | null>(null);
  return (
    <section aria-label="Alert rules" style={{ marginTop: 24 }}>
      <h2>Rules</h2>
      <table className="table">
        <thead><tr><th>Rule</th><th>Condition</th><th>Level</th><th className="num">Window</th><th className="num">Min. sample</th><th className="num">Resolve after</th><th>On</th><th /></tr></thead>
        <tbody>
          {rules.data?.map((r) => (
            <tr key={r.id} data-rule={r.default_key ?? r.id}>
              <td>{r.name}{r.scope !== "org" ? <div className="muted small">{r.scope_value ? `only ${SCOPE_LABELS[r.scope].replace(/^each /, "")} ${r.scope_value}` : `for ${SCOPE_LABELS[r.scope]}`}</div> : null}</td>
              <td className="small">{METRIC_INFO[r.metric].label} {r.comparator} {fmt(r.metric, r.threshold)}</td>
              <td><Badge tone={r.level === "critical" ? "bad" : "warn"}>{r.level}</Badge></td>
              <td className="num small">{minutes(r.window_minutes)}</td>
              <td className="num small">{r.min_sample}</td>
              <td className="num small">{minutes(r.hysteresis_minutes)}</td>
              <td>{r.enabled ? "yes" : <span className="muted">off</span>}</td>
              <td className="row-end">{canManage ? <Button size="sm" onClick={() => setEditing(r)}>Edit</Button> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing ? <RuleDialog rule={editing} orgId={orgId} onClose={() => setEditing(null)} /> : null}
    </section>
  );
}

const minutes = (m: number) => (m === 0 ? "at once" : m % 1440 === 0 ? `${m / 1440} d` : m % 60 === 0 ? `${m / 60} h` : `${m} min`);

function RuleDialog({ rule, orgId, onClose }: { rule: AlertRule; orgId: string; onClose(): void }) {
  const update = useUpdateRule(orgId);
  const channels = useChannels(orgId);
  const routes = useRoutes(orgId);
  const routed = new Set(routes.data?.filter((r) => r.rule_id === rule.id).map((r) => r.channel_id));
  const [form, setForm] = useState({ threshold: String(rule.threshold), level: rule.level, window: String(rule.window_minutes), min: String(rule.min_sample), hyst: String(rule.hysteresis_minutes), enabled: rule.enabled, scope: rule.scope, only: rule.scope_value ?? "" });
  const scopes = METRIC_SCOPES[rule.metric];
  const [picked, setPicked] = useState<Set<string> | null>(null);
  const selected = picked ?? routed;
  return (
    <Dialog open onOpenChange={(o) => !o && onClose()} title={`Edit “${rule.name}”`} description={`${METRIC_INFO[rule.metric].label} ${rule.comparator} threshold (${METRIC_INFO[rule.metric].unit || "ratio"})`}>
      <form className="stack" onSubmit={(e) => {
        e.preventDefault();
        const add = [...selected].filter((c) => !routed.has(c));
        const remove = [...routed].filter((c) => !selected.has(c));
        update.mutate(
          { id: rule.id, patch: { threshold: Number(form.threshold), level: form.level, window_minutes: Number(form.window), min_sample: Number(form.min), hysteresis_minutes: Number(form.hyst), enabled: form.enabled, scope: form.scope, scope_value: form.scope === "org" ? null : form.only.trim() || null }, channels: { add, remove } },
          { onSuccess: () => { toast.success("Rule saved"); onClose(); }, onError: (err) => toast.error("Could not save the rule", messageOf(err)) },
        );
      }}>
        <Field label="Threshold"><input className="input" type="number" step="any" required value={form.threshold} onChange={(e) => setForm({ ...form, threshold: e.target.value })} /></Field>
        <Field label="Level">
          <select className="input" value={form.level} onChange={(e) => setForm({ ...form, level: e.target.value as AlertRule["level"] })}><option value="warning">warning</option><option value="critical">critical</option></select>
        </Field>
        <div className="row">
          <Field label="Window (minutes)"><input className="input" type="number" min={1} value={form.window} onChange={(e) => setForm({ ...form, window: e.target.value })} /></Field>
          <Field label="Minimum sample"><input className="input" type="number" min={0} value={form.min} onChange={(e) => setForm({ ...form, min: e.target.value })} /></Field>
          <Field label="Resolve after (minutes back)"><input className="input" type="number" min={0} value={form.hyst} onChange={(e) => setForm({ ...form, hyst: e.target.value })} /></Field>
        </div>
        {scopes.length > 1 ? (
          <div className="row">
            <Field label="One alert for" hint="Split, each part fires and resolves on its own">
              <select className="input" value={form.scope} onChange={(e) => setForm({ ...form, scope: e.target.value as AlertScope })}>
                {scopes.map((s) => <option key={s} value={s}>{SCOPE_LABELS[s]}</option>)}
              </select>
            </Field>
            {form.scope !== "org" ? (
              <Field label="Only" hint={`One ${SCOPE_LABELS[form.scope].replace(/^each /, "")} by ${form.scope === "prompt_version" ? "id" : "name"}; empty for all`}>
                <input className="input" value={form.only} maxLength={200} onChange={(e) => setForm({ ...form, only: e.target.value })} />
              </Field>
            ) : null}
          </div>
        ) : null}
        <label className="row"><input type="checkbox" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.target.checked })} /> Enabled</label>
        <fieldset className="fieldset">
          <legend className="field-label">Notify</legend>
          {channels.data?.length ? channels.data.map((c) => (
            <label key={c.id} className="row"><input type="checkbox" checked={selected.has(c.id)} onChange={(e) => {
              const next = new Set(selected);
              if (e.target.checked) next.add(c.id); else next.delete(c.id);
              setPicked(next);
            }} /> {c.name} <span className="muted small">({c.kind}: {c.target})</span></label>
          )) : <p className="muted small">No channels yet: add a webhook or an email below.</p>}
        </fieldset>
        <div className="row-end"><Button type="button" onClick={onClose}>Cancel</Button><Button type="submit" variant="primary" busy={update.isPending}>Save</Button></div>
      </form>
    </Dialog>
  );
}

function ChannelsSection({ orgId, canManage }: { orgId: string; canManage: boolean }) {
  const channels = useChannels(orgId);
  const deliveries = useDeliveries(orgId);
  const add = useAddChannel(orgId);
  const test = useSendTest(orgId);
  const [draft, setDraft] = useState<Pick<Channel, "name" | "kind" | "target">>({ name: "", kind: "webhook", target: "" });
  const byId = new Map(channels.data?.map((c) => [c.id, c]));
  return (
    <section aria-label="Notification channels" style={{ marginTop: 24 }}>
      <h2>Notifications</h2>
      <table className="table">
        <thead><tr><th>Channel</th><th>Kind</th><th>Target</th><th /></tr></thead>
        <tbody>
          {channels.data?.map((c) => (
            <tr key={c.id}><td>{c.name}</td><td>{c.kind}</td><td className="small">{c.target}</td>
              <td className="row-end">{canManage ? (
                <>
                  {c.kind === "webhook" ? <Button size="sm" variant="ghost" onClick={() => void channelSecret(c.id).then((s) => { void navigator.clipboard?.writeText(s).catch(() => undefined); toast.info("Signing secret (Standard Webhooks)", s); }, (e) => toast.error("Could not read the secret", messageOf(e)))}>Secret</Button> : null}
                  <Button size="sm" busy={test.isPending && test.variables === c.id} onClick={() => test.mutate(c.id, { onSuccess: () => toast.success("Test notification queued"), onError: (e) => toast.error("Could not send a test", messageOf(e)) })}>Send test</Button>
                </>
              ) : null}</td></tr>
          ))}
        </tbody>
      </table>
      {canManage ? (
        <form className="toolbar" style={{ marginTop: 8 }} onSubmit={(e) => {
          e.preventDefault();
          add.mutate(draft, { onSuccess: () => setDraft({ name: "", kind: draft.kind, target: "" }), onError: (err) => toast.error("Could not add the channel", messageOf(err)) });
        }}>
          <input className="input" aria-label="Channel name" placeholder="Name" required value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
          <select className="input" aria-label="Channel kind" value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as Channel["kind"] })}><option value="webhook">Webhook</option><option value="email">Email</option></select>
          <input className="input grow" aria-label="Channel target" placeholder={draft.kind === "webhook" ? "https://hooks.slack.com/…" : "oncall@example.com"} required value={draft.target} onChange={(e) => setDraft({ ...draft, target: e.target.value })} />
          <Button type="submit" busy={add.isPending}>Add channel</Button>
        </form>
      ) : null}
      <h3 style={{ marginTop: 16 }}>Delivery log</h3>
      {deliveries.data?.length ? (
        <table className="table" aria-label="Delivery log">
          <thead><tr><th>When</th><th>Channel</th><th>Event</th><th>Status</th><th className="num">Attempts</th><th>Last error</th></tr></thead>
          <tbody>
            {deliveries.data.map((d) => (
              <tr key={d.id}><td className="muted small">{timeAgo(d.created_at)}</td><td>{byId.get(d.channel_id)?.name ?? "—"}</td><td>{d.event}</td>
                <td><Badge tone={d.status === "delivered" ? "good" : d.status === "failed" ? "bad" : d.status === "retrying" ? "warn" : "neutral"}>{d.status}</Badge></td>
                <td className="num">{d.attempts}</td><td className="small">{d.last_error ?? ""}</td></tr>
            ))}
          </tbody>
        </table>
      ) : <p className="muted">Nothing sent yet.</p>}
    </section>
  );
}

function RetrainSection({ orgId, slug, canAccept }: { orgId: string; slug: string; canAccept: boolean }) {
  const proposals = useRetrainProposals(orgId);
  const accept = useAcceptRetrain(orgId);
  return (
    <section aria-label="Retrain proposals" style={{ marginTop: 24 }}>
      <h2>Retraining</h2>
      <MlSettingsForm orgId={orgId} canEdit={canAccept} />
      {proposals.data?.length ? <table className="table">
        <thead><tr><th>Why</th><th>Status</th><th>Jobs</th><th /></tr></thead>
        <tbody>
          {proposals.data.map((p) => (
            <tr key={p.id}>
              <td>{p.reason}<div className="muted small">{timeAgo(p.created_at)}</div></td>
              <td><Badge tone={p.status === "open" ? "warn" : p.status === "accepted" ? "good" : "neutral"}>{p.status}</Badge></td>
              <td className="small">
                {p.fine_tune_job_id ? <div><Link to={`/o/${slug}/jobs/${p.fine_tune_job_id}`}>Fine-tune</Link></div> : null}
                {p.ab_eval_job_id ? <div><Link to={`/o/${slug}/jobs/${p.ab_eval_job_id}`}>A/B against production</Link></div> : null}
              </td>
              <td className="row-end">{canAccept && p.status === "open" ? (
                <Button size="sm" variant="primary" busy={accept.isPending} onClick={() => accept.mutate(p.id, {
                  onSuccess: () => toast.success("Retrain started", "The A/B evaluation against production starts when the fine-tune completes."),
                  onError: (e) => toast.error("Could not start the retrain", messageOf(e)),
                })}>Accept and retrain</Button>
              ) : null}</td>
            </tr>
          ))}
        </tbody>
      </table> : <p className="muted">No retrain proposals yet: the daily drift check proposes one when enough answers were approved.</p>}
    </section>
  );
}

function MlSettingsForm({ orgId, canEdit }: { orgId: string; canEdit: boolean }) {
  const settings = useMlSettings(orgId);
  const save = useSaveMlSettings(orgId);
  const [draft, setDraft] = useState<{ min: string; floor: string } | null>(null);
  const value = draft ?? { min: settings.data?.min_samples_for_retrain?.toString() ?? "", floor: settings.data?.quality_threshold?.toString() ?? "" };
  return (
    <form className="toolbar" onSubmit={(e) => {
      e.preventDefault();
      save.mutate(
        { min_samples_for_retrain: value.min ? Number(value.min) : null, quality_threshold: value.floor ? Number(value.floor) : null },
        { onSuccess: () => { setDraft(null); toast.success("Retrain settings saved"); }, onError: (err) => toast.error("Could not save", messageOf(err)) },
      );
    }}>
      <label className="row small">Propose a retrain after
        <input style={{ width: 90 }} type="number" min={1} placeholder="default" disabled={!canEdit} value={value.min} onChange={(e) => setDraft({ ...value, min: e.target.value })} aria-label="Minimum approved answers for a retrain" />
        approved answers</label>
      <label className="row small">Quality threshold
        <input style={{ width: 80 }} type="number" min={0} max={1} step="0.01" placeholder="none" disabled={!canEdit} value={value.floor} onChange={(e) => setDraft({ ...value, floor: e.target.value })} aria-label="Quality threshold (held-out accuracy)" />
      </label>
      {canEdit ? <Button size="sm" type="submit" busy={save.isPending} disabled={!draft}>Save</Button> : null}
    </form>
  );
}
