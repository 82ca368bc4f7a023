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

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Text Postgres cannot store, found anywhere in a parsed body: a NUL character (text columns refuse it)
 * or a lone UTF-16 surrogate (not Unicode; jsonb refuses it). Returns the path of the first one.
 */
export function badTextAt(value: unknown, path: string[] = []): string | null {
  if (typeof value === "string") {
    return value.includes("\u0000") || !value.isWellFormed() ? path.join(".") || "body" : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = badTextAt(value[i], [...path, String(i)]);
      if (hit) return hit;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const keyHit = badTextAt(k, [...path, "(key)"]);
      if (keyHit) return path.join(".") || "body";
      const hit = badTextAt(v, [...path, k]);
      if (hit) return hit;
    }
  }
  return null;
}

/**
 * Parses the JSON body with a zod schema; failures become 400 with per-field messages. Bytes that are
 * not UTF-8, and text the database cannot store (NUL, lone surrogates), are refused here with the
 * field named, instead of surfacing later as a 500 from Postgres.
 */
export async function parseBody<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  let raw: unknown;
  let text: string;
  try {
    text = utf8.decode(new Uint8Array(await req.arrayBuffer()));
  } catch {
    throw badRequest("The request body is not valid UTF-8", { body: ["Not valid UTF-8"] });
  }
  try {
    raw = text ? JSON.parse(text) : {};
  } catch {
    throw badRequest("The request body is not valid JSON", { body: ["Not valid JSON"] });
  }
  const bad = badTextAt(raw);
  if (bad) throw badRequest(`The field ${bad} contains characters that cannot be stored (a NUL or an unpaired surrogate)`, { [bad]: ["Contains a NUL character or invalid Unicode"] });
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

type DbResult<T> = { data: T | null; error: { code?: string; message: string } | null; status?: number };

/**
 * The data of a supabase-js call, or the database's refusal as a typed error. The database functions
 * refuse with PostgREST's `PGRST` convention (private.raise_http: a stable code and an HTTP status);
 * permission and constraint errors get the status PostgREST gives them.
 */
export function fromDb<T>(result: DbResult<T>, fallbackCode: string): T {
  const { data, error, status } = result;
  if (!error) return data as T;
  const code = error.code ?? "";
  if (status && status >= 400 && status < 500 && /^[a-z_]+$/.test(code)) throw new AppError(status, code, error.message);
  if (code === "42501") throw new AppError(403, "forbidden", error.message);
  if (code === "23505") throw new AppError(409, "conflict", error.message);
  if (code === "23503") throw new AppError(400, "invalid_reference", "Something this refers to does not exist");
  if (code === "23514" || code === "22023" || code === "22P02") throw new AppError(400, "invalid_input", error.message);
  throw new AppError(500, fallbackCode, error.message);
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
        // An expected refusal is one line in the log, not a stack trace.
        if (err.status < 500) console.warn(`${req.method} ${new URL(req.url).pathname} ${err.status} ${err.code}: ${err.message}`);
        else console.error(`${req.method} ${new URL(req.url).pathname} ${err.status} ${err.code}: ${err.message}`);
        return json({ error: { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) } }, err.status, err.headers);
      }
      console.error(err instanceof Error ? err.stack ?? err.message : String(err));
      return json({ error: { code: "internal_error", message: "Something went wrong on our side; nothing was changed." } }, 500);
    }
  };
}
