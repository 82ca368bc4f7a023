// Run by deno.test.ts under real Deno (as Edge Functions run), with the functions' deno.json: proves the
// `openai` import resolves there and that the shared client completes and streams through it, and that
// the functions' llm() refuses with llm_not_configured on a hosted project without a provider key.
// Args: <OpenAI-compatible base URL>.
import { createLlmClient, type AiRequestRow } from "../../shared/src/llm/index.ts";

// Typed by hand: this file is also type-checked by the Node test project, which has no Deno types.
const { Deno } = globalThis as unknown as { Deno: { args: string[]; version: { deno: string }; env: { set(k: string, v: string): void } } };
const [baseURL] = Deno.args;
const rows: AiRequestRow[] = [];
const client = createLlmClient({ providers: { openai: { apiKey: "sk-deno", baseURL: baseURL! } }, maxRetries: 0, timeoutMs: 10_000, logRequest: async (r) => void rows.push(r) });
const context = { functionName: "deno-probe", orgId: crypto.randomUUID() };
const messages = [{ role: "user" as const, content: "How do I change my plan?" }];
const completed = await client.complete({ model: "openai:gpt-4o-mini", system: "Be brief.", messages, context });
const stream = await client.stream({ model: "openai:gpt-4o-mini", messages, context });
const deltas: string[] = [];
for await (const d of stream) deltas.push(d);
const streamed = await stream.final();

// The functions' own module, loaded by URL so the Node type-check does not follow it into Deno-only code.
Deno.env.set("SUPABASE_URL", "https://abcd.supabase.co");
Deno.env.set("SUPABASE_ANON_KEY", "anon");
Deno.env.set("SUPABASE_SERVICE_ROLE_KEY", "service");
const shared = (await import(new URL("../../edge-functions/_shared/llm.ts", import.meta.url).href)) as {
  llm(service: unknown): { client: ReturnType<typeof createLlmClient>; route: { configured: boolean; strong: string } };
};
const inserted: unknown[] = [];
// The ai_requests sink only: the functions write rows with the service client.
const service = { from: (table: string) => ({ insert: async (row: unknown) => (inserted.push({ table, row }), { error: null }) }) };
const ai = shared.llm(service);
const refused = await ai.client.complete({ model: ai.route.strong, messages, context }).then(
  () => null,
  (e: { code: string; status: number; message: string }) => ({ code: e.code, status: e.status, message: e.message }),
);
console.log(JSON.stringify({ deno: Deno.version.deno, completed: { text: completed.text, costUsd: completed.costUsd }, deltas, streamed: { text: streamed.text, usage: streamed.usage, costUsd: streamed.costUsd }, rows, configured: ai.route.configured, refused, inserted }));
