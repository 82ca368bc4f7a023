import { z } from "zod";
import { getCaller, requireRole, serviceClient } from "../_shared/auth.ts";
import { decideCase } from "../_shared/decide.ts";
import { AppError, handler, json, notFound, parseBody } from "../_shared/http.ts";
import { loadDocText } from "../_shared/docs.ts";

const Input = z.object({
  caseId: z.string().uuid(),
  tags: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
});

// Curators and admins approve; the training example is written from the final co-edited text
// (the case room's Yjs document when it has one), in the same transaction as the decision.
Deno.serve(handler(async (req) => {
  const { caseId, tags } = await parseBody(req, Input);
  const caller = await getCaller(req);
  const { data: c, error } = await caller.client.from("improvement_cases").select("id, org_id").eq("id", caseId).maybeSingle();
  if (error) throw new AppError(500, "case_lookup_failed", error.message);
  if (!c) throw notFound("The case");
  await requireRole(caller, c.org_id, ["admin", "curator"]);
  const service = serviceClient();
  const finalText = await loadDocText(service, `case:${caseId}`, "answer");
  const result = await decideCase(service, { caseId, decision: "approved", actor: caller.userId, finalText: finalText ?? undefined, tags });
  return json(result);
}));
