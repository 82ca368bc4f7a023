import { CreateCaseRequest } from "../../shared/src/api/cases.ts";
import { getCaller, requireCapability, serviceClient } from "../_shared/auth.ts";
import { AppError, fromDb, handler, json, notFound, parseBody } from "../_shared/http.ts";
import { enforceLlmRateLimit, llm } from "../_shared/llm.ts";
import { buildSuggestRequest, liveSuggestPrompt, safetyFlags } from "../_shared/suggest.ts";
import { LlmError } from "../../shared/src/llm/index.ts";


// feedback → LLM suggestion → pending case linked from the feedback. The LLM runs before anything is
// written, and the case + link are one transaction (open_improvement_case), so a failure leaves nothing behind;
// a second call (or a race) returns the case that exists.
Deno.serve(handler(async (req) => {
  const { feedbackId } = await parseBody(req, CreateCaseRequest);
  const caller = await getCaller(req);
  const { data: fb, error } = await caller.client
    .from("feedback")
    .select("id, org_id, query, response, comment, case_id")
    .eq("id", feedbackId)
    .maybeSingle();
  if (error) throw new AppError(500, "feedback_lookup_failed", error.message);
  if (!fb) throw notFound("The feedback");
  await requireCapability(caller, fb.org_id, "case:open", "The feedback");

  if (fb.case_id) {
    const existing = fromDb(await caller.client.from("improvement_cases").select("*").eq("id", fb.case_id).single(), "case_lookup_failed");
    return json({ case: existing, created: false });
  }
  await enforceLlmRateLimit(caller.client, fb.org_id, "llm");

  // The service client only writes the call's ai_requests row; the case is opened as the caller.
  const ai = llm(serviceClient());
  // What production serves for suggest-answer now (the promoted version and the model it pins).
  const live = await liveSuggestPrompt(ai, caller.client, fb.org_id);
  const request = buildSuggestRequest(live, { orgId: fb.org_id, userId: caller.userId, query: fb.query, badAnswer: fb.response, comment: fb.comment }, "create-improvement-case");
  let suggestion: string;
  let servedModel: string;
  try {
    const result = await ai.client.complete(request);
    suggestion = result.text.trim();
    servedModel = result.servedModel;
  } catch (err) {
    const e = err instanceof LlmError ? err : null;
    throw new AppError(e?.code === "llm_rate_limited" || e?.code === "llm_not_configured" ? e.status : 502, e?.code ?? "llm_failed", `The LLM could not suggest an answer: ${e?.message ?? String(err)}. No case was created.`);
  } finally {
    await ai.client.flush();
  }
  if (!suggestion) throw new AppError(502, "llm_bad_output", "The LLM returned an empty suggestion. No case was created.");

  const kase = fromDb(await caller.client.rpc("open_improvement_case", {
    p_feedback_id: fb.id,
    p_suggested: suggestion,
    p_model: servedModel,
    p_flags: safetyFlags(suggestion, request.system),
  }), "case_create_failed");
  const created = (kase as { suggested_response: string }).suggested_response === suggestion;
  return json({ case: kase, created }, created ? 201 : 200);
}));
