import { z } from "zod";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { decideCase } from "../_shared/decide.ts";
import { AppError, handler, json, notFound, parseBody } from "../_shared/http.ts";

const Input = z.object({ caseId: z.string().uuid(), reason: z.string().trim().min(3, "Say why, in a few words").max(2000) });

Deno.serve(handler(async (req) => {
  const { caseId, reason } = await parseBody(req, Input);
  const caller = await getCaller(req);
  const { data: c, error } = await caller.client.from("improvement_cases").select("id, org_id").eq("id", caseId).maybeSingle();
  if (error) throw new AppError(500, "case_lookup_failed", error.message);
  if (!c) throw notFound("The case");
  await requireCapability(caller, c.org_id, "case:decide", "The case");
  return json(await decideCase(caller.client, { caseId, decision: "rejected", reason }));
}));
