import type http from "node:http";
import { Readable } from "node:stream";

const EMPTY = Buffer.alloc(0);

export async function readBody(req: http.IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  // Most requests are GETs without a body; an async iterator over an empty stream costs more than the rest of the parsing.
  if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined) {
    req.resume();
    return EMPTY;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, "payload_too_large", `Request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** `omit`: lower-case header names not to pass on. */
export function toFetchRequest(req: http.IncomingMessage, body: Buffer, origin: string, omit: string[] = []): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k.startsWith(":") || omit.includes(k)) continue;
    if (Array.isArray(v)) for (const item of v) headers.append(k, item);
    else headers.set(k, v);
  }
  const method = req.method ?? "GET";
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    body: method === "GET" || method === "HEAD" || body.length === 0 ? undefined : new Uint8Array(body),
  });
}

function nodeHeaders(response: Response, extraHeaders: Record<string, string>) {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key === "content-encoding" || key === "content-length" || key === "transfer-encoding" || key === "connection") return;
    if (key === "set-cookie") headers[key] = response.headers.getSetCookie();
    else headers[key] = value;
  });
  return { ...headers, ...extraHeaders };
}

/**
 * Writes a fetch Response that is already complete in memory (REST and Auth answers) in one write.
 * Piping it through a web stream adapter cost more than building it.
 */
export async function sendWholeResponse(res: http.ServerResponse, response: Response, extraHeaders: Record<string, string> = {}) {
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : EMPTY;
  // Headers set one by one (not writeHead) let Node add the Content-Length itself, and none on a 204 or a HEAD answer.
  res.statusCode = response.status;
  for (const [k, v] of Object.entries(nodeHeaders(response, extraHeaders))) res.setHeader(k, v);
  res.end(body);
}

/** Writes a fetch Response to Node, streaming the body (SSE from functions and the dev LLM stay live). */
export async function sendFetchResponse(res: http.ServerResponse, response: Response, extraHeaders: Record<string, string> = {}) {
  res.writeHead(response.status, nodeHeaders(response, extraHeaders));
  if (!response.body) return void res.end();
  const stream = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
  await new Promise<void>((resolve) => {
    stream.on("error", () => {
      res.destroy();
      resolve();
    });
    res.on("close", () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}
