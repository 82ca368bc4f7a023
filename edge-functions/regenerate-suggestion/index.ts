import { RegenerateSuggestionRequest } from "../../shared/src/api/cases.ts";
import { LlmError } from "../../shared/src/llm/index.ts";
import { getCaller, requireCapability, serviceClient } from "../_shared/auth.ts";
import { corsHeaders } from "../_shared/cors.ts";
import { AppError, handler, notFound, parseBody } from "../_shared/http.ts";
import { enforceLlmRateLimit, llm } from "../_shared/llm.ts";
import { buildSuggestRequest, liveSuggestPrompt, safetyFlags } from "../_shared/suggest.ts";


// Streams a new suggestion as server-sent events: `delta` events with text, then `done` with the
// full text, model and safety flags (or `error`). The case room decides what to do with it: the
// co-edited answer is never overwritten behind the curators' backs.
Deno.serve(handler(async (req) => {
  const { caseId, instructions } = await parseBody(req, RegenerateSuggestionRequest);
  const caller = await getCaller(req);
  const { data: c, error } = await caller.client.from("improvement_cases").select("id, org_id, feedback_id, query, bad_response, status").eq("id", caseId).maybeSingle();
  if (error) throw new AppError(500, "case_lookup_failed", error.message);
  if (!c) throw notFound("The case");
  await requireCapability(caller, c.org_id, "case:edit", "The case");
  if (c.status !== "pending") throw new AppError(409, "already_decided", `This case is already ${c.status}`);
  await enforceLlmRateLimit(caller.client, c.org_id, "llm");

  const ai = llm(serviceClient());
  const live = await liveSuggestPrompt(ai, caller.client, c.org_id);
  const fb = await caller.client.from("feedback").select("comment").eq("id", c.feedback_id).maybeSingle();
  if (fb.error) throw new AppError(500, "feedback_lookup_failed", fb.error.message);
  const comment = (fb.data?.comment as string | null | undefined) ?? null;
  const request = buildSuggestRequest(live, { orgId: c.org_id, userId: caller.userId, query: c.query, badAnswer: c.bad_response, comment, instructions }, "regenerate-suggestion");
  // Refusals before any output (no provider for the model, input too long) are a plain HTTP error, not a stream.
  const stream = await ai.client.stream({ ...request, signal: req.signal }).catch((err) => {
    throw err instanceof LlmError ? new AppError(err.status, err.code, err.userMessage) : err;
  });

  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      try {
        for await (const text of stream) send("delta", { text });
        const result = await stream.final();
        send("done", { suggestion: result.text, model: result.servedModel, flags: safetyFlags(result.text, request.system), usage: result.usage });
      } catch (err) {
        send("error", { code: (err as { code?: string }).code ?? "llm_failed", message: (err as Error).message });
      } finally {
        await ai.client.flush().catch(() => {});
        controller.close();
      }
    },
    cancel() {
      stream.abort();
    },
  });
  return new Response(body, { headers: { ...corsHeaders, "content-type": "text/event-stream", "cache-control": "no-cache" } });
}));
