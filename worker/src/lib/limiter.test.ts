import { describe, expect, it } from "vitest";
import { createLimiter } from "./limiter.ts";

describe("createLimiter", () => {
  it("after a 429's Retry-After nothing goes out before it", async () => {
    let t = 0;
    const limiter = createLimiter({ concurrency: 4, perMinute: 60_000, now: () => t }); // 1 per ms, bucket of 4
    const started: number[] = [];
    const call = () => limiter.run(async () => void started.push(t));
    await Promise.all([call(), call(), call(), call()]);
    expect(started).toEqual([0, 0, 0, 0]);
    t = 10; // the bucket is full again
    limiter.backOff(50);
    const pending = Promise.all([call(), call(), call()]);
    // The limiter sleeps on real timers; the clock moves past each wait.
    for (let i = 0; i < 200 && started.length < 7; i++) {
      await new Promise((r) => setTimeout(r, 1));
      t += 5;
    }
    await pending;
    // The bucket was full at 10 ms; the provider said 50 ms: its first token is at 60.
    expect(Math.min(...started.slice(4))).toBeGreaterThanOrEqual(60);
  });
});
