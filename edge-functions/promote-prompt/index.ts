import { PromotePromptRequest } from "../../shared/src/api/prompts.ts";
import { AbEvalConfig, EvalSet } from "../../shared/src/jobs/config.ts";
import { extractVariables } from "../../shared/src/prompts/template.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { AppError, conflict, fromDb, handler, json, notFound, parseBody } from "../_shared/http.ts";

/** The variables the worker's evaluation fills from each item (worker/src/features/ab-eval/handler.ts). */
const EVAL_VARIABLES = new Set(["query", "question", "input"]);

// Promotion goes through the A/B gate only: this starts an evaluation of the candidate (B) against the
// current production version (A) on the worker's queue, with `promote: true`; the worker runs both on
// the eval set, applies the gate (margin, significance, minimum samples) and, if it passes, calls
// promote_prompt_version. A prompt with no production version yet is compared with its model answering
// the bare query, so even the first version has to beat "no prompt".
Deno.serve(handler(async (req) => {
  const input = await parseBody(req, PromotePromptRequest);
  const caller = await getCaller(req);
  const { data: v, error } = await caller.client
    .from("prompt_versions")
    .select("id, org_id, prompt_id, version, status, model, template, system_template")
    .eq("id", input.versionId)
    .maybeSingle();
  if (error) throw new AppError(500, "version_lookup_failed", error.message);
  if (!v) throw notFound("The prompt version");
  await requireCapability(caller, v.org_id, "prompt:promote", "The prompt version");
  if (v.status !== "candidate") {
    throw conflict("not_candidate", v.status === "draft"
      ? `Version ${v.version} is a draft; save it as a candidate before promoting it.`
      : `Version ${v.version} is ${v.status}; only candidates are promoted (use rollback to bring back an earlier production version).`);
  }

  const { data: prod, error: prodError } = await caller.client
    .from("prompt_versions")
    .select("id, version")
    .eq("prompt_id", v.prompt_id)
    .eq("status", "production")
    .maybeSingle();
  if (prodError) throw new AppError(500, "version_lookup_failed", prodError.message);

  const evalSet = input.evalSet ?? EvalSet.parse({ source: "training_examples" });
  const gate = {
    margin: input.margin ?? 0.05,
    alpha: input.alpha ?? 0.05,
    minSamples: input.minSamples ?? 20,
  };
  // Refuse up front what the gate would refuse after paying for every call: too few items to decide.
  const available = await evalSetSize(caller.client, v.org_id, evalSet);
  if (available < gate.minSamples) {
    throw new AppError(422, "eval_set_too_small",
      `The evaluation set has ${available} item${available === 1 ? "" : "s"}; the gate needs at least ${gate.minSamples}. Approve more answers, pick another set, or lower minSamples.`);
  }

  const { data: prompt, error: promptError } = await caller.client.from("prompts").select("slug").eq("id", v.prompt_id).single();
  if (promptError) throw new AppError(500, "prompt_lookup_failed", promptError.message);
  const slug = prompt.slug as string;
  const config = AbEvalConfig.parse({
    variantA: prod ? { promptVersionId: prod.id, label: `v${prod.version} (production)` } : { model: v.model, label: "no prompt (model only)" },
    variantB: { promptVersionId: v.id, label: `v${v.version} (candidate)` },
    evalSet,
    primaryMetric: input.primaryMetric ?? "judge",
    gate,
    promote: true,
  });
  const unfilled = extractVariables(v.template, v.system_template).filter((n) => !EVAL_VARIABLES.has(n));
  const warnings = unfilled.length
    ? [`The evaluation fills only {{query}}, {{question}} and {{input}}; ${unfilled.map((n) => `{{${n}}}`).join(", ")} will be sent as written.`]
    : [];

  // One evaluation per candidate at a time, as a database fact: the job key. A second click (or a
  // second admin) gets the running one's id instead of paying for the evaluation twice.
  const started = fromDb(await caller.client.rpc("start_job", {
    p_org_id: v.org_id,
    p_kind: "ab_eval",
    p_name: `Promote ${slug} v${v.version}`.slice(0, 120),
    p_config: config,
    p_job_key: `promote:${v.id}`,
  }), "enqueue_failed") as { job: { id: string; status: string }; created: boolean };
  if (!started.created) {
    throw new AppError(409, "evaluation_running", `An evaluation of version ${v.version} is already ${started.job.status} (job ${started.job.id}).`, { jobId: [started.job.id] });
  }
  const job = started.job;
  return json({ jobId: job.id, job, baseline: prod ? { versionId: prod.id, version: prod.version } : null, warnings }, 202);
}));

async function evalSetSize(client: import("@supabase/supabase-js").SupabaseClient, orgId: string, set: EvalSet): Promise<number> {
  if (set.source === "curated") return set.items.length;
  if (set.holdoutOfJobId) {
    const { data, error } = await client.from("models").select("dataset_snapshot").eq("job_id", set.holdoutOfJobId).eq("org_id", orgId).maybeSingle();
    if (error) throw new AppError(500, "model_lookup_failed", error.message);
    const ids = (data?.dataset_snapshot as { validationIds?: unknown[] } | undefined)?.validationIds;
    return Array.isArray(ids) ? ids.length : 0;
  }
  let q = client.from("training_examples").select("id", { count: "exact", head: true }).eq("org_id", orgId);
  if (set.tags.length) q = q.overlaps("tags", set.tags);
  const { count, error } = await q;
  if (error) throw new AppError(500, "eval_set_lookup_failed", error.message);
  return Math.min(count ?? 0, set.limit);
}
