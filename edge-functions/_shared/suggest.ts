import type { SupabaseClient } from "@supabase/supabase-js";
import { checkOutput, type LlmRequest } from "../../shared/src/llm/index.ts";
import { renderPrompt, resolveLivePrompt, type LivePrompt, type LivePromptSource, type PromptVersionRow } from "../../shared/src/prompts/live.ts";
import { AppError } from "./http.ts";
import type { Llm } from "./llm.ts";

export type SuggestInput = { orgId: string; userId: string; query: string; badAnswer: string; comment?: string | null; instructions?: string | null };

/** Production versions, read with the caller's rights (members read their organization's prompts). */
export function promptSource(client: SupabaseClient): LivePromptSource {
  return {
    async production(orgId, slug) {
      const prompt = await client.from("prompts").select("id").eq("org_id", orgId).eq("slug", slug).maybeSingle();
      if (prompt.error) throw new AppError(500, "prompt_lookup_failed", prompt.error.message);
      if (!prompt.data) return null;
      const { data, error } = await client
        .from("prompt_versions")
        .select("id, prompt_id, version, system_template, template, variables, model, params")
        .eq("prompt_id", prompt.data.id)
        .eq("status", "production")
        .maybeSingle();
      if (error) throw new AppError(500, "prompt_lookup_failed", error.message);
      return data as PromptVersionRow | null;
    },
  };
}

/** What `suggest-answer` serves for the organization now: its production version, or the default. */
export function liveSuggestPrompt(llm: Llm, client: SupabaseClient, orgId: string): Promise<LivePrompt> {
  return resolveLivePrompt(promptSource(client), orgId, "suggest-answer", llm.route);
}

export function buildSuggestRequest(live: LivePrompt, input: SuggestInput, functionName: string): LlmRequest {
  const notes = [input.comment ? `User comment: ${input.comment}` : "", input.instructions ? `Curator instructions: ${input.instructions}` : ""]
    .filter(Boolean)
    .join("\n") || "(none)";
  const values = { query: input.query, bad_answer: input.badAnswer, notes, comment: input.comment ?? "", instructions: input.instructions ?? "" };
  const { system, user } = renderPrompt(live.parts!, values);
  // A version that does not place the curator's instructions still gets them: regenerating must change the text.
  const usesInstructions = /\{\{\s*(instructions|notes)\s*\}\}/.test(live.parts!.template + live.parts!.system_template);
  const content = input.instructions && !usesInstructions ? `${user}\n\nCurator instructions:\n${input.instructions}` : user;
  return {
    model: live.model,
    system: system || undefined,
    messages: [{ role: "user", content }],
    maxTokens: Math.min(Number(live.params.max_tokens ?? 800) || 800, 2000),
    context: {
      functionName,
      orgId: input.orgId,
      userId: input.userId,
      promptVersionId: live.versionId,
      traceName: functionName,
    },
  };
}

export function safetyFlags(text: string, system?: string) {
  return checkOutput(text, { systemPrompt: system ?? null }).flags;
}
