import { StartOptimizationRequest } from "../../shared/src/api/optimizer.ts";
import { buildClarifyQuestionsPrompt, ClarifyQuestionsOutput } from "../../shared/src/llm/index.ts";
import { getCaller, requireCapability, serviceClient } from "../_shared/auth.ts";
import { AppError, badRequest, handler, json, parseBody } from "../_shared/http.ts";
import { enforceLlmRateLimit, llm } from "../_shared/llm.ts";
import { completeJson, livePromptFor, llmFailure, MAX_QUESTIONS, MAX_ROUNDS, rpcFailure, sessionTrace } from "../_shared/prompt-studio.ts";


// The first step of the seed's loop: the fast model reads the prompt and asks clarifying questions.
// The LLM runs before anything is written, and the session arrives with its questions in one
// transaction (opt_open_session, with the caller's rights), so a failed call leaves nothing behind.
Deno.serve(handler(async (req) => {
  const input = await parseBody(req, StartOptimizationRequest);
  const caller = await getCaller(req);
  await requireCapability(caller, input.orgId, "prompt:edit");
  if (input.promptId) {
    const { data, error } = await caller.client.from("prompts").select("id").eq("id", input.promptId).eq("org_id", input.orgId).maybeSingle();
    if (error) throw new AppError(500, "prompt_lookup_failed", error.message);
    if (!data) throw badRequest("Some fields point at things that do not exist", { promptId: ["No such prompt in this organization"] });
  }

  await enforceLlmRateLimit(caller.client, input.orgId, "llm");
  const ai = llm(serviceClient());
  // The id exists before the call so the call's trace already carries it.
  const session = { id: crypto.randomUUID(), org_id: input.orgId };
  let questions: string[];
  let served: string;
  try {
    const builtIn = buildClarifyQuestionsPrompt({ prompt: input.initialPrompt, selections: input.selections, maxQuestions: MAX_QUESTIONS });
    const { parts, model, promptVersionId } = await livePromptFor(ai, caller, input.orgId, "clarify-questions", builtIn, {
      prompt: input.initialPrompt, selections: JSON.stringify(input.selections), max_questions: MAX_QUESTIONS,
    });
    const { value, result } = await completeJson(ai, parts, model, ClarifyQuestionsOutput, { ...sessionTrace("start-optimization", session, caller.userId, 0), promptVersionId });
    questions = [...new Set(value.questions.map((q) => q.trim()).filter(Boolean))].slice(0, MAX_QUESTIONS);
    served = result.servedModel;
  } catch (err) {
    throw llmFailure(err, "Could not generate clarifying questions; no session was started");
  } finally {
    await ai.client.flush();
  }

  const { data, error } = await caller.client.rpc("opt_open_session", {
    p_id: session.id,
    p_org_id: input.orgId,
    p_prompt_id: (input.promptId ?? null) as string,
    p_initial_prompt: input.initialPrompt,
    p_selections: input.selections,
    p_questions: questions,
    p_model: served,
  });
  if (error) throw rpcFailure(error, "session_create_failed");
  return json({ session: data, questions, maxRounds: MAX_ROUNDS }, 201);
}));
