import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Loopback servers that speak the providers' wire protocols closely enough for their official SDKs:
 * Anthropic's Messages API (JSON and SSE) and OpenAI's Chat Completions (JSON and SSE, with the usage
 * chunk only when `stream_options.include_usage` asks for it, as OpenAI does). Only for tests: the
 * providers themselves are outside services we cannot reach from here.
 */
export type Captured = { method: string; path: string; headers: http.IncomingHttpHeaders; body: string; json: any; at: number };

export type Reply =
  | { status: number; headers?: Record<string, string>; json: unknown }
  /** Server-sent events; `gate` holds the rest of the stream, after the first `gateAfter` events, until it resolves. */
  | { sse: Array<{ event?: string; data: unknown }>; gate?: Promise<void>; gateAfter?: number }
  /** Never answers (for timeouts). */
  | { hang: true };

export type ProviderServer = { url: string; requests: Captured[]; close(): Promise<void> };

export async function providerServer(handler: (req: Captured, n: number) => Reply | Promise<Reply>): Promise<ProviderServer> {
  const requests: Captured[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    let json: unknown = null;
    try {
      json = body ? JSON.parse(body) : null;
    } catch {
      /* not JSON */
    }
    const captured: Captured = { method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body, json, at: performance.now() };
    requests.push(captured);
    const r = await handler(captured, requests.length);
    if ("hang" in r) return;
    if ("json" in r) {
      res.writeHead(r.status, { "content-type": "application/json", ...(r.headers ?? {}) });
      res.end(JSON.stringify(r.json));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": "req_loopback" });
    const write = (e: { event?: string; data: unknown }) =>
      res.write(`${e.event ? `event: ${e.event}\n` : ""}data: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}\n\n`);
    const head = r.gate ? (r.gateAfter ?? 1) : r.sse.length;
    for (const e of r.sse.slice(0, head)) write(e);
    if (r.gate) await r.gate;
    for (const e of r.sse.slice(head)) write(e);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Usage = { input: number; output: number; cached?: number };

// --- Anthropic Messages API ---

export function anthropicJson(text: string, model: string, u: Usage) {
  return {
    id: "msg_loopback",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: u.input, output_tokens: u.output, cache_read_input_tokens: u.cached ?? 0, cache_creation_input_tokens: 0 },
  };
}

export function anthropicSse(deltas: string[], model: string, u: Usage): Array<{ event: string; data: unknown }> {
  return [
    {
      event: "message_start",
      data: { type: "message_start", message: { id: "msg_loopback", type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: u.input, output_tokens: 1, cache_read_input_tokens: u.cached ?? 0, cache_creation_input_tokens: 0 } } },
    },
    { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } },
    ...deltas.map((t) => ({ event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: t } } })),
    { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
    { event: "message_delta", data: { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: u.output } } },
    { event: "message_stop", data: { type: "message_stop" } },
  ];
}

export const anthropicError = (status: number, type: string, message: string, headers: Record<string, string> = {}): Reply => ({ status, headers, json: { type: "error", error: { type, message } } });

// --- OpenAI Chat Completions ---

function openAiUsage(u: Usage, extra: Record<string, unknown> = {}) {
  return { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output, prompt_tokens_details: { cached_tokens: u.cached ?? 0 }, ...extra };
}

export function openAiJson(text: string, model: string, u: Usage, usageExtra: Record<string, unknown> = {}) {
  return {
    id: "chatcmpl-loopback",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop", logprobs: null }],
    usage: openAiUsage(u, usageExtra),
  };
}

/** The chunks OpenAI streams; the usage chunk only when the request asked for it. */
export function openAiSse(req: Captured, deltas: string[], model: string, u: Usage, usageExtra: Record<string, unknown> = {}): Array<{ data: unknown }> {
  const includeUsage = req.json?.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], usage: unknown = includeUsage ? null : undefined) => ({
    data: { id: "chatcmpl-loopback", object: "chat.completion.chunk", created: 1_700_000_000, model, choices, ...(usage === undefined ? {} : { usage }) },
  });
  return [
    chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]),
    ...deltas.map((t) => chunk([{ index: 0, delta: { content: t }, finish_reason: null }])),
    chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
    ...(includeUsage ? [chunk([], openAiUsage(u, usageExtra))] : []),
    { data: "[DONE]" },
  ];
}

export const openAiError = (status: number, message: string, code: string | null = null, headers: Record<string, string> = {}): Reply => ({
  status,
  headers,
  json: { error: { message, type: status === 429 ? "rate_limit_exceeded" : "server_error", param: null, code } },
});

/** A promise and its resolver, to hold a stream open until the test has seen its first delta. */
export function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
