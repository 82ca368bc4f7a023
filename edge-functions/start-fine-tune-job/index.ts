import { z } from "zod";
import { FineTuneConfig } from "../../shared/src/jobs/config.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { AppError, fromDb, handler, json, parseBody } from "../_shared/http.ts";

// The job's whole configuration is the shared schema (what the worker validates again), plus who and what.
const Input = FineTuneConfig.extend({
  orgId: z.string().uuid(),
  name: z.string().trim().min(1).max(120),
});

// Admins start fine-tunes, as themselves: public.start_job checks the caller may, and writes the job
// and its queue entry in one transaction.
Deno.serve(handler(async (req) => {
  const { orgId, name, ...config } = await parseBody(req, Input);
  const caller = await getCaller(req);
  await requireCapability(caller, orgId, "job:start");

  // Refuse early what the worker would fail on anyway: too few approved examples for these tags.
  let q = caller.client.from("training_examples").select("id", { count: "exact", head: true }).eq("org_id", orgId);
  if (config.tags.length) q = q.overlaps("tags", config.tags);
  const { count, error: countError } = await q;
  if (countError) throw new AppError(500, "training_examples_lookup_failed", countError.message);
  if ((count ?? 0) < config.minSamples) {
    throw new AppError(
      422,
      "not_enough_examples",
      `Only ${count ?? 0} approved example${count === 1 ? "" : "s"} match${config.tags.length ? ` the tags ${config.tags.join(", ")}` : ""}; at least ${config.minSamples} are needed`,
      { tags: [`${count ?? 0} of ${config.minSamples} examples`] },
    );
  }

  const started = fromDb(await caller.client.rpc("start_job", {
    p_org_id: orgId,
    p_kind: "fine_tune",
    p_name: name,
    p_config: config,
    p_base_model: config.baseModel,
    p_trained_on_tags: config.tags,
  }), "enqueue_failed") as { job: unknown };
  return json({ job: started.job }, 201);
}));
