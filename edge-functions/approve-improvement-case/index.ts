import { ApproveCaseRequest } from "../../shared/src/api/cases.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { decideCase } from "../_shared/decide.ts";
import { AppError, handler, json, notFound, parseBody } from "../_shared/http.ts";
import { loadDocText } from "../_shared/docs.ts";


// Curators and admins approve; the training example is written from the final co-edited text
// (the case room's Yjs document when it has one), in the same transaction as the decision.
Deno.serve(handler(async (req) => {
  const { caseId, tags } = await parseBody(req, ApproveCaseRequest);
  const caller = await getCaller(req);
  const { data: c, error } = await caller.client.from("improvement_cases").select("id, org_id").eq("id", caseId).maybeSingle();
  if (error) throw new AppError(500, "case_lookup_failed", error.message);
  if (!c) throw notFound("The case");
  await requireCapability(caller, c.org_id, "case:decide", "The case");
  // Read as the caller (members may load a case's document); the database decides as the caller too.
  const finalText = await loadDocText(caller.client, `case:${caseId}`, "answer");
  const result = await decideCase(caller.client, { caseId, decision: "approved", finalText: finalText ?? undefined, tags });
  return json(result);
}));
