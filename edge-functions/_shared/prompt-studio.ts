/**
 * What the prompt-studio functions share: the optimizer's limits, loading a session the caller owns,
 * calling the LLM for a JSON task with one retry, and turning RPC refusals into typed errors.
 */
import type { PostgrestError, SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";
import { LlmError, parseJsonOutput, type LlmResult, type OfflineTask, type PromptParts } from "../../shared/src/llm/index.ts";
import { renderPrompt, resolveLivePrompt } from "../../shared/src/prompts/live.ts";
import { promptSource } from "./suggest.ts";
import { requireCapability, type Caller } from "./auth.ts";
import { AppError, notFound } from "./http.ts";
import type { Llm } from "./llm.ts";

// The limits and input schemas are the functions' contracts (shared/src/api/optimizer.ts).
export { LIMITS, MAX_QUESTIONS, MAX_ROUNDS } from "../../shared/src/api/optimizer.ts";

export type Session = {
  id: string;
  user_id: string;
  org_id: string;
  prompt_id: string | null;
  status: "pending" | "clarifying" | "ready" | "finalized";
  initial_prompt: string;
  selections: Record<string, unknown>;
  working_memory: { facts: string[]; constraints: string[]; gaps: string[]; rationale: string };
  rounds: number;
  final_prompt: string | null;
  saved_version_id: string | null;
  created_at: string;
  updated_at: string;
};

/**
 * Reads the session with the caller's rights: RLS shows only the caller's own sessions in orgs they
 * still belong to, so anyone else's session is a 404 (not a 403 that would confirm it exists). The role
 * is checked again because the caller may have been demoted since the session started.
 */
export async function loadOwnSession(caller: Caller, sessionId: string): Promise<Session> {
  const { data, error } = await caller.client.from("opt_sessions").select("*").eq("id", sessionId).maybeSingle();
  if (error) throw new AppError(500, "session_lookup_failed", error.message);
  if (!data) throw notFound("The optimization session");
  await requireCapability(caller, data.org_id, "prompt:edit", "The optimization session");
  return data as Session;
}

/** The questions asked for `round` (0 = the first ones), in the order the model asked them. */
export async function openQuestions(caller: Caller, sessionId: string, round: number): Promise<string[]> {
  const { data, error } = await caller.client
    .from("opt_messages")
    .select("content")
    .eq("session_id", sessionId)
    .eq("kind", "question")
    .order("id", { ascending: true });
  if (error) throw new AppError(500, "messages_lookup_failed", error.message);
  return (data ?? [])
    .map((m) => m.content as { text: string; round: number })
    .filter((c) => c.round === round)
    .map((c) => c.text);
}

/** LLM failures as the user should read them; nothing was stored when this is thrown. */
export function llmFailure(err: unknown, what: string): AppError {
  if (err instanceof LlmError) {
    const headers = err.retryAfterMs ? { "Retry-After": String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) } : undefined;
    return new AppError(err.code === "llm_input_too_long" ? 400 : err.status, err.code, `${what}: ${err.userMessage}`, undefined, headers);
  }
  return new AppError(502, "llm_failed", `${what}: the language model service failed to answer. Please try again.`);
}

/**
 * One JSON task call, parsed with its zod schema. A model answer that is not the JSON asked for is asked
 * once more (models occasionally add prose despite instructions) before the request fails with 502.
 */
export async function completeJson<S extends z.ZodType>(
  ai: Llm,
  parts: PromptParts,
  model: string,
  schema: S,
  context: Parameters<Llm["client"]["complete"]>[0]["context"],
): Promise<{ value: z.infer<S>; result: LlmResult }> {
  for (let attempt = 1; ; attempt++) {
    const result = await ai.client.complete({ model, system: parts.system, messages: parts.messages, maxTokens: parts.maxTokens, context });
    try {
      return { value: parseJsonOutput(schema, result.text), result };
    } catch (err) {
      if (attempt >= 2 || !(err instanceof LlmError)) throw err;
    }
  }
}

/** The trace context every optimizer call carries: the session id groups them in ai_requests and Langfuse. */
export function sessionTrace(functionName: string, session: { id: string; org_id: string }, userId: string, round: number) {
  return {
    functionName,
    orgId: session.org_id,
    userId,
    traceId: session.id,
    sessionId: session.id,
    traceName: "prompt-optimization",
    tags: ["prompt-studio"],
    metadata: { optSessionId: session.id, round },
  };
}

/** RPC refusals raised with `sqlstate 'PGRST'` carry their own code and status; the rest are 500s. */
export function rpcFailure(error: PostgrestError, fallbackCode: string): AppError {
  const known: Record<string, number> = {
    not_found: 404,
    round_conflict: 409,
    not_ready: 409,
    invalid_status: 400,
    invalid_parent: 400,
    already_production: 409,
    never_in_production: 409,
  };
  const status = known[error.code];
  if (status) return new AppError(status, error.code, error.message);
  // The immutability and session guards raise insufficient_privilege with a sentence meant for people.
  if (error.code === "42501") return new AppError(403, "forbidden", error.message);
  if (error.code === "23505") return new AppError(409, "conflict", error.message);
  return new AppError(500, fallbackCode, error.message);
}



/**
 * The optimizer's step as production serves it: the organization's production version of the task
 * (its model and, when it has one, its templates rendered with the step's values), else the built-in
 * prompt and the route's model. The same resolver every other call site uses.
 */
export async function livePromptFor(
  ai: Llm,
  caller: Caller,
  orgId: string,
  task: OfflineTask,
  builtIn: PromptParts,
  values: Record<string, unknown>,
): Promise<{ parts: PromptParts; model: string; promptVersionId: string | null }> {
  const live = await resolveLivePrompt(promptSource(caller.client), orgId, task, ai.route);
  if (!live.versionId || !live.parts) return { parts: builtIn, model: live.model, promptVersionId: live.versionId };
  const { system, user } = renderPrompt(live.parts, values);
  return {
    parts: { ...builtIn, system: system || builtIn.system, messages: [{ role: "user", content: user }], maxTokens: Number(live.params.max_tokens ?? builtIn.maxTokens) || builtIn.maxTokens },
    model: live.model,
    promptVersionId: live.versionId,
  };
}

export type { SupabaseClient };
