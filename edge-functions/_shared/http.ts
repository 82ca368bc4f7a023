import { z } from "zod";
import { corsHeaders } from "./cors.ts";

/** Typed errors with stable codes; the one place that turns them into HTTP responses is `handler()`. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string[]>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, fields?: Record<string, string[]>) => new AppError(400, "invalid_input", message, fields);
export const unauthorized = (message = "Sign in to do this") => new AppError(401, "unauthorized", message);
export const forbidden = (message: string) => new AppError(403, "forbidden", message);
export const notFound = (what: string) => new AppError(404, "not_found", `${what} was not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, "content-type": "application/json", ...headers },
  });
}

/** Parses the JSON body with a zod schema; failures become 400 with per-field messages. */
export async function parseBody<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  let raw: unknown;
  try {
    const text = await req.text();
    raw = text ? JSON.parse(text) : {};
  } catch {
    throw badRequest("The request body is not valid JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fields: Record<string, string[]> = {};
    for (const issue of parsed.error.issues) {
      const key = issue.path.join(".") || "body";
      (fields[key] ??= []).push(issue.message);
    }
    throw badRequest("Some fields are missing or invalid", fields);
  }
  return parsed.data;
}

/** Wraps a function body: CORS preflight, method check, typed errors → JSON, anything else → 500. */
export function handler(fn: (req: Request) => Promise<Response>, opts: { methods?: string[] } = {}) {
  const methods = opts.methods ?? ["POST"];
  return async (req: Request): Promise<Response> => {
    if (req.method === "OPTIONS") return new Response("ok", { headers: corsHeaders });
    if (!methods.includes(req.method)) {
      return json({ error: { code: "method_not_allowed", message: `Use ${methods.join(" or ")}` } }, 405);
    }
    try {
      return await fn(req);
    } catch (err) {
      if (err instanceof AppError) {
        return json({ error: { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) } }, err.status, err.headers);
      }
      console.error(err instanceof Error ? err.stack ?? err.message : String(err));
      return json({ error: { code: "internal_error", message: "Something went wrong on our side; nothing was changed." } }, 500);
    }
  };
}
