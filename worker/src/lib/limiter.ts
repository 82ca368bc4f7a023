import { takeTokens, type BucketState, type TokenBucketConfig } from "@review/shared/llm/ratelimit";

export type Limiter = {
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /**
   * The provider answered 429 with Retry-After: its bucket is empty for that long. Ours empties too, so
   * no call goes out before then (each would be another 429 that spent one of our tokens) and calls
   * resume at the steady rate instead of a burst the provider would refuse again.
   */
  backOff(retryAfterMs: number): void;
  readonly active: number;
};

/**
 * Bounded concurrency plus an optional requests-per-minute token bucket (the shared arithmetic): an
 * evaluation keeps `concurrency` calls in flight and never exceeds the provider's rate limit.
 */
export function createLimiter(opts: { concurrency: number; perMinute?: number; now?: () => number }): Limiter {
  const now = opts.now ?? Date.now;
  const bucket: TokenBucketConfig | null = opts.perMinute
    ? { capacity: Math.max(1, Math.min(opts.perMinute, opts.concurrency)), refillPerSecond: opts.perMinute / 60 }
    : null;
  let state: BucketState | null = null;
  let active = 0;
  const waiting: Array<() => void> = [];

  const acquireSlot = () =>
    new Promise<void>((resolve) => {
      if (active < opts.concurrency) {
        active++;
        resolve();
      } else waiting.push(() => { active++; resolve(); });
    });
  const releaseSlot = () => {
    active--;
    waiting.shift()?.();
  };
  async function acquireToken(signal?: AbortSignal) {
    if (!bucket) return;
    for (;;) {
      signal?.throwIfAborted();
      const d = takeTokens(state, bucket, now());
      state = d.state;
      if (d.allowed) return;
      await new Promise((r) => setTimeout(r, Math.max(1, d.retryAfterMs)));
    }
  }

  return {
    get active() {
      return active;
    },
    backOff(retryAfterMs) {
      if (!bucket || !(retryAfterMs > 0) || !Number.isFinite(retryAfterMs)) return;
      const t = now();
      const current = takeTokens(state, bucket, t, 0).state;
      // One token exactly retryAfterMs from now (tokens may go below zero: that is the debt to wait out).
      const tokens = 1 - (retryAfterMs / 1000) * bucket.refillPerSecond;
      if (tokens < current.tokens) state = { tokens, updatedAtMs: t };
    },
    async run(fn, signal) {
      await acquireSlot();
      try {
        await acquireToken(signal);
        signal?.throwIfAborted();
        return await fn();
      } finally {
        releaseSlot();
      }
    },
  };
}

/**
 * Runs `fn` over items with the limiter; results in input order. On failure it still waits for the calls
 * already in flight (so nothing keeps running against a job that is over), then throws the first error.
 */
export async function mapLimited<T, R>(items: readonly T[], limiter: Limiter, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const inner = new AbortController();
  const onAbort = () => inner.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const settled = await Promise.allSettled(
      items.map((item, i) =>
        limiter.run(async () => {
          try {
            return await fn(item, i);
          } catch (err) {
            // One failure stops the items still waiting for a slot.
            inner.abort(err);
            throw err;
          }
        }, inner.signal),
      ),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw signal?.aborted ? signal.reason : failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
