import { SubmitAnswerRequest } from "../../shared/src/api/optimizer.ts";
import { buildUpdateMemoryPrompt, estimateTokens, UpdateMemoryOutput } from "../../shared/src/llm/index.ts";
import { getCaller, serviceClient } from "../_shared/auth.ts";
import { badRequest, conflict, handler, json, parseBody } from "../_shared/http.ts";
import { enforceLlmRateLimit, llm } from "../_shared/llm.ts";
import { completeJson, livePromptFor, LIMITS, llmFailure, loadOwnSession, MAX_QUESTIONS, MAX_ROUNDS, openQuestions, rpcFailure, sessionTrace } from "../_shared/prompt-studio.ts";


// One round of the loop: the user's answers go to the fast model, which updates the working memory and
// says whether more questions are worth asking. The round counter caps the loop at three rounds: after
// the third the session is ready whatever the model says (enforced again by the table's guard trigger).
Deno.serve(handler(async (req) => {
  const { sessionId, answers } = await parseBody(req, SubmitAnswerRequest);
  const tokens = estimateTokens(answers.map((a) => `${a.question}\n${a.answer}`).join("\n"));
  if (tokens > LIMITS.answersTokens) {
    throw badRequest(`The answers are about ${tokens} tokens together; the limit is ${LIMITS.answersTokens}. Shorten them.`, { answers: [`about ${tokens} tokens; limit ${LIMITS.answersTokens}`] });
  }
  const caller = await getCaller(req);
  const session = await loadOwnSession(caller, sessionId);
  if (session.status !== "clarifying") {
    throw conflict("no_open_questions", session.status === "finalized"
      ? "This session is already finalized; start a new one to optimize again."
      : "There are no open questions in this session; generate the final prompt.");
  }

  await enforceLlmRateLimit(caller.client, session.org_id, "llm");
  const ai = llm(serviceClient());
  const round = session.rounds + 1;
  let update: UpdateMemoryOutput;
  let served: string;
  try {
    const builtIn = buildUpdateMemoryPrompt({
      prompt: session.initial_prompt,
      selections: session.selections,
      memory: session.working_memory,
      answers,
      round,
      maxRounds: MAX_ROUNDS,
      maxQuestions: MAX_QUESTIONS,
    });
    const { parts, model, promptVersionId } = await livePromptFor(ai, caller, session.org_id, "update-memory", builtIn, {
      prompt: session.initial_prompt, selections: JSON.stringify(session.selections), memory: JSON.stringify(session.working_memory),
      answers: JSON.stringify(answers), round, max_rounds: MAX_ROUNDS, max_questions: MAX_QUESTIONS,
    });
    const { value, result } = await completeJson(ai, parts, model, UpdateMemoryOutput, { ...sessionTrace("submit-answer", session, caller.userId, round), promptVersionId });
    update = value;
    served = result.servedModel;
  } catch (err) {
    throw llmFailure(err, "Could not process the answers; nothing was saved");
  } finally {
    await ai.client.flush();
  }

  const memory = { facts: update.facts, constraints: update.constraints, gaps: update.gaps, rationale: update.rationale };
  // More questions only when the model asks for them and a round is left; the RPC applies the same rule.
  const next = update.needs_more_questions && round < MAX_ROUNDS ? [...new Set(update.questions.map((q) => q.trim()).filter(Boolean))].slice(0, MAX_QUESTIONS) : [];
  const { data, error } = await caller.client.rpc("opt_record_round", {
    p_session_id: session.id,
    p_expected_rounds: session.rounds,
    p_answers: answers,
    p_memory: memory,
    p_questions: next,
    p_rationale: update.rationale,
    p_model: served,
    p_max_rounds: MAX_ROUNDS,
  });
  if (error) throw rpcFailure(error, "round_save_failed");
  const saved = data as { status: string; rounds: number };
  const questions = saved.status === "clarifying" ? await openQuestions(caller, session.id, saved.rounds) : [];
  return json({ session: data, questions, roundsLeft: Math.max(0, MAX_ROUNDS - saved.rounds) });
}));
