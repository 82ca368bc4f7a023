import { CreatePromptRequest } from "../../shared/src/api/prompts.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { AppError, conflict, handler, json, parseBody } from "../_shared/http.ts";


// A named prompt (e.g. `suggest-answer`) that versions are saved under. Written with the caller's
// rights: RLS lets curators and admins create prompts in their organization.
Deno.serve(handler(async (req) => {
  const { orgId, slug, description } = await parseBody(req, CreatePromptRequest);
  const caller = await getCaller(req);
  await requireCapability(caller, orgId, "prompt:edit");
  const { data, error } = await caller.client
    .from("prompts")
    .insert({ org_id: orgId, slug, description })
    .select()
    .single();
  if (error?.code === "23505") throw conflict("slug_taken", `A prompt named "${slug}" already exists in this organization`);
  if (error) throw new AppError(500, "prompt_create_failed", error.message);
  return json({ prompt: data }, 201);
}));
