import { useEffect } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { OnlineEvaluatorInput } from "@review/shared/datasets/online";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { openChannel } from "../../lib/realtime.ts";
import type { Row } from "../../lib/rows.ts";

export type OnlineEvaluatorRow = Pick<Row<"online_evaluators">, "id" | "evaluator_id" | "sampling_rate" | "function_name" | "prompt_version_id" | "model" | "enabled" | "judge_calls_per_day" | "created_at"> & {
  evaluators: Pick<Row<"evaluators", { config: Record<string, unknown> }>, "name" | "version" | "kind" | "config"> | null;
};
/** details: what the worker stored with the score (shared/src/datasets/online.ts). */
export type OnlineResultRow = Pick<
  Row<"online_eval_results", {
    details: {
      evaluator?: string; reason?: string; input?: string | null; output?: string | null; latencyMs?: number;
      /** A rubric judge's value on its scale, label and reason (the score is it normalized to [0, 1]). */
      raw?: number; label?: string | null; judgeReason?: string; judgeModel?: string;
      /** Why a sample was not judged: the rule's daily judge budget was spent. */
      skipped?: "daily_call_cap" | "daily_cost_cap" | string;
    };
  }>,
  "id" | "rule_id" | "ai_request_id" | "function_name" | "model" | "score" | "request_at" | "created_at" | "details"
>;

const keys = {
  rules: (orgId: string) => ["online-evaluators", orgId] as const,
  results: (orgId: string) => ["online-eval-results", orgId] as const,
};

export function useOnlineEvaluators(orgId: string) {
  return useQuery({
    queryKey: keys.rules(orgId),
    queryFn: async () =>
      unwrap(await supabase.from("online_evaluators").select("id, evaluator_id, sampling_rate, function_name, prompt_version_id, model, enabled, judge_calls_per_day, created_at, evaluators(name, version, kind, config)").eq("org_id", orgId).order("created_at")) as OnlineEvaluatorRow[],
  });
}

/** The latest scored calls (RLS: evaluator editors and usage readers); `enabled` false for roles that cannot read them. */
export function useOnlineResults(orgId: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.results(orgId),
    enabled,
    queryFn: async () =>
      unwrap(await supabase.from("online_eval_results").select("id, rule_id, ai_request_id, function_name, model, score, request_at, created_at, details").eq("org_id", orgId).order("id", { ascending: false }).limit(50)) as OnlineResultRow[],
  });
}

/** Today's judge calls and spend per rule (the spend guard), for those who read the results. */
export function useOnlineJudgeUsage(orgId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["online-judge-usage", orgId] as const,
    enabled,
    queryFn: async () => unwrap(await supabase.rpc("online_judge_usage", { p_org: orgId })) as Array<{ rule_id: string; calls: number; cost_usd: number; cap: number }>,
  });
}

/** Rules and results as they change: results arrive as the worker scores sampled calls. */
export function useOnlineEvalLive(orgId: string) {
  const qc = useQueryClient();
  useEffect(
    () =>
      openChannel(`online-eval:${orgId}`, {
        setup: (ch) => {
          ch.on("postgres_changes", { event: "INSERT", schema: "public", table: "online_eval_results", filter: `org_id=eq.${orgId}` }, () => {
            void qc.invalidateQueries({ queryKey: keys.results(orgId) });
            void qc.invalidateQueries({ queryKey: ["online-judge-usage", orgId] });
          });
          ch.on("postgres_changes", { event: "*", schema: "public", table: "online_evaluators", filter: `org_id=eq.${orgId}` }, () => {
            void qc.invalidateQueries({ queryKey: keys.rules(orgId) });
          });
        },
        onSubscribed: (_ch, again) => {
          if (again) void qc.invalidateQueries({ queryKey: keys.results(orgId) });
        },
      }),
    [orgId, qc],
  );
}

export function useOnlineEvaluatorMutations(orgId: string) {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: keys.rules(orgId) });
  const add = useMutation({
    mutationFn: async (input: OnlineEvaluatorInput) => {
      const v = OnlineEvaluatorInput.parse(input);
      return unwrap(await supabase.from("online_evaluators").insert({
        org_id: orgId, evaluator_id: v.evaluatorId, sampling_rate: v.samplingRate, function_name: v.functionName, prompt_version_id: v.promptVersionId, model: v.model,
        judge_calls_per_day: v.judgeCallsPerDay,
      }).select("id").single());
    },
    onSettled: done,
  });
  const update = useMutation({
    mutationFn: async (args: { id: string; patch: { enabled?: boolean; sampling_rate?: number } }) =>
      unwrap(await supabase.from("online_evaluators").update(args.patch).eq("id", args.id).select("id").single()),
    onSettled: done,
  });
  const remove = useMutation({
    mutationFn: async (id: string) => unwrap(await supabase.from("online_evaluators").delete().eq("id", id).select("id")),
    onSettled: done,
  });
  return { add, update, remove };
}
