import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addFeedback, callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { startOwnStack } from "../helpers/own-stack.ts";
import { sql } from "../helpers/stack.ts";
import { openAiJson, openAiSse, providerServer, type ProviderServer } from "./servers.ts";

// A stack whose Edge Functions have only an OpenAI key, pointed at a loopback server speaking OpenAI's
// API: the case room's calls (a suggestion, then a streamed regeneration) go through the openai SDK
// under Deno to the default OpenAI models, and land in ai_requests with their tokens and cost.
let stack: Awaited<ReturnType<typeof startOwnStack>>;
let openai: ProviderServer;
let org: TestOrg;

beforeAll(async () => {
  openai = await providerServer((req) => {
    const served = `${req.json.model}-2025-04-14`;
    return req.json.stream
      ? { sse: openAiSse(req, ["Open Billing, ", "then Tax details, ", "and correct the VAT number."], served, { input: 300, output: 40 }) }
      : { status: 200, json: openAiJson("Open Billing and correct the VAT number under Tax details.", served, { input: 300, output: 40 }) };
  });
  // ANTHROPIC_API_KEY empty: a developer's own key must not take precedence here.
  stack = await startOwnStack("providers-fn", { OPENAI_API_KEY: "sk-loopback", OPENAI_BASE_URL: `${openai.url}/v1`, ANTHROPIC_API_KEY: "" });
  org = await createOrg(stack, "providers");
}, 180_000);

afterAll(async () => {
  await stack?.dispose();
  await openai?.close();
});

describe("Edge Functions with an OpenAI key", () => {
  it("suggest and stream regenerations through the OpenAI API, logging model, tokens and cost", { timeout: 60_000 }, async () => {
    const feedbackId = await addFeedback(stack, org.id, { query: "My invoice shows the wrong VAT number" });
    const c = await callFunction(stack, "create-improvement-case", { feedbackId }, org.users.reviewer.accessToken);
    expect(c.status).toBe(201);
    expect(c.body.case.suggested_response).toBe("Open Billing and correct the VAT number under Tax details.");

    const res = await fetch(`${stack.functionsUrl}/regenerate-suggestion`, {
      method: "POST",
      headers: { apikey: stack.anonKey, authorization: `Bearer ${org.users.curator.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ caseId: c.body.case.id, instructions: "Mention the Tax details page" }),
    });
    expect(res.status).toBe(200);
    const events = [...(await res.text()).matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1], data: JSON.parse(m[2]!) }));
    expect(events.filter((e) => e.event === "delta").map((e) => e.data.text)).toEqual(["Open Billing, ", "then Tax details, ", "and correct the VAT number."]);
    expect(events.find((e) => e.event === "done")!.data).toMatchObject({ suggestion: "Open Billing, then Tax details, and correct the VAT number.", model: "gpt-4.1-2025-04-14", usage: { inputTokens: 300, outputTokens: 40 } });

    // Suggestions use the strong tier, which defaults to openai:gpt-4.1 with only an OpenAI key.
    expect(openai.requests.map((r) => [r.path, r.headers.authorization, r.json.model, Boolean(r.json.stream)])).toEqual([
      ["/v1/chat/completions", "Bearer sk-loopback", "gpt-4.1", false],
      ["/v1/chat/completions", "Bearer sk-loopback", "gpt-4.1", true],
    ]);
    expect(openai.requests[1]!.json.stream_options).toEqual({ include_usage: true });
    expect(JSON.stringify(openai.requests[1]!.json.messages)).toContain("Mention the Tax details page");

    const rows = await sql(stack)`
      select function_name, model, input_tokens, output_tokens, cost_usd::float8 as cost, status from public.ai_requests where org_id = ${org.id} order by created_at`;
    // gpt-4.1: 300 × $2 + 40 × $8 per 1M
    expect(rows).toEqual([
      { function_name: "create-improvement-case", model: "openai:gpt-4.1", input_tokens: 300, output_tokens: 40, cost: 0.00092, status: "ok" },
      { function_name: "regenerate-suggestion", model: "openai:gpt-4.1", input_tokens: 300, output_tokens: 40, cost: 0.00092, status: "ok" },
    ]);
  });
});
