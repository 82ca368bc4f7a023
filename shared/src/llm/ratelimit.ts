/**
 * Token-bucket rate limiting, split into pure arithmetic (here, shared by every runtime and by tests)
 * and a store that keeps bucket state. Edge Functions run as many isolates, so production state lives
 * in Postgres behind an RPC that applies the same arithmetic under a row lock; the in-memory store is
 * for one process (the worker, tests).
 *
 * The database side is the `take_llm_tokens(p_key, p_capacity, p_per_minute, p_cost)` RPC (see
 * supabase/migrations), returning (allowed, retry_after_ms); it must apply the same arithmetic as
 * takeTokens() under a row lock. createRpcRateLimitStore() adapts any such RPC to this interface.
 */
import { LlmError } from "./errors.ts";

export type TokenBucketConfig = {
  /** Burst size: how many requests may go at once after a quiet period. */
  capacity: number;
  /** Sustained rate. */
  refillPerSecond: number;
};

export type BucketState = { tokens: number; updatedAtMs: number };

export type RateLimitDecision = {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** 0 when allowed; otherwise how long until `cost` tokens are available. */
  retryAfterMs: number;
};

export function perMinute(n: number, burst = n): TokenBucketConfig {
  return { capacity: burst, refillPerSecond: n / 60 };
}

/** Refill by elapsed time (capped at capacity), then take `cost` if there is enough. Never mutates `state`. */
export function takeTokens(state: BucketState | null, config: TokenBucketConfig, nowMs: number, cost = 1): RateLimitDecision & { state: BucketState } {
  if (!(config.capacity > 0) || !(config.refillPerSecond >= 0)) throw new RangeError("rate limit capacity must be > 0 and refill >= 0");
  const prev = state ?? { tokens: config.capacity, updatedAtMs: nowMs };
  // A clock that went backwards (another host) must not mint tokens or punish the caller.
  const elapsedMs = Math.max(0, nowMs - prev.updatedAtMs);
  const tokens = Math.min(config.capacity, prev.tokens + (elapsedMs / 1000) * config.refillPerSecond);
  if (tokens >= cost) {
    const left = tokens - cost;
    return { allowed: true, remaining: Math.floor(left), retryAfterMs: 0, state: { tokens: left, updatedAtMs: nowMs } };
  }
  const retryAfterMs =
    cost > config.capacity || config.refillPerSecond === 0 ? Number.POSITIVE_INFINITY : Math.ceil(((cost - tokens) / config.refillPerSecond) * 1000);
  return { allowed: false, remaining: Math.floor(tokens), retryAfterMs, state: { tokens, updatedAtMs: nowMs } };
}

export interface RateLimitStore {
  take(key: string, config: TokenBucketConfig, cost?: number): Promise<RateLimitDecision>;
}

export function createMemoryRateLimitStore(now: () => number = () => Date.now()): RateLimitStore {
  const buckets = new Map<string, BucketState>();
  return {
    async take(key, config, cost = 1) {
      const d = takeTokens(buckets.get(key) ?? null, config, now(), cost);
      buckets.set(key, d.state);
      return { allowed: d.allowed, remaining: d.remaining, retryAfterMs: d.retryAfterMs };
    },
  };
}

/** Adapts a database RPC (e.g. supabase.rpc("take_llm_tokens", …)) to a RateLimitStore. */
export function createRpcRateLimitStore(
  call: (args: { p_key: string; p_capacity: number; p_per_minute: number; p_cost: number }) => Promise<{ allowed: boolean; retry_after_ms: number; remaining?: number }>,
): RateLimitStore {
  return {
    async take(key, config, cost = 1) {
      const r = await call({ p_key: key, p_capacity: config.capacity, p_per_minute: config.refillPerSecond * 60, p_cost: cost });
      return { allowed: r.allowed, retryAfterMs: r.allowed ? 0 : r.retry_after_ms, remaining: r.remaining ?? 0 };
    },
  };
}

/** Keys are per org and scope (e.g. "llm"), optionally per user, so one tenant cannot starve another. */
export function rateLimitKey(parts: { scope: string; orgId: string; userId?: string | null }): string {
  return parts.userId ? `${parts.scope}:org:${parts.orgId}:user:${parts.userId}` : `${parts.scope}:org:${parts.orgId}`;
}

/** Takes from the bucket and throws llm_rate_limited when refused. */
export async function enforceRateLimit(store: RateLimitStore, key: string, config: TokenBucketConfig, cost = 1): Promise<RateLimitDecision> {
  const d = await store.take(key, config, cost);
  if (!d.allowed) {
    const wait = Number.isFinite(d.retryAfterMs) ? d.retryAfterMs : undefined;
    throw new LlmError("llm_rate_limited", `Rate limit for ${key} reached${wait !== undefined ? `; retry in ${Math.ceil(wait / 1000)}s` : ""}`, { retryAfterMs: wait });
  }
  return d;
}
