import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { parseWorkerEnv } from "@review/worker";
import { createWorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql } from "../helpers/stack.ts";
import { openAiJson, providerServer, type ProviderServer } from "./servers.ts";

// The worker's LLM with an OpenAI key on the local stack: OpenAI models go to OpenAI (a loopback server
// here), while the dev LLM still serves offline models, and both calls are rows in public.ai_requests.
let stack: StackInfo;
let openai: ProviderServer;
let org: TestOrg;
beforeAll(async () => {
  stack = await getStack();
  openai = await providerServer((req) => ({ status: 200, json: openAiJson("B is better.", req.json.model, { input: 2000, output: 20 }) }));
  org = await createOrg(stack, "provworker");
});
afterAll(async () => {
  await openai?.close();
});

describe("the worker's LLM", () => {
  it("serves OpenAI and offline models side by side and logs each call with its model reference and cost", async () => {
    const env = parseWorkerEnv({
      DATABASE_URL: stack.dbUrl,
      SUPABASE_URL: stack.apiUrl,
      SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
      OPENAI_API_KEY: "sk-loopback",
      OPENAI_BASE_URL: `${openai.url}/v1`,
      ANTHROPIC_API_KEY: "",
      LLM_MAX_RETRIES: "0",
    });
    const llm = createWorkerLlm(env, sql(stack), silentLogger);
    expect(llm.route).toMatchObject({ fast: "openai:gpt-4o-mini", strong: "openai:gpt-4.1", configured: true });
    const messages = [{ role: "user" as const, content: "Which answer is better?" }];
    const judged = await llm.complete({ model: llm.route.strong, messages, context: { functionName: "worker:ab-eval-judge" }, logOrgId: org.id });
    expect(judged.text).toBe("B is better.");
    const offline = await llm.complete({ model: "offline-fast-1", messages, context: { functionName: "worker:fine-tune-eval" }, logOrgId: org.id });
    expect(offline.servedModel).toContain("(offline model)");
    expect(openai.requests).toHaveLength(1);

    const rows = await sql(stack)`
      select function_name, model, input_tokens, output_tokens, cost_usd::float8 as cost, status from public.ai_requests where org_id = ${org.id} order by created_at`;
    expect(rows).toEqual([
      // gpt-4.1: 2000 × $2 + 20 × $8 per 1M
      { function_name: "worker:ab-eval-judge", model: "openai:gpt-4.1", input_tokens: 2000, output_tokens: 20, cost: 0.00416, status: "ok" },
      { function_name: "worker:fine-tune-eval", model: "offline-fast-1", input_tokens: offline.usage.inputTokens, output_tokens: offline.usage.outputTokens, cost: 0, status: "ok" },
    ]);
  });
});
