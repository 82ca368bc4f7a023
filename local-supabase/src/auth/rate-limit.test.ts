import { describe, expect, it } from "vitest";
import { IntervalCounter, IpBuckets } from "./rate-limit.ts";

/** The limiters on a clock the test moves, so every refill is exact. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("IpBuckets (GoTrue's per-IP token buckets)", () => {
  it("lets a burst through, then refuses every request until a token refills, whatever it carries", () => {
    const c = clock();
    const b = new IpBuckets(10, 10_000, undefined, c.now);
    for (let i = 0; i < 10; i++) expect(b.take("1.2.3.4")).toEqual({ ok: true });
    expect(b.take("1.2.3.4")).toEqual({ ok: false, retryAfterSeconds: 1 });
    // Refused requests take nothing; the next token comes a tenth of the window later.
    c.advance(999);
    expect(b.take("1.2.3.4").ok).toBe(false);
    c.advance(1);
    expect(b.take("1.2.3.4")).toEqual({ ok: true });
    expect(b.take("1.2.3.4").ok).toBe(false);
    // Another client has a bucket of its own.
    expect(b.take("5.6.7.8")).toEqual({ ok: true });
  });

  it("bursts at most 30, as GoTrue, and never more than the limit", () => {
    const c = clock();
    const big = new IpBuckets(150, 300_000, undefined, c.now);
    let allowed = 0;
    while (big.take("a").ok) allowed++;
    expect(allowed).toBe(30);
    const small = new IpBuckets(3, 300_000, undefined, c.now);
    allowed = 0;
    while (small.take("a").ok) allowed++;
    expect(allowed).toBe(3);
    // 3 per 5 minutes: the next one in 100 s.
    expect(small.take("a")).toEqual({ ok: false, retryAfterSeconds: 100 });
  });

  it("refuses everything at a limit of 0", () => {
    expect(new IpBuckets(0, 300_000).take("a").ok).toBe(false);
  });
});

describe("IntervalCounter (GoTrue's project-wide email limit)", () => {
  it("allows the limit per interval, says when the interval ends, and starts over then", () => {
    const c = clock();
    const emails = new IntervalCounter(2, 3_600_000, c.now);
    expect(emails.check().ok).toBe(true);
    emails.record();
    emails.record();
    c.advance(600_000);
    expect(emails.check()).toEqual({ ok: false, retryAfterSeconds: 3000 });
    c.advance(3_000_000);
    expect(emails.check().ok).toBe(true);
  });
});
