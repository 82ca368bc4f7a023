import type { RubricJudgeConfig } from "@review/shared/datasets/evaluators";
import { ONLINE_JUDGE_FUNCTION } from "@review/shared/datasets/online";
import { judgeWithRubric, type RubricJudgement } from "@review/shared/datasets/rubric-judge";
import { OnlineEvalPayload } from "@review/shared/jobs/config";
import { isLlmError } from "@review/shared/llm/errors";
import { resolveLivePrompt } from "@review/shared/prompts/live";
import { PermanentError, type ClaimedJob, type JobContext } from "../../queue/types.ts";
import { sqlPromptSource } from "../ab-eval/handler.ts";
import { formatIssues, type HandlerDeps } from "../common.ts";
import { loadEvaluators, scoreOutput } from "../experiment/score.ts";

export type OnlineEvalResult = { ruleId: string; aiRequestId: string; score: number | null; stored: boolean; skipped?: string };

type RequestRow = {
  id: string; org_id: string; function_name: string; model: string; prompt_version_id: string | null; created_at: Date;
  latency_ms: number; cost_usd: number; input_text: string | null; output_text: string | null;
};

const SKIP_REASONS: Record<string, string> = {
  daily_call_cap: "the rule's daily cap on judge calls is reached; sampled again tomorrow (UTC)",
  daily_cost_cap: "the rule's daily judge cost cap is reached; sampled again tomorrow (UTC)",
  rule_removed: "the rule was removed",
};

/**
 * One sampled live call scored by one online evaluator: the call's output, latency and cost through the
 * experiments' scoring path (score.ts), one row in online_eval_results (unique per rule and call, so a
 * retried task stores it once). A rule removed or disabled since the sample is skipped, not an error.
 * A rubric judge is asked through the worker's LLM client (logged, costed, traced) under
 * ONLINE_JUDGE_FUNCTION, which is never sampled; it first takes a slot of the rule's daily budget
 * (private.online_judge_claim). A provider error throws, so the queue retries the task with its backoff;
 * an answer that stays off the scale is stored as a null score with the reason.
 */
export async function runOnlineEval(deps: Pick<HandlerDeps, "sql"> & Partial<Pick<HandlerDeps, "llm">>, entry: ClaimedJob, ctx?: JobContext): Promise<OnlineEvalResult> {
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
  // A replayed sample (the same call queued again, a retry after the row landed) is never scored twice.
  const [already] = await sql`select 1 from public.online_eval_results where rule_id = ${rule.id} and ai_request_id = ${req.id}`;
  if (already) return { ruleId, aiRequestId, score: null, stored: false, skipped: "already scored" };
  const [evaluator] = await loadEvaluators(sql, rule.org_id, [rule.evaluator_id]);
  const e = evaluator!;

  // Live traffic has no expected answer; a call logged without its text has no output to check.
  const needsText = e.kind === "llm_judge" || !["latency", "cost"].includes(e.config.type);
  let score: number | null = null;
  let reason: string | null = null;
  let judgement: (RubricJudgement & { model: string; costUsd: number }) | null = null;
  let skipped: string | null = null;
  if (needsText && req.output_text === null) {
    reason = "no output text was logged for this call";
  } else if (e.kind === "llm_judge" && e.config.mode === "rubric") {
    const claim = (await sql<{ r: string | null }[]>`select private.online_judge_claim(${rule.id}, ${req.id}) as r`)[0]!.r;
    if (claim) {
      skipped = claim;
      reason = SKIP_REASONS[claim] ?? claim;
    } else {
      try {
        judgement = await judgeLive(deps, rule, req, e.name, e.config as RubricJudgeConfig, ctx?.signal);
        score = judgement.score;
      } catch (err) {
        // A provider error is the queue's to retry (the slot stays this sample's); a judge answer that
        // stays off the scale is this sample's result.
        if (!isLlmError(err) || err.code !== "llm_bad_output") throw err;
        reason = `the judge gave no valid answer: ${err.message}`.slice(0, 500);
      }
    }
  } else if (e.kind === "llm_judge") {
    reason = "a pairwise or reference judge cannot score live traffic";
  } else {
    score = await scoreOutput(e, { output: req.output_text ?? "", expected: null, latencyMs: req.latency_ms, costUsd: req.cost_usd, baseline: null, judge: null });
    if (score === null) reason = "this evaluator needs an expected answer";
  }
  const details = {
    evaluator: `${e.name} v${e.version}`,
    ...(reason ? { reason } : {}),
    ...(skipped ? { skipped } : {}),
    ...(judgement ? { raw: judgement.raw, label: judgement.label, judgeReason: judgement.reason, judgeModel: judgement.model, judgeCostUsd: judgement.costUsd } : {}),
    input: req.input_text?.slice(0, 500) ?? null,
    output: req.output_text?.slice(0, 500) ?? null,
    latencyMs: req.latency_ms,
    costUsd: req.cost_usd,
  };
  const rows = await sql`
    insert into public.online_eval_results (org_id, rule_id, evaluator_id, ai_request_id, function_name, model, prompt_version_id, request_at, score, details)
    values (${rule.org_id}, ${rule.id}, ${rule.evaluator_id}, ${req.id}, ${req.function_name}, ${req.model}, ${req.prompt_version_id}, ${req.created_at}, ${score}, ${sql.json(details)})
    on conflict (rule_id, ai_request_id) do nothing returning id`;
  return { ruleId, aiRequestId, score, stored: rows.length > 0, ...(skipped ? { skipped } : {}) };
}

/** The rubric judge on one live call, through the worker's LLM client (the experiments' provider resolver). */
async function judgeLive(
  deps: Pick<HandlerDeps, "sql"> & Partial<Pick<HandlerDeps, "llm">>,
  rule: { id: string; org_id: string },
  req: RequestRow,
  name: string,
  config: RubricJudgeConfig,
  signal: AbortSignal | undefined,
) {
  const llm = deps.llm;
  if (!llm) throw new PermanentError("This worker has no LLM client to run a judge with");
  const live = await resolveLivePrompt(sqlPromptSource(deps.sql), rule.org_id, "judge-rubric", llm.route);
  const model = config.model ?? live.model;
  let costUsd = 0;
  try {
    const j = await judgeWithRubric(
      async (r) => {
        const out = await llm.complete({
          model,
          system: r.system || undefined,
          messages: [{ role: "user", content: r.user }],
          maxTokens: r.maxTokens,
          context: {
            functionName: ONLINE_JUDGE_FUNCTION,
            promptVersionId: live.versionId,
            traceName: "online-eval-judge",
            tags: ["online-eval", "judge"],
            metadata: { ruleId: rule.id, aiRequestId: req.id, attempt: r.attempt },
          },
          logOrgId: rule.org_id,
          signal,
        });
        costUsd += out.costUsd ?? 0;
        return out;
      },
      live,
      name,
      config,
      { query: req.input_text ?? "", output: req.output_text ?? "", expected: null },
    );
    return { ...j, model, costUsd };
  } finally {
    // Every answered call is on the rule's budget, also when the answer stayed off the scale or a later
    // call failed (the daily cost cap counts what was spent, not what was scored).
    if (costUsd > 0) await deps.sql`update private.online_judge_calls set cost_usd = cost_usd + ${costUsd} where rule_id = ${rule.id} and ai_request_id = ${req.id}`;
  }
}
