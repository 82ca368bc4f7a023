import { PromoteFromReviewRequest, type PromoteFromReviewResponse } from "../../shared/src/api/prompts.ts";
import { humanPreference, preferenceGate } from "../../shared/src/review/preference.ts";
import type { AdjudicationRow, Rubric, ScoreRow } from "../../shared/src/review/report.ts";
import { getCaller, requireCapability, serviceClient, type Db } from "../_shared/auth.ts";
import { AppError, fromDb, handler, json, notFound, parseBody } from "../_shared/http.ts";

// Human preference as gate evidence. The queue reviews an A/B evaluation's items with a preference
// rubric; its final preferences (read with the caller's own client, so only what they may read counts)
// give B's human win rate with a Wilson interval (shared/src/review/preference.ts). When the interval's
// lower bound clears the gate's threshold, B (a candidate prompt version) is promoted through
// public.promote_prompt_version_from_review, which only the service role may call: the numbers it
// records are the ones computed here, never a caller's.
Deno.serve(handler(async (req) => {
  const input = await parseBody(req, PromoteFromReviewRequest);
  const caller = await getCaller(req);
  const { data: q, error } = await caller.client.from("review_queues").select("id, org_id, name, source_kind, source, score_config_ids").eq("id", input.queueId).maybeSingle();
  if (error) throw new AppError(500, "queue_lookup_failed", error.message);
  if (!q) throw notFound("The review queue");
  await requireCapability(caller, q.org_id, "prompt:promote", "The review queue");
  const jobId = (q.source as { job_id?: string }).job_id;
  if (q.source_kind !== "ab_eval" || !jobId) throw new AppError(422, "not_pairwise", "This queue does not review an A/B evaluation's outputs");
  const { data: job, error: jobError } = await caller.client.from("jobs").select("id, kind, config").eq("id", jobId).eq("org_id", q.org_id).maybeSingle();
  if (jobError) throw new AppError(500, "job_lookup_failed", jobError.message);
  const versionId = (job?.config as { variantB?: { promptVersionId?: string } } | undefined)?.variantB?.promptVersionId;
  if (!job || job.kind !== "ab_eval" || !versionId) throw new AppError(422, "no_candidate", "B of the reviewed evaluation is not a prompt version, so there is nothing to promote");
  const { data: rubrics, error: rubricError } = await caller.client.from("score_configs").select("*").eq("org_id", q.org_id).in("id", q.score_config_ids).eq("kind", "preference");
  if (rubricError) throw new AppError(500, "rubric_lookup_failed", rubricError.message);
  const rubric = (rubrics ?? [])[0] as unknown as Rubric | undefined;
  if (!rubric) throw new AppError(422, "no_preference_rubric", "This queue has no preference rubric");

  const scores = await readAll<ScoreRow>(caller.client, "scores", "item_id, reviewer_id, score_config_id, value", q.id, rubric.id);
  const adjudications = await readAll<AdjudicationRow>(caller.client, "adjudications", "item_id, score_config_id, value", q.id, rubric.id);
  const pref = humanPreference(rubric, scores, adjudications);
  const margin = input.margin ?? 0.05;
  const minSamples = input.minSamples ?? 20;
  const gate = preferenceGate(pref, { margin, minSamples });
  const evidence: PromoteFromReviewResponse["evidence"] = {
    queue_id: q.id, job_id: job.id, rubric_id: rubric.id, n: pref.n, wins: pref.wins, losses: pref.losses, ties: pref.ties,
    rate: pref.rate, lower: pref.lower, upper: pref.upper, level: pref.level, threshold: gate.threshold, margin, min_samples: minSamples,
    summary: `Human preference in "${q.name}": ${gate.reasons.join("; ")}`.slice(0, 2000),
  };
  if (!gate.passed) return json({ promoted: false, versionId, reasons: gate.reasons, evidence } satisfies PromoteFromReviewResponse);
  fromDb(await serviceClient().rpc("promote_prompt_version_from_review", {
    p_version_id: versionId, p_job_id: job.id, p_queue_id: q.id, p_evidence: evidence, p_actor: caller.userId,
  }), "promotion_failed");
  return json({ promoted: true, versionId, reasons: gate.reasons, evidence } satisfies PromoteFromReviewResponse);
}));

async function readAll<T>(client: Db, table: "scores" | "adjudications", columns: string, queueId: string, rubricId: string): Promise<T[]> {
  const out: T[] = [];
  for (let from = 0; ; from += 1000) {
    const { data, error } = await client.from(table).select(columns).eq("queue_id", queueId).eq("score_config_id", rubricId).order("id").range(from, from + 999);
    if (error) throw new AppError(500, `${table}_lookup_failed`, error.message);
    out.push(...((data ?? []) as unknown as T[]));
    if (!data || data.length < 1000) return out;
  }
}
