import { describe, expect, it } from "vitest";
import { describeFilters, isExcludedFromOnlineEval, OnlineEvaluatorInput, ONLINE_EVAL_LIMITS } from "./online.ts";

describe("online evaluation rules", () => {
  it("never samples judge calls or the task's own calls, whoever makes them", () => {
    expect(["worker:ab-eval-judge", "judge-pairwise", "worker:online-eval", "worker:online-eval-judge"].map(isExcludedFromOnlineEval)).toEqual([true, true, true, true]);
    expect(["suggest-answer", "regenerate-suggestion", "worker:experiment", "worker:ab-eval"].map(isExcludedFromOnlineEval)).toEqual([false, false, false, false]);
  });

  it("a rule's input: a rate within the limit, empty filters mean any", () => {
    const evaluatorId = "aaaaaaaa-0000-4000-8000-000000000001";
    expect(OnlineEvaluatorInput.parse({ evaluatorId, samplingRate: 0.25 })).toEqual({ evaluatorId, samplingRate: 0.25, functionName: null, promptVersionId: null, model: null, judgeCallsPerDay: ONLINE_EVAL_LIMITS.defaultJudgeCallsPerRuleDay });
    expect(OnlineEvaluatorInput.safeParse({ evaluatorId, samplingRate: 1, judgeCallsPerDay: ONLINE_EVAL_LIMITS.maxJudgeCallsPerRuleDay + 1 }).success).toBe(false);
    expect(OnlineEvaluatorInput.safeParse({ evaluatorId, samplingRate: ONLINE_EVAL_LIMITS.maxSamplingRate + 0.1 }).success).toBe(false);
    expect(OnlineEvaluatorInput.safeParse({ evaluatorId, samplingRate: -0.1 }).success).toBe(false);
  });

  it("describes filters for lists", () => {
    expect(describeFilters({ function_name: null, prompt_version_id: null, model: null })).toBe("all live traffic");
    expect(describeFilters({ function_name: "regenerate-suggestion", prompt_version_id: null, model: "offline-fast-1" })).toBe("function regenerate-suggestion · model offline-fast-1");
  });
});
