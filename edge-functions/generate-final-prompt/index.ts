import { GenerateFinalPromptRequest } from "../../shared/src/api/optimizer.ts";
import { buildFinalPromptPrompt } from "../../shared/src/llm/index.ts";
import { getCaller, serviceClient } from "../_shared/auth.ts";
import { AppError, conflict, handler, json, parseBody } from "../_shared/http.ts";
import { enforceLlmRateLimit, llm } from "../_shared/llm.ts";
import { livePromptFor, llmFailure, loadOwnSession, rpcFailure, sessionTrace } from "../_shared/prompt-studio.ts";


// The synthesis step: the strong model writes the final prompt from the original prompt, the user's
// selections and the working memory. Allowed with questions still open (the user may stop early; the
// memory's gaps tell the model what to hedge) and again after finalizing (regenerate).
Deno.serve(handler(async (req) => {
  const { sessionId } = await parseBody(req, GenerateFinalPromptRequest);
  const caller = await getCaller(req);
  const session = await loadOwnSession(caller, sessionId);
  if (session.status === "pending") throw conflict("not_ready", "This session has no clarifying questions yet; it cannot be finalized.");

  await enforceLlmRateLimit(caller.client, session.org_id, "llm");
  const ai = llm(serviceClient());
  const builtIn = buildFinalPromptPrompt({ prompt: session.initial_prompt, selections: session.selections, memory: session.working_memory });
  let finalPrompt: string;
  let served: string;
  try {
    const { parts, model, promptVersionId } = await livePromptFor(ai, caller, session.org_id, "final-prompt", builtIn, {
      prompt: session.initial_prompt, selections: JSON.stringify(session.selections), memory: JSON.stringify(session.working_memory),
    });
    const result = await ai.client.complete({
      model,
      system: parts.system,
      messages: parts.messages,
      maxTokens: parts.maxTokens,
      context: { ...sessionTrace("generate-final-prompt", session, caller.userId, session.rounds), promptVersionId },
    });
    finalPrompt = result.text.trim();
    served = result.servedModel;
  } catch (err) {
    throw llmFailure(err, "Could not write the final prompt; the session is unchanged");
  } finally {
    await ai.client.flush();
  }
  if (!finalPrompt) throw new AppError(502, "llm_bad_output", "The language model returned an empty prompt; the session is unchanged. Please try again.");

  const { data, error } = await caller.client.rpc("opt_finalize", { p_session_id: session.id, p_final_prompt: finalPrompt, p_model: served });
  if (error) throw rpcFailure(error, "finalize_failed");
  return json({ session: data, finalPrompt });
}));
