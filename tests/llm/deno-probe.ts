// Run by deno.db.test.ts under real Deno (as Edge Functions run): proves shared/src/llm, the Anthropic
// SDK and the langfuse SDK load and work there. Args: <llm base URL> <langfuse base URL> <service role key>.
import { buildClarifyQuestionsPrompt, ClarifyQuestionsOutput, createLlmClient, parseJsonOutput, type AiRequestRow } from "../../shared/src/llm/index.ts";

// Typed by hand: this file is also type-checked by the Node test project, which has no Deno types.
const { Deno } = globalThis as unknown as { Deno: { args: string[]; version: { deno: string } } };
const [baseURL, langfuseUrl, apiKey] = Deno.args;
const rows: AiRequestRow[] = [];
const client = createLlmClient({
  baseURL,
  apiKey,
  timeoutMs: 10_000,
  maxRetries: 0,
  langfuse: { publicKey: "pk-deno", secretKey: "sk-deno", baseUrl: langfuseUrl! },
  logRequest: async (row) => void rows.push(row),
});
const p = buildClarifyQuestionsPrompt({ prompt: "Summarize our quarterly sales report for the board", maxQuestions: 2 });
const r = await client.complete({ model: "offline-fast-1", system: p.system, messages: p.messages, maxTokens: p.maxTokens, context: { functionName: "deno-probe", orgId: crypto.randomUUID() } });
const questions = parseJsonOutput(ClarifyQuestionsOutput, r.text).questions;
await client.shutdown();
console.log(JSON.stringify({ deno: Deno.version.deno, servedModel: r.servedModel, questions, rows, traceId: r.traceId }));
