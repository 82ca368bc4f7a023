import { JOB_KINDS, StartJobRequest } from "../../shared/src/jobs/kinds.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { fromDb, handler, json, parseBody } from "../_shared/http.ts";
import { PREFLIGHT } from "./preflight.ts";

/**
 * Starts a job of any kind, as the caller. The body is the discriminated union in shared/src/jobs/kinds.ts
 * ({kind, orgId, name, config, jobKey?}); the config is the same schema the worker validates again.
 * public.start_job checks the caller's capability for the kind (private.job_kinds) and writes the job and
 * its queue entry in one transaction; with a jobKey, a second start while the first is pending or running
 * returns the first (200 instead of 201).
 */
Deno.serve(handler(async (req) => {
  const body = await parseBody(req, StartJobRequest);
  const caller = await getCaller(req);
  // Checked here too so the refusal comes before the preflight reads; the database checks again.
  await requireCapability(caller, body.orgId, JOB_KINDS[body.kind].capability);
  // deno-lint-ignore no-explicit-any -- the map is keyed by the same discriminant
  await PREFLIGHT[body.kind]?.(caller, body as any);

  const fineTune = body.kind === "fine_tune" ? body.config : null;
  const started = fromDb(await caller.client.rpc("start_job", {
    p_org_id: body.orgId,
    p_kind: body.kind,
    p_name: body.name,
    p_config: body.config,
    ...(fineTune ? { p_base_model: fineTune.baseModel, p_trained_on_tags: fineTune.tags } : {}),
    ...(body.jobKey ? { p_job_key: body.jobKey } : {}),
  }), "enqueue_failed") as { job: unknown; created: boolean };
  return json({ job: started.job, created: started.created }, started.created ? 201 : 200);
}));
