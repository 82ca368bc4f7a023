import { z } from "zod";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { AppError, conflict, handler, json, parseBody } from "../_shared/http.ts";

const Input = z.object({
  orgId: z.string().uuid(),
  slug: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "Use 2 to 63 lowercase letters, digits and dashes, starting with a letter or digit"),
  description: z.string().trim().max(2000).default(""),
});

// A named prompt (e.g. `suggest-answer`) that versions are saved under. Written with the caller's
// rights: RLS lets curators and admins create prompts in their organization.
Deno.serve(handler(async (req) => {
  const { orgId, slug, description } = await parseBody(req, Input);
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
