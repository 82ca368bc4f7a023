export { AlertBadge } from "./AlertBadge.tsx";
export { useAlerts, useAlertsLive, needsAttention, type Alert, type AlertRule } from "./queries.ts";
