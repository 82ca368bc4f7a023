import { OnlineEvalPayload } from "@review/shared/jobs/config";
import { PermanentError, type ClaimedJob, type JobContext } from "../../queue/types.ts";
import { formatIssues, type HandlerDeps } from "../common.ts";
import { loadEvaluators, scoreOutput } from "../experiment/score.ts";

export type OnlineEvalResult = { ruleId: string; aiRequestId: string; score: number | null; stored: boolean; skipped?: string };

type RequestRow = {
  id: string; org_id: string; function_name: string; model: string; prompt_version_id: string | null; created_at: Date;
  latency_ms: number; cost_usd: number; input_text: string | null; output_text: string | null;
};

/**
 * One sampled live call scored by one online evaluator: the call's output, latency and cost through the
 * experiments' scoring path (score.ts), one row in online_eval_results (unique per rule and call, so a
 * retried task stores it once). A rule removed or disabled since the sample is skipped, not an error.
 */
export async function runOnlineEval(deps: Pick<HandlerDeps, "sql">, entry: ClaimedJob, _ctx?: JobContext): Promise<OnlineEvalResult> {
  const { sql } = deps;
  const p = OnlineEvalPayload.safeParse(entry.payload);
  if (!p.success) throw new PermanentError(`The queue entry's payload is malformed: ${formatIssues(p.error)}`);
  const { ruleId, aiRequestId } = p.data;
  const [rule] = await sql<{ id: string; org_id: string; evaluator_id: string; enabled: boolean }[]>`
    select id, org_id, evaluator_id, enabled from public.online_evaluators where id = ${ruleId}`;
  if (!rule || !rule.enabled) return { ruleId, aiRequestId, score: null, stored: false, skipped: rule ? "rule disabled" : "rule removed" };
  const [req] = await sql<RequestRow[]>`
    select id, org_id, function_name, model, prompt_version_id, created_at, latency_ms, cost_usd::float8 as cost_usd, input_text, output_text
    from public.ai_requests where id = ${aiRequestId} and org_id = ${rule.org_id}`;
  if (!req) return { ruleId, aiRequestId, score: null, stored: false, skipped: "request gone" };
  const [evaluator] = await loadEvaluators(sql, rule.org_id, [rule.evaluator_id]);

  // Live traffic has no expected answer; a call logged without its text has no output to check.
  const needsText = evaluator!.kind === "deterministic" && !["latency", "cost"].includes(evaluator!.config.type);
  const score = needsText && req.output_text === null
    ? null
    : await scoreOutput(evaluator!, { output: req.output_text ?? "", expected: null, latencyMs: req.latency_ms, costUsd: req.cost_usd, baseline: null, judge: null });
  const details = {
    evaluator: `${evaluator!.name} v${evaluator!.version}`,
    ...(score === null ? { reason: needsText && req.output_text === null ? "no output text was logged for this call" : "this evaluator needs an expected answer" } : {}),
    input: req.input_text?.slice(0, 500) ?? null,
    output: req.output_text?.slice(0, 500) ?? null,
    latencyMs: req.latency_ms,
    costUsd: req.cost_usd,
  };
  const rows = await sql`
    insert into public.online_eval_results (org_id, rule_id, evaluator_id, ai_request_id, function_name, model, prompt_version_id, request_at, score, details)
    values (${rule.org_id}, ${rule.id}, ${rule.evaluator_id}, ${req.id}, ${req.function_name}, ${req.model}, ${req.prompt_version_id}, ${req.created_at}, ${score}, ${sql.json(details)})
    on conflict (rule_id, ai_request_id) do nothing returning id`;
  return { ruleId, aiRequestId, score, stored: rows.length > 0 };
}
