import { z } from "zod";
import { getCaller, requireRole, serviceClient } from "../_shared/auth.ts";
import { AppError, handler, json, notFound, parseBody } from "../_shared/http.ts";
import { rpcFailure } from "../_shared/prompt-studio.ts";

const Input = z.object({
  promptId: z.string().uuid(),
  /** The earlier production version to restore; omitted = the one that was production just before the current one. */
  versionId: z.string().uuid().optional(),
  reason: z.string().trim().max(500).optional(),
});

// Admins bring back an earlier production version. Versions are immutable once live, so a rollback only
// swaps statuses (current → retired, chosen → production) in one audited transaction; the restored
// template is byte-for-byte what ran before.
Deno.serve(handler(async (req) => {
  const { promptId, versionId, reason } = await parseBody(req, Input);
  const caller = await getCaller(req);
  const { data: prompt, error } = await caller.client.from("prompts").select("id, org_id").eq("id", promptId).maybeSingle();
  if (error) throw new AppError(500, "prompt_lookup_failed", error.message);
  if (!prompt) throw notFound("The prompt");
  await requireRole(caller, prompt.org_id, ["admin"]);

  const service = serviceClient();
  const { data: before } = await service.from("prompt_versions").select("id, version").eq("prompt_id", promptId).eq("status", "production").maybeSingle();
  const { data, error: rpcError } = versionId
    ? await service.rpc("rollback_prompt_to_version", { p_prompt_id: promptId, p_target_version_id: versionId, p_actor: caller.userId, p_reason: reason ?? null })
    : await service.rpc("rollback_prompt", { p_prompt_id: promptId, p_actor: caller.userId, p_reason: reason ?? null });
  if (rpcError) {
    // PostgREST reports the RPC's no_data_found as P0002; the embedded gateway as its message only.
    if (rpcError.code === "P0002" || /no earlier production version/.test(rpcError.message)) throw new AppError(409, "nothing_to_roll_back", "There is no earlier production version of this prompt to roll back to.");
    throw rpcFailure(rpcError, "rollback_failed");
  }
  return json({ version: data, previous: before ?? null });
}));
