/** An error a person can read: a stable code for the code, a sentence for the screen. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
    readonly fields?: Record<string, string[]>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** The sentence to show for anything thrown: functions' `{error:{message}}`, PostgREST errors, network failures. */
export function messageOf(err: unknown): string {
  if (err instanceof AppError) return err.message;
  if (err && typeof err === "object") {
    const e = err as { message?: unknown; details?: unknown; hint?: unknown };
    if (typeof e.message === "string" && e.message) {
      if (/failed to fetch|networkerror|load failed/i.test(e.message)) return "You appear to be offline; nothing was saved.";
      return e.message;
    }
  }
  return typeof err === "string" ? err : "Something went wrong.";
}

/** Throws PostgREST's `{ error }` as an AppError so queries and mutations share one failure path. */
export function unwrap<T>(res: { data: T; error: { message: string; code?: string } | null; status?: number }): T {
  if (res.error) throw new AppError(res.error.code ?? "request_failed", res.error.message, res.status ?? 0);
  return res.data;
}
