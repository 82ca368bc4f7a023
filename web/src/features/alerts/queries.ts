import { useEffect } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { openChannel } from "../../lib/realtime.ts";
import type { AlertMetric, AlertScope } from "@review/shared/alerts/state";
import type { Row } from "../../lib/rows.ts";

type Comparator = ">" | "<";
type Level = "warning" | "critical";
/** Rows as generated (`npm run gen:types`), with the text columns whose values a CHECK constrains narrowed. */
export type Alert = Row<"alerts", { status: "firing" | "resolved"; level: Level; metric: AlertMetric; comparator: Comparator }> & {
  alert_rules: { name: string } | null;
};
export type AlertRule = Row<"alert_rules", { level: Level; metric: AlertMetric; comparator: Comparator; scope: AlertScope }>;
export type Channel = Row<"notification_channels", { kind: "webhook" | "email" }>;
export type RuleChannel = Pick<Row<"alert_rule_channels">, "rule_id" | "channel_id">;
export type Delivery = Row<"notification_deliveries", { status: "pending" | "retrying" | "delivered" | "failed" }>;

export const alertKeys = {
  alerts: (orgId: string) => ["alerts", orgId] as const,
  rules: (orgId: string) => ["alert-rules", orgId] as const,
  channels: (orgId: string) => ["notification-channels", orgId] as const,
  routes: (orgId: string) => ["alert-rule-channels", orgId] as const,
  deliveries: (orgId: string) => ["notification-deliveries", orgId] as const,
};

/** Open alerts and the recent history, newest first. */
export function useAlerts(orgId: string, enabled = true) {
  return useQuery({
    queryKey: alertKeys.alerts(orgId),
    enabled,
    queryFn: async () =>
      unwrap(await supabase.from("alerts").select("*, alert_rules(name)").eq("org_id", orgId).order("opened_at", { ascending: false }).limit(200)) as Alert[],
    staleTime: Infinity,
  });
}

/** Alerts needing someone: firing and not yet acknowledged. The header badge counts these. */
export const needsAttention = (a: Alert) => a.status === "firing" && !a.acknowledged_at;

/** Alerts (and their delivery log) live: the worker's writes reach every open page without a reload. */
export function useAlertsLive(orgId: string, enabled = true) {
  const qc = useQueryClient();
  useEffect(() => {
    if (!enabled) return;
    const refresh = () => {
      void qc.invalidateQueries({ queryKey: alertKeys.alerts(orgId) });
    };
    return openChannel(`alerts:${orgId}`, {
      setup: (ch) => {
        ch.on("postgres_changes", { event: "*", schema: "public", table: "alerts", filter: `org_id=eq.${orgId}` }, refresh);
        ch.on("postgres_changes", { event: "*", schema: "public", table: "notification_deliveries", filter: `org_id=eq.${orgId}` }, () =>
          void qc.invalidateQueries({ queryKey: alertKeys.deliveries(orgId) }));
      },
      onSubscribed: (_ch, again) => {
        if (again) refresh();
      },
    });
  }, [orgId, enabled, qc]);
}

export function useRules(orgId: string) {
  return useQuery({
    queryKey: alertKeys.rules(orgId),
    queryFn: async () => unwrap(await supabase.from("alert_rules").select("*").eq("org_id", orgId).order("created_at").order("name")) as AlertRule[],
  });
}

export function useChannels(orgId: string) {
  return useQuery({
    queryKey: alertKeys.channels(orgId),
    queryFn: async () => unwrap(await supabase.from("notification_channels").select("*").eq("org_id", orgId).order("created_at")) as Channel[],
  });
}

export function useRoutes(orgId: string) {
  return useQuery({
    queryKey: alertKeys.routes(orgId),
    queryFn: async () => unwrap(await supabase.from("alert_rule_channels").select("rule_id, channel_id").eq("org_id", orgId)) as RuleChannel[],
  });
}

export function useDeliveries(orgId: string) {
  return useQuery({
    queryKey: alertKeys.deliveries(orgId),
    queryFn: async () =>
      unwrap(await supabase.from("notification_deliveries").select("id, channel_id, alert_id, event, status, attempts, last_error, last_status_code, created_at, delivered_at")
        .eq("org_id", orgId).order("created_at", { ascending: false }).limit(50)) as Delivery[],
  });
}

