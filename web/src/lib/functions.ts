import type { FunctionName, FunctionRequest, FunctionResponse } from "@review/shared/api/functions";
import { env, supabase } from "./supabase.ts";
import { AppError } from "./errors.ts";
import { readSse, type SseEvent } from "./sse.ts";

async function request(name: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  const { data } = await supabase.auth.getSession();
  const token = data.session?.access_token;
  let res: Response;
  try {
    res = await fetch(`${env.supabaseUrl}/functions/v1/${name}`, {
      method: "POST",
      headers: {
        apikey: env.supabaseAnonKey,
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new AppError("network", "The server could not be reached; check your connection and try again.");
  }
  if (!res.ok) throw await toError(res);
  return res;
}

async function toError(res: Response): Promise<AppError> {
  const text = await res.text().catch(() => "");
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; fields?: Record<string, string[]> } };
    if (parsed.error?.message) return new AppError(parsed.error.code ?? "function_error", parsed.error.message, res.status, parsed.error.fields);
  } catch {
    /* not JSON: fall through */
  }
  if (res.status === 401) return new AppError("unauthorized", "Your session has expired; sign in again.", 401);
  if (res.status === 403) return new AppError("forbidden", "Your role does not allow this.", 403);
  return new AppError("function_error", `The server answered ${res.status}.`, res.status);
}

/**
 * Calls an Edge Function the way the platform expects (apikey + the user's bearer token). The body and
 * the answer are typed by the function's contract (shared/src/api/functions.ts), which the function
 * itself parses with.
 */
export async function callFunction<N extends FunctionName>(name: N, body: FunctionRequest<N>, signal?: AbortSignal): Promise<FunctionResponse<N>> {
  const res = await request(name, body, signal);
  return (await res.json()) as FunctionResponse<N>;
}

/** Calls a streaming (text/event-stream) Edge Function. */
export async function* streamFunction<N extends FunctionName>(name: N, body: FunctionRequest<N>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const res = await request(name, body, signal);
  if (!res.body) throw new AppError("empty_stream", "The server sent no data.");
  yield* readSse(res.body);
}
