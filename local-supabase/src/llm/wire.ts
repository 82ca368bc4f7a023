/**
 * Anthropic Messages API wire format: request validation with Anthropic's error shapes and messages,
 * and the response/SSE bodies. Kept apart from the model so the compatibility surface is in one place.
 */
import { z } from "zod";

export type ApiErrorType = "invalid_request_error" | "authentication_error" | "not_found_error" | "api_error" | "overloaded_error" | "request_too_large";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ApiErrorType,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(type: ApiErrorType, message: string, requestId: string) {
  return { type: "error", error: { type, message }, request_id: requestId };
}

const Block = z.looseObject({ type: z.string() });
const Content = z.union([z.string(), z.array(Block)]);

const Body = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(z.looseObject({ role: z.enum(["user", "assistant"]), content: Content })),
  system: z.union([z.string(), z.array(Block)]).optional(),
  metadata: z.looseObject({ user_id: z.string().max(256).nullable().optional() }).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
});

export type MessagesRequest = z.infer<typeof Body>;

export function parseJson(body: Buffer): unknown {
  if (!body.length) throw new ApiError(400, "invalid_request_error", "Request body is empty; expected a JSON object");
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new ApiError(400, "invalid_request_error", "There was an issue with the formatting of your request: the body is not valid JSON");
  }
}

export function parseMessagesRequest(raw: unknown, opts: { needsMaxTokens: boolean }): MessagesRequest {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new ApiError(400, "invalid_request_error", "Request body must be a JSON object");
  const o = raw as Record<string, unknown>;
  // Anthropic names the first missing required field this way.
  for (const field of opts.needsMaxTokens ? ["model", "max_tokens", "messages"] : ["model", "messages"]) {
    if (o[field] === undefined) throw new ApiError(400, "invalid_request_error", `${field}: Field required`);
  }
  const parsed = Body.safeParse(opts.needsMaxTokens ? o : { max_tokens: 1, ...o });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ApiError(400, "invalid_request_error", `${issue.path.join(".")}: ${issue.message}`);
  }
  if (parsed.data.messages.length === 0) throw new ApiError(400, "invalid_request_error", "messages: at least one message is required");
  return parsed.data;
}

/** The text a model can read from content blocks (text, tool results, documents with text sources). */
export function contentText(content: MessagesRequest["messages"][number]["content"] | MessagesRequest["system"]): string {
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  return content
    .map((b) => {
      const block = b as Record<string, unknown>;
      if (block.type === "text" && typeof block.text === "string") return block.text;
      if (block.type === "tool_result") return contentText(block.content as never);
      if (block.type === "document") {
        const src = block.source as { type?: string; data?: unknown } | undefined;
        if (src?.type === "text" && typeof src.data === "string") return src.data;
      }
      return "";
    })
    .filter(Boolean)
    .join("\n");
}

export function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