export function useAcknowledge(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, note }: { id: string; note: string }) => unwrap(await supabase.rpc("acknowledge_alert", { p_alert_id: id, p_note: note })),
    onSettled: () => qc.invalidateQueries({ queryKey: alertKeys.alerts(orgId) }),
  });
}

export function useMute(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, hours }: { id: string; hours: number | null }) =>
      unwrap(await supabase.rpc("mute_alert", {
        p_alert_id: id,
        // null unmutes; the generated Args cannot say that a parameter takes null.
        p_until: hours === null ? (null as unknown as string) : new Date(Date.now() + hours * 3_600_000).toISOString(),
      })),
    onSettled: () => qc.invalidateQueries({ queryKey: alertKeys.alerts(orgId) }),
  });
}

export function useUpdateRule(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, patch, channels }: { id: string; patch: Partial<Pick<AlertRule, "threshold" | "enabled" | "level" | "window_minutes" | "min_sample" | "hysteresis_minutes" | "scope" | "scope_value">>; channels?: { add: string[]; remove: string[] } }) => {
      unwrap(await supabase.from("alert_rules").update(patch).eq("id", id).select("id").single());
      if (channels?.add.length) unwrap(await supabase.from("alert_rule_channels").insert(channels.add.map((c) => ({ org_id: orgId, rule_id: id, channel_id: c }))));
      if (channels?.remove.length) unwrap(await supabase.from("alert_rule_channels").delete().eq("rule_id", id).in("channel_id", channels.remove));
    },
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: alertKeys.rules(orgId) });
      void qc.invalidateQueries({ queryKey: alertKeys.routes(orgId) });
    },
  });
}

export function useAddChannel(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (c: Pick<Channel, "name" | "kind" | "target">) =>
      unwrap(await supabase.from("notification_channels").insert({ org_id: orgId, ...c }).select("id").single()) as { id: string },
    onSettled: () => qc.invalidateQueries({ queryKey: alertKeys.channels(orgId) }),
  });
}

export function useSendTest(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (channelId: string) => unwrap(await supabase.rpc("send_test_notification", { p_channel_id: channelId })) as string,
    onSettled: () => qc.invalidateQueries({ queryKey: alertKeys.deliveries(orgId) }),
  });
}

export async function channelSecret(channelId: string): Promise<string> {
  return unwrap(await supabase.rpc("notification_channel_secret", { p_channel_id: channelId })) as string;
}

export type RetrainProposal = {
  id: string; status: "open" | "accepted" | "dismissed"; reason: string; new_examples: number; created_at: string;
  fine_tune_job_id: string | null; ab_eval_job_id: string | null;
};

export function useRetrainProposals(orgId: string) {
  return useQuery({
    queryKey: ["retrain-proposals", orgId],
    queryFn: async () =>
      unwrap(await supabase.from("retrain_proposals").select("id, status, reason, new_examples, created_at, fine_tune_job_id, ab_eval_job_id")
        .eq("org_id", orgId).order("created_at", { ascending: false }).limit(5)) as RetrainProposal[],
  });
}

/** One click: the fine-tune starts now, the A/B evaluation against production when it completes. */
export function useAcceptRetrain(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => unwrap(await supabase.rpc("accept_retrain_proposal", { p_proposal_id: id })) as { fineTuneJobId: string },
    onSettled: () => qc.invalidateQueries({ queryKey: ["retrain-proposals", orgId] }),
  });
}

export type MlSettings = { org_id: string; min_samples_for_retrain: number | null; quality_threshold: number | null };

export function useMlSettings(orgId: string) {
  return useQuery({
    queryKey: ["ml-settings", orgId],
    queryFn: async () => unwrap(await supabase.from("ml_settings").select("org_id, min_samples_for_retrain, quality_threshold").eq("org_id", orgId).maybeSingle()) as MlSettings | null,
  });
}

export function useSaveMlSettings(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (patch: Pick<MlSettings, "min_samples_for_retrain" | "quality_threshold">) =>
      unwrap(await supabase.from("ml_settings").update(patch).eq("org_id", orgId).select("org_id").single()),
    onSettled: () => qc.invalidateQueries({ queryKey: ["ml-settings", orgId] }),
  });
}
