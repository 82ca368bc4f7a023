import { Link } from "react-router";
import { useAlerts, useAlertsLive, needsAttention } from "./queries.ts";

/** The header's alert count: firing alerts nobody has acknowledged yet, live. */
export function AlertBadge({ orgId, slug }: { orgId: string; slug: string }) {
  const alerts = useAlerts(orgId);
  useAlertsLive(orgId);
  const open = alerts.data?.filter(needsAttention) ?? [];
  const critical = open.some((a) => a.level === "critical");
  return (
    <Link
      to={`/o/${slug}/alerts`}
      className={`alert-badge ${open.length ? (critical ? "alert-badge-critical" : "alert-badge-warning") : ""}`}
      data-testid="alert-badge"
      aria-label={open.length ? `${open.length} open alert${open.length === 1 ? "" : "s"}` : "No open alerts"}
      title={open.length ? open.map((a) => a.alert_rules?.name ?? a.metric).join("\n") : "No open alerts"}
    >
      <span aria-hidden>🔔</span>
      {open.length ? <span className="alert-badge-count" data-testid="alert-badge-count">{open.length}</span> : null}
    </Link>
  );
}
