import { parseEvaluator, runDeterministic, type Evaluator, type Scored } from "@review/shared/datasets/evaluators";
import { PermanentError } from "../../queue/types.ts";
import type { HandlerDeps } from "../common.ts";

export type JudgeEvaluator = Extract<Evaluator, { kind: "llm_judge" }>;

/**
 * What one output is scored against. `judge` runs an LLM judge (both orders) of the output against
 * another text; without it (online evaluation) judge evaluators score null. `baseline` is the
 * experiment's baseline variant for pairwise judges: null when there is none.
 */
export type ScoreInput = Scored & {
  baseline: { isBaseline: boolean; output: string | null } | null;
  judge: ((e: JudgeEvaluator, against: string) => Promise<number>) | null;
  /** Runs a rubric judge (pointwise, rubric-judge.ts) on the output: its normalized score, null when its answer stayed off the scale. */
  rubricJudge?: ((e: JudgeEvaluator) => Promise<number | null>) | null;
};

/** One evaluator on one output: the experiments' and the online evaluation's one scoring path. */
export async function scoreOutput(e: Evaluator, x: ScoreInput): Promise<number | null> {
  if (e.kind === "deterministic") return runDeterministic(e.config, x);
  if (e.config.mode === "rubric") return x.rubricJudge ? x.rubricJudge(e) : null;
  if (!x.judge) return null;
  if (e.config.mode === "reference") return x.expected ? x.judge(e, x.expected) : null;
  if (!x.baseline) return null;
  if (x.baseline.isBaseline) return 0;
  return x.baseline.output === null ? null : x.judge(e, x.baseline.output);
}

/** The organization's evaluator versions by id, in the order asked, validated; a missing or invalid one is permanent. */
export async function loadEvaluators(sql: HandlerDeps["sql"], orgId: string, ids: string[]): Promise<Evaluator[]> {
  const rows = await sql<{ id: string; name: string; version: number; kind: string; config: unknown }[]>`
    select id, name, version, kind, config from public.evaluators where org_id = ${orgId} and id = any(${ids}::uuid[])`;
  return ids.map((id) => {
    const row = rows.find((r) => r.id === id);
    if (!row) throw new PermanentError(`Evaluator ${id} does not exist in this organization`);
    try {
      return parseEvaluator(row);
    } catch (err) {
      throw new PermanentError(`Evaluator ${row.name} v${row.version} has an invalid configuration: ${(err as Error).message}`);
    }
  });
}
