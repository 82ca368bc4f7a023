import { RollbackPromptRequest } from "../../shared/src/api/prompts.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { AppError, fromDb, handler, json, notFound, parseBody } from "../_shared/http.ts";


// Admins bring back an earlier production version. Versions are immutable once live, so a rollback only
// swaps statuses in one audited transaction (public.rollback_prompt, which checks the caller and that
// the promotion history shows the target in production before); the restored template is byte-for-byte
// what ran before.
Deno.serve(handler(async (req) => {
  const { promptId, versionId, reason } = await parseBody(req, RollbackPromptRequest);
  const caller = await getCaller(req);
  const { data: prompt, error } = await caller.client.from("prompts").select("id, org_id").eq("id", promptId).maybeSingle();
  if (error) throw new AppError(500, "prompt_lookup_failed", error.message);
  if (!prompt) throw notFound("The prompt");
  await requireCapability(caller, prompt.org_id, "prompt:rollback", "The prompt");

  const before = fromDb(
    await caller.client.from("prompt_versions").select("id, version").eq("prompt_id", promptId).eq("status", "production").maybeSingle(),
    "version_lookup_failed",
  );
  const version = fromDb(
    await caller.client.rpc("rollback_prompt", { p_prompt_id: promptId, p_target_version_id: versionId, p_reason: reason }),
    "rollback_failed",
  );
  return json({ version, previous: before ?? null });
}));
