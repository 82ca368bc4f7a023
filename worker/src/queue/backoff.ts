import { JobAbortedError, PermanentError } from "./types.ts";

export type BackoffOptions = { baseMs: number; maxMs: number; /** [0,1) source; injected for tests. */ random?: () => number };

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries of jobs that
 * failed together (an upstream outage) spread out instead of stampeding back at once.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  const r = (opts.random ?? Math.random)();
  return Math.round(exp / 2 + (exp / 2) * r);
}

export type FailureDecision =
  | { kind: "retry"; runAt: Date; error: string; reason: string }
  | { kind: "park"; error: string; reason: string };

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === "string") return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/** What to do after a failed attempt; pure so ordering/backoff/give-up are tested without a database. */
export function decideFailure(input: {
  error: unknown;
  attempt: number;
  maxAttempts: number;
  now: number;
  backoff: (attempt: number) => number;
}): FailureDecision {
  const msg = errorMessage(input.error).slice(0, 2000);
  if (input.error instanceof PermanentError) {
    return { kind: "park", error: msg, reason: `Failed without retrying: ${msg}` };
  }
  if (input.attempt >= input.maxAttempts) {
    return {
      kind: "park",
      error: msg,
      reason: `Gave up after ${input.attempt} attempt${input.attempt === 1 ? "" : "s"}. Last error: ${msg}`,
    };
  }
  const delay = input.backoff(input.attempt);
  return {
    kind: "retry",
    runAt: new Date(input.now + delay),
    error: msg,
    reason: `Attempt ${input.attempt} of ${input.maxAttempts} failed: ${msg}. Retrying in ${formatDelay(delay)}.`,
  };
}

function formatDelay(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export function isAbort(err: unknown): err is JobAbortedError {
  return err instanceof JobAbortedError;
}
