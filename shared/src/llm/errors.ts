/**
 * One error type for every LLM failure, so edge functions and the worker map it to an HTTP status and a
 * sentence without knowing which provider or SDK produced it. Codes are stable: the database, boards
 * and the SPA match on them.
 */
export const LLM_ERROR_CODES = ["llm_timeout", "llm_rate_limited", "llm_upstream_error", "llm_input_too_long", "llm_bad_output", "llm_not_configured"] as const;
export type LlmErrorCode = (typeof LLM_ERROR_CODES)[number];

const statusFor: Record<LlmErrorCode, number> = {
  llm_timeout: 504,
  llm_rate_limited: 429,
  llm_upstream_error: 502,
  llm_input_too_long: 413,
  llm_bad_output: 502,
  // Our configuration, not the provider: no key for the model's provider, or an unknown provider prefix.
  llm_not_configured: 503,
};

const sentenceFor: Record<LlmErrorCode, string> = {
  llm_timeout: "The language model did not answer in time. Please try again.",
  llm_rate_limited: "Too many language model requests right now. Please wait a moment and try again.",
  llm_upstream_error: "The language model service failed to answer. Please try again.",
  llm_input_too_long: "The text is too long for the language model. Please shorten it.",
  llm_bad_output: "The language model gave an answer we could not use. Please try again.",
  llm_not_configured: "No language model provider is configured for this. An administrator needs to set a provider key.",
};

export class LlmError extends Error {
  override readonly name = "LlmError";
  readonly code: LlmErrorCode;
  /** HTTP status an API should answer with when this error ends a request. */
  readonly status: number;
  /** Milliseconds a caller should wait before retrying, when known (rate limits). */
  readonly retryAfterMs: number | undefined;
  /** Status of the upstream HTTP response, when there was one. */
  readonly upstreamStatus: number | undefined;

  constructor(code: LlmErrorCode, message: string, opts: { cause?: unknown; retryAfterMs?: number; upstreamStatus?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.status = statusFor[code];
    this.retryAfterMs = opts.retryAfterMs;
    this.upstreamStatus = opts.upstreamStatus;
  }

  /** What a user may read: never the upstream body, which can carry request ids or prompt fragments. */
  get userMessage(): string {
    return sentenceFor[this.code];
  }

  toJSON() {
    return { code: this.code, message: this.message, status: this.status, retryAfterMs: this.retryAfterMs };
  }
}

export function isLlmError(err: unknown): err is LlmError {
  return err instanceof LlmError;
}
