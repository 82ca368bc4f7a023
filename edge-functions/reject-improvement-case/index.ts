import { RejectCaseRequest } from "../../shared/src/api/cases.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { decideCase } from "../_shared/decide.ts";
import { AppError, handler, json, notFound, parseBody } from "../_shared/http.ts";


Deno.serve(handler(async (req) => {
  const { caseId, reason } = await parseBody(req, RejectCaseRequest);
  const caller = await getCaller(req);
  const { data: c, error } = await caller.client.from("improvement_cases").select("id, org_id").eq("id", caseId).maybeSingle();
  if (error) throw new AppError(500, "case_lookup_failed", error.message);
  if (!c) throw notFound("The case");
  await requireCapability(caller, c.org_id, "case:decide", "The case");
  return json(await decideCase(caller.client, { caseId, decision: "rejected", reason }));
}));
