import { openAiJson, providerServer, type ProviderServer } from "../providers/servers.ts";

/**
 * What the browser scenarios' OpenAI reports for each call, in tokens: enough that a few gpt-4o-mini
 * outputs cost cents at list price, so a scenario can run into an experiment's cost cap (the offline
 * models are free).
 */
export const E2E_OPENAI_USAGE = { input: 20_000, output: 2_000 };

/** OpenAI is an outside service; this loopback server speaks its API to the worker's real OpenAI client. */
export function startLoopbackOpenAi(): Promise<ProviderServer> {
  return providerServer((req) => {
    const question = String(req.json?.messages?.at(-1)?.content ?? "").slice(0, 200);
    return { status: 200, json: openAiJson(`Here is what to do about: ${question}`, req.json?.model ?? "gpt-4o-mini", E2E_OPENAI_USAGE) };
  });
}
