import { describe, expect, it } from "vitest";
import { resolveModelRoute } from "../llm/routing.ts";
import { checkTaskVariables, modelForVersion, normalizeVariables, renderPrompt, resolveLivePrompt, type PromptVersionRow } from "./live.ts";

const offline = resolveModelRoute({ SUPABASE_URL: "http://127.0.0.1:54321", SUPABASE_SERVICE_ROLE_KEY: "k" });
const online = resolveModelRoute({ ANTHROPIC_API_KEY: "sk-test" });

const version: PromptVersionRow = {
  id: "v-2",
  prompt_id: "p-1",
  version: 2,
  system_template: "TASK: suggest-answer\nAnswer about {{query}} in a {{tone}} tone.",
  template: "<query>{{query}}</query>\n<bad_answer>{{bad_answer}}</bad_answer>",
  variables: [
    { name: "query", type: "string", required: true },
    { name: "bad_answer", type: "string", required: true },
    { name: "tone", type: "string" },
  ],
  model: "offline-strong-1",
  params: { max_tokens: 500 },
};

describe("the live prompt", () => {
  it("is the production version when there is one, else the built-in default and the route's model", async () => {
    const withVersion = await resolveLivePrompt({ production: async (_org, slug) => (slug === "suggest-answer" ? version : null) }, "org", "suggest-answer", offline);
    expect(withVersion).toMatchObject({ versionId: "v-2", version: 2, model: "offline-strong-1", params: { max_tokens: 500 } });
    const none = await resolveLivePrompt({ production: async () => null }, "org", "suggest-answer", offline);
    expect(none).toMatchObject({ versionId: null, model: offline.strong });
    expect(none.parts?.template).toContain("{{bad_answer}}");
  });

  it("serves the pinned model, and the route's own when the pinned one's provider has no key here", () => {
    expect(modelForVersion(online, "suggest-answer", "claude-sonnet-4-5")).toBe("claude-sonnet-4-5");
    expect(modelForVersion(offline, "suggest-answer", "claude-sonnet-4-5")).toBe(offline.strong);
    expect(modelForVersion(offline, "suggest-answer", "offline-ft:00000000-0000-4000-8000-000000000001")).toBe("offline-ft:00000000-0000-4000-8000-000000000001");
    expect(modelForVersion(online, "update-memory", "")).toBe(online.fast);
  });

  it("renders system and user templates with the same values and the same checks", () => {
    expect(renderPrompt(version, { query: "Refund?", bad_answer: "No.", tone: "warm" })).toEqual({
      system: "TASK: suggest-answer\nAnswer about Refund? in a warm tone.",
      user: "<query>Refund?</query>\n<bad_answer>No.</bad_answer>",
    });
    expect(() => renderPrompt(version, { query: "Refund?", tone: "warm" })).toThrow(/missing variables: bad_answer/);
    expect(() => renderPrompt(version, { query: "Refund?", bad_answer: "No." })).toThrow(/missing variables: tone/);
    expect(() => renderPrompt(version, { query: 3, bad_answer: "No.", tone: "x" })).toThrow(/wrong type: query/);
  });

  it("reads variables stored as bare names as required strings", () => {
    expect(normalizeVariables(["query", { name: "tone", type: "string" }, 7])).toEqual([
      { name: "query", type: "string", required: true },
      { name: "tone", type: "string" },
    ]);
  });

  it("refuses, at save time, a variable the task never supplies", () => {
    expect(checkTaskVariables("suggest-answer", version.variables, version.template, version.system_template)).toEqual([
      '"tone" is not a value the suggest-answer task supplies (it supplies query, bad_answer, notes, comment, instructions, rating)',
    ]);
    expect(checkTaskVariables("my-own-prompt", version.variables, version.template, version.system_template)).toEqual([]);
  });
});
