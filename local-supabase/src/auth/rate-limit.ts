import type { AuthRateLimits } from "../supabase-config.ts";

/**
 * GoTrue's rate limits, kept in memory as GoTrue keeps them (a restart forgets them there too).
 *
 * Per client: a token bucket per IP, as GoTrue's tollbooth limiters are: `limit` requests per window
 * refill continuously, and a burst of up to 30 may go at once (GoTrue's burst; here never more than
 * the limit itself, so a limit under 30 means what it says). Project-wide: emails, counted in fixed
 * intervals like GoTrue's IntervalLimiter. Written here rather than taken from a library because the
 * gateway needs GoTrue's exact shape (burst, refill, the wait until the next request is allowed for
 * Retry-After) and the whole of it is a few lines.
 */

export type RateLimitSettings = AuthRateLimits & {
  /** GoTrue's 5 minutes for sign-ins, refreshes and verifications; tests shorten it. */
  windowMs: number;
  /** GoTrue's hour for emails and anonymous sign-ins; tests shorten it. */
  longWindowMs: number;
};

export const FIVE_MINUTES = 5 * 60_000;
export const ONE_HOUR = 60 * 60_000;

export type Verdict = { ok: true } | { ok: false; retryAfterSeconds: number };

const MAX_BURST = 30;

export class IpBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private readonly burst: number;

  constructor(
    readonly limit: number,
    windowMs: number,
    burst = Math.min(limit, MAX_BURST),
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = limit / windowMs;
    this.burst = Math.max(burst, limit > 0 ? 1 : 0);
  }

  /** Takes one request from `key`'s bucket, or says how long until one is there. */
  take(key: string): Verdict {
    const now = this.now();
    if (this.limit <= 0) return { ok: false, retryAfterSeconds: 3600 };
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(this.burst, b.tokens + (now - b.at) * this.perMs) : this.burst;
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      if (this.buckets.size > 10_000) this.sweep(now);
      return { ok: true };
    }
    this.buckets.set(key, { tokens, at: now });
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000)) };
  }

  /** Buckets that have refilled say nothing a fresh one would not. */
  private sweep(now: number) {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.burst) this.buckets.delete(key);
    }
  }
}

/** GoTrue's email limiter: at most `limit` emails in each interval, for the whole project. */
export class IntervalCounter {
  private start: number;
  private used = 0;

  constructor(
    readonly limit: number,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.start = now();
  }

  private roll(now: number) {
    const passed = Math.floor((now - this.start) / this.intervalMs);
    if (passed > 0) {
      this.start += passed * this.intervalMs;
      this.used = 0;
    }
  }

  /** Whether another one fits now, without counting it. */
  check(): Verdict {
    const now = this.now();
    this.roll(now);
    if (this.used < this.limit) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((this.start + this.intervalMs - now) / 1000)) };
  }

  record() {
    this.roll(this.now());
    this.used++;
  }
}

/** The endpoints that each get a bucket of `sign_in_sign_ups` (GoTrue's RATE_LIMIT_OTP). */
export type OtpEndpoint = "signup" | "otp" | "magiclink" | "recover" | "resend" | "user";

/** Every limit of one stack. */
export class AuthLimits {
  /**
   * GoTrue gives each of these endpoints a limiter of its own, all at the OTP limit
   * (internal/api/apilimiter: Signups, Otp, MagicLink, Recover, Resend, User), so 30 sign-ups
   * leave the recoveries' budget whole.
   */
  readonly signInSignUps: Record<OtpEndpoint, IpBuckets>;
  readonly tokenRefresh: IpBuckets;
  readonly tokenVerifications: IpBuckets;
  readonly anonymousUsers: IpBuckets;
  readonly emailSent: IntervalCounter;
  /**
   * GoTrue's RATE_LIMIT_PASSKEY (30) and RATE_LIMIT_OAUTH_DYNAMIC_CLIENT_REGISTER (10) per IP per 5
   * minutes, on the two endpoints anyone may call that store a row (a sign-in challenge, a client).
   * The CLI's config.toml has no keys for them, so neither has this one.
   */
  readonly passkeyAuthentication: IpBuckets;
  readonly oauthClientRegister: IpBuckets;

  constructor(readonly settings: RateLimitSettings) {
    const otp = () => new IpBuckets(settings.signInSignUps, settings.windowMs);
    this.signInSignUps = { signup: otp(), otp: otp(), magiclink: otp(), recover: otp(), resend: otp(), user: otp() };
    this.tokenRefresh = new IpBuckets(settings.tokenRefresh, settings.windowMs);
    this.tokenVerifications = new IpBuckets(settings.tokenVerifications, settings.windowMs);
    // GoTrue lets the whole hour's anonymous sign-ins go in one burst.
    this.anonymousUsers = new IpBuckets(settings.anonymousUsers, settings.longWindowMs, settings.anonymousUsers);
    this.emailSent = new IntervalCounter(settings.emailSent, settings.longWindowMs);
    this.passkeyAuthentication = new IpBuckets(30, settings.windowMs);
    this.oauthClientRegister = new IpBuckets(10, settings.windowMs);
  }
}

/**
 * GoTrue's 429 answers: a client over a per-IP limit, the project over `email_sent`, and one address
 * asking for another email sooner than `max_frequency` allows.
 */
export function tooManyRequests(kind: "request" | "email" | "email-frequency", retryAfterSeconds: number): Response {
  const [code, msg] =
    kind === "request"
      ? ["over_request_rate_limit", "Request rate limit reached"]
      : kind === "email"
        ? ["over_email_send_rate_limit", "email rate limit exceeded"]
        : ["over_email_send_rate_limit", `For security purposes, you can only request this after ${retryAfterSeconds} seconds.`];
  return new Response(JSON.stringify({ code: 429, error_code: code, msg }), {
    status: 429,
    headers: { "content-type": "application/json", "retry-after": String(retryAfterSeconds), "x-sb-error-code": code },
  });
}
