import type { SupabaseClient } from "@supabase/supabase-js";
import { checkOutput, taskLine, type LlmRequest } from "../../shared/src/llm/index.ts";
import { renderTemplate, type PromptVariable } from "../../shared/src/prompts/template.ts";
import { AppError } from "./http.ts";
import { modelFor, type Llm } from "./llm.ts";

export type SuggestInput = { orgId: string; userId: string; query: string; badAnswer: string; comment?: string | null; instructions?: string | null };

type PromptVersion = { id: string; system_template: string; template: string; variables: PromptVariable[]; model: string; params: { max_tokens?: number } };

// Used only when an organization has not published a `suggest-answer` prompt yet.
const fallback: Omit<PromptVersion, "id"> = {
  system_template: `${taskLine("suggest-answer")}\nYou improve answers of a customer-support assistant. Write the answer the user should have received: correct, direct, friendly, with concrete steps. Reply with the answer only.`,
  template: "User question:\n{{query}}\n\nThe answer they rated badly:\n{{bad_answer}}\n\nReviewer notes:\n{{notes}}",
  variables: [
    { name: "query", type: "string" },
    { name: "bad_answer", type: "string" },
    { name: "notes", type: "string" },
  ],
  model: "",
  params: {},
};

/** The production version of the org's `suggest-answer` prompt (read with the caller's rights). */
export async function loadSuggestPrompt(client: SupabaseClient, orgId: string): Promise<PromptVersion | null> {
  const prompt = await client.from("prompts").select("id").eq("org_id", orgId).eq("slug", "suggest-answer").maybeSingle();
  if (prompt.error) throw new AppError(500, "prompt_lookup_failed", prompt.error.message);
  if (!prompt.data) return null;
  const { data, error } = await client
    .from("prompt_versions")
    .select("id, system_template, template, variables, model, params")
    .eq("prompt_id", prompt.data.id)
    .eq("status", "production")
    .maybeSingle();
  if (error) throw new AppError(500, "prompt_lookup_failed", error.message);
  return data as PromptVersion | null;
}

export function buildSuggestRequest(llm: Llm, version: PromptVersion | null, input: SuggestInput, functionName: string): LlmRequest {
  const v = version ?? { id: null, ...fallback };
  const notes = [input.comment ? `User comment: ${input.comment}` : "", input.instructions ? `Curator instructions: ${input.instructions}` : ""]
    .filter(Boolean)
    .join("\n") || "(none)";
  const values: Record<string, unknown> = { query: input.query, bad_answer: input.badAnswer, notes, comment: input.comment ?? "", instructions: input.instructions ?? "" };
  const user = renderTemplate(v.template, values, v.variables);
  const withInstructions = input.instructions && !v.template.includes("{{instructions}}") && !v.template.includes("{{notes}}")
    ? `${user}\n\nCurator instructions:\n${input.instructions}`
    : user;
  // A model pinned on the version wins, unless it is a real model and we are offline (no key).
  const model = v.model && (!llm.route.offline || v.model.startsWith("offline")) ? v.model : modelFor(llm.route, "suggest-answer");
  return {
    model,
    system: renderTemplate(v.system_template, values, v.variables),
    messages: [{ role: "user", content: withInstructions }],
    maxTokens: Math.min(v.params.max_tokens ?? 800, 2000),
    context: {
      functionName,
      orgId: input.orgId,
      userId: input.userId,
      promptVersionId: version?.id ?? null,
      traceName: functionName,
    },
  };
}

export function safetyFlags(text: string, system?: string) {
  return checkOutput(text, { systemPrompt: system ?? null }).flags;
}
