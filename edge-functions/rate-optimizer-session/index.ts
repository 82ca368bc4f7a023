import { RateOptimizerSessionRequest } from "../../shared/src/api/optimizer.ts";
import { getCaller, serviceClient } from "../_shared/auth.ts";
import { AppError, handler, json, parseBody } from "../_shared/http.ts";
import { llm } from "../_shared/llm.ts";
import { loadOwnSession } from "../_shared/prompt-studio.ts";


// The user's rating of a session's result. One rating per session: rating again replaces it.
Deno.serve(handler(async (req) => {
  const { sessionId, rating, comments } = await parseBody(req, RateOptimizerSessionRequest);
  const caller = await getCaller(req);
  const session = await loadOwnSession(caller, sessionId);
  const { data, error } = await caller.client
    .from("opt_feedback")
    .upsert({ session_id: session.id, user_id: caller.userId, rating, comments: comments || null }, { onConflict: "session_id" })
    .select()
    .single();
  if (error) throw new AppError(500, "feedback_save_failed", error.message);
  // The session id is the trace id of all its LLM calls, so the rating lands on that trace in Langfuse
  // (a no-op without Langfuse keys).
  const ai = llm(serviceClient());
  ai.client.score({ traceId: session.id, name: "user-rating", value: rating, comment: comments || undefined });
  await ai.client.flush();
  return json({ feedback: data });
}));
