import { z } from "zod";
import { AbEvalConfig } from "../../shared/src/jobs/config.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { AppError, badRequest, fromDb, handler, json, parseBody } from "../_shared/http.ts";

const Input = AbEvalConfig.safeExtend({
  orgId: z.string().uuid(),
  name: z.string().trim().min(1).max(120),
});

// Admins start A/B evaluations (which may promote a prompt version when `promote` is set).
Deno.serve(handler(async (req) => {
  const { orgId, name, ...config } = await parseBody(req, Input);
  const caller = await getCaller(req);
  await requireCapability(caller, orgId, "job:start");

  // Everything the config points at must be this organization's; read through the caller's RLS.
  const fields: Record<string, string[]> = {};
  for (const [key, v] of [["variantA", config.variantA], ["variantB", config.variantB]] as const) {
    if (!v.promptVersionId) continue;
    const { data, error } = await caller.client.from("prompt_versions").select("id").eq("id", v.promptVersionId).eq("org_id", orgId).maybeSingle();
    if (error) throw new AppError(500, "prompt_lookup_failed", error.message);
    if (!data) fields[`${key}.promptVersionId`] = ["No such prompt version in this organization"];
  }
  if (config.evalSet.source === "training_examples" && config.evalSet.holdoutOfJobId) {
    const { data, error } = await caller.client.from("jobs").select("id, kind, status").eq("id", config.evalSet.holdoutOfJobId).eq("org_id", orgId).maybeSingle();
    if (error) throw new AppError(500, "job_lookup_failed", error.message);
    if (!data || data.kind !== "fine_tune") fields["evalSet.holdoutOfJobId"] = ["No fine-tune job with that id in this organization"];
    else if (data.status !== "completed") fields["evalSet.holdoutOfJobId"] = ["That fine-tune job has not completed yet"];
  }
  if (Object.keys(fields).length) throw badRequest("Some fields point at things that do not exist", fields);

  // Started as the caller: start_job checks the caller may start jobs in this organization.
  const started = fromDb(await caller.client.rpc("start_job", { p_org_id: orgId, p_kind: "ab_eval", p_name: name, p_config: config }), "enqueue_failed") as { job: unknown };
  return json({ job: started.job }, 201);
}));
