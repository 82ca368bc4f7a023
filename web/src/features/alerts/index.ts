export { AlertBadge } from "./AlertBadge.tsx";
export { useAlerts, useAlertsLive, needsAttention, type Alert, type AlertRule } from "./queries.ts";
export { default as AlertsPage } from "./AlertsPage.tsx";
