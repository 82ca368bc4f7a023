import http from "node:http";
import type { AddressInfo } from "node:net";

export type Captured = { method: string; path: string; headers: http.IncomingHttpHeaders; body: string };

/** A throwaway HTTP server on 127.0.0.1:0 that records requests and answers with the given handler. */
export async function loopback(handler: (req: Captured, n: number) => { status: number; headers?: Record<string, string>; body: unknown }) {
  const requests: Captured[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const captured = { method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
    requests.push(captured);
    const r = handler(captured, requests.length);
    res.writeHead(r.status, { "content-type": "application/json", ...(r.headers ?? {}) });
    res.end(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
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

/** A Messages API answer as Anthropic sends it. */
export function anthropicMessage(text: string, model: string, usage: { input_tokens: number; output_tokens: number }) {
  return {
    id: "msg_loopback",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage,
  };
}
