import type { z } from "zod";
import type { StartJobRequest } from "../../shared/src/jobs/kinds.ts";
import type { Caller } from "../_shared/auth.ts";
import { AppError, badRequest } from "../_shared/http.ts";

type Parsed = z.output<typeof StartJobRequest>;

/**
 * Refuse early, with a message naming the field, what the worker would only fail on minutes later.
 * Reads go through the caller's own client, so RLS also keeps them inside the caller's organizations.
 * A kind without an entry here needs no checks beyond its schema and the database's.
 */
export const PREFLIGHT: { [K in Parsed["kind"]]?: (caller: Caller, req: Extract<Parsed, { kind: K }>) => Promise<void> } = {
  async fine_tune(caller, { orgId, config }) {
    // Too few approved examples for these tags.
    let q = caller.client.from("training_examples").select("id", { count: "exact", head: true }).eq("org_id", orgId);
    if (config.tags.length) q = q.overlaps("tags", config.tags);
    const { count, error } = await q;
    if (error) throw new AppError(500, "training_examples_lookup_failed", error.message);
    if ((count ?? 0) < config.minSamples) {
      throw new AppError(
        422,
        "not_enough_examples",
        `Only ${count ?? 0} approved example${count === 1 ? "" : "s"} match${config.tags.length ? ` the tags ${config.tags.join(", ")}` : ""}; at least ${config.minSamples} are needed`,
        { "config.tags": [`${count ?? 0} of ${config.minSamples} examples`] },
      );
    }
  },

  async ab_eval(caller, { orgId, config }) {
    // Everything the config points at must be this organization's.
    const fields: Record<string, string[]> = {};
    for (const [key, v] of [["variantA", config.variantA], ["variantB", config.variantB]] as const) {
      if (!v.promptVersionId) continue;
      const { data, error } = await caller.client.from("prompt_versions").select("id").eq("id", v.promptVersionId).eq("org_id", orgId).maybeSingle();
      if (error) throw new AppError(500, "prompt_lookup_failed", error.message);
      if (!data) fields[`config.${key}.promptVersionId`] = ["No such prompt version in this organization"];
    }
    if (config.evalSet.source === "training_examples" && config.evalSet.holdoutOfJobId) {
      const { data, error } = await caller.client.from("jobs").select("id, kind, status").eq("id", config.evalSet.holdoutOfJobId).eq("org_id", orgId).maybeSingle();
      if (error) throw new AppError(500, "job_lookup_failed", error.message);
      if (!data || data.kind !== "fine_tune") fields["config.evalSet.holdoutOfJobId"] = ["No fine-tune job with that id in this organization"];
      else if (data.status !== "completed") fields["config.evalSet.holdoutOfJobId"] = ["That fine-tune job has not completed yet"];
    }
    if (Object.keys(fields).length) throw badRequest("Some fields point at things that do not exist", fields);
  },

  async experiment(caller, { orgId, config }) {
    // What the matrix points at must be this organization's, and the dataset version frozen.
    const fields: Record<string, string[]> = {};
    const { data: version, error } = await caller.client.from("dataset_versions").select("id, status").eq("id", config.datasetVersionId).eq("org_id", orgId).maybeSingle();
    if (error) throw new AppError(500, "dataset_lookup_failed", error.message);
    if (!version) fields["config.datasetVersionId"] = ["No such dataset version in this organization"];
    else if (version.status !== "published") fields["config.datasetVersionId"] = ["Publish this version before running an experiment on it"];
    const ids = [...new Set(config.variants.map((v) => v.promptVersionId).filter((id): id is string => !!id))];
    if (ids.length) {
      const { data, error: e } = await caller.client.from("prompt_versions").select("id").eq("org_id", orgId).in("id", ids);
      if (e) throw new AppError(500, "prompt_lookup_failed", e.message);
      const found = new Set((data ?? []).map((r) => r.id));
      config.variants.forEach((v, i) => {
        if (v.promptVersionId && !found.has(v.promptVersionId)) fields[`config.variants.${i}.promptVersionId`] = ["No such prompt version in this organization"];
      });
    }
    if (config.evaluatorIds.length) {
      const { data, error: e } = await caller.client.from("evaluators").select("id").eq("org_id", orgId).in("id", config.evaluatorIds);
      if (e) throw new AppError(500, "evaluator_lookup_failed", e.message);
      if ((data ?? []).length !== new Set(config.evaluatorIds).size) fields["config.evaluatorIds"] = ["An evaluator is not this organization's"];
    }
    if (Object.keys(fields).length) throw badRequest("Some fields point at things that do not exist", fields);
  },

  async review_judge(caller, { orgId, config }) {
    // The queue must be this organization's, and the rubrics named must be the queue's.
    const { data: queue, error } = await caller.client.from("review_queues").select("id, score_config_ids").eq("id", config.queueId).eq("org_id", orgId).maybeSingle();
    if (error) throw new AppError(500, "queue_lookup_failed", error.message);
    if (!queue) throw badRequest("The review queue does not exist in this organization", { "config.queueId": ["No such review queue in this organization"] });
    const foreign = config.scoreConfigIds.filter((id) => !(queue.score_config_ids as string[]).includes(id));
    if (foreign.length) throw badRequest("Some rubrics are not this queue's", { "config.scoreConfigIds": [`Not rubrics of this queue: ${foreign.join(", ")}`] });
  },
};
