import { afterEach, describe, expect, it } from "vitest";
import { backoffDelay, decideFailure } from "./backoff.ts";
import { MemoryStore } from "./memory-store.ts";
import { createRunner, type Outcome, type Runner } from "./runner.ts";
import { PermanentError, type Handler } from "./types.ts";

async function until<T>(probe: () => T, what = "condition", timeout = 5000): Promise<NonNullable<T>> {
  const end = Date.now() + timeout;
  for (;;) {
    const v = probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`${what} not reached`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const runners: Runner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop(50)));
});

function setup(handlers: Record<string, Handler>, o: Partial<Parameters<typeof createRunner>[0]> = {}) {
  const store = new MemoryStore();
  const outcomes: Array<{ id: string; outcome: Outcome }> = [];
  const runner = createRunner({
    store, handlers, workerId: "w1", concurrency: 1, leaseMs: 1000, pollMs: 20, maxAttempts: 3,
    backoff: (a) => 10 * 2 ** (a - 1),
    onSettled: (j, outcome) => outcomes.push({ id: j.id, outcome }),
    ...o,
  });
  runners.push(runner);
  return { store, runner, outcomes };
}

describe("failure decisions", () => {
  it("backs off exponentially with bounded jitter", () => {
    const opts = { baseMs: 1000, maxMs: 60_000 };
    expect(backoffDelay(1, { ...opts, random: () => 0 })).toBe(500);
    expect(backoffDelay(1, { ...opts, random: () => 0.999999 })).toBe(1000);
    expect(backoffDelay(3, { ...opts, random: () => 0.5 })).toBe(3000);
    expect(backoffDelay(20, { ...opts, random: () => 1 })).toBe(60_000);
  });
  it("retries until the last attempt, then parks with a readable reason", () => {
    const base = { error: new Error("upstream 503"), maxAttempts: 3, now: 0, backoff: (a: number) => a * 100 };
    const first = decideFailure({ ...base, attempt: 1 });
    expect(first).toMatchObject({ kind: "retry", error: "upstream 503" });
    expect(first.kind === "retry" && first.runAt.getTime()).toBe(100);
    expect(decideFailure({ ...base, attempt: 3 })).toEqual({
      kind: "park", error: "upstream 503", reason: "Gave up after 3 attempts. Last error: upstream 503",
    });
  });
  it("never retries a permanent error", () => {
    const d = decideFailure({ error: new PermanentError("config.tags: expected array"), attempt: 1, maxAttempts: 5, now: 0, backoff: () => 1 });
    expect(d).toMatchObject({ kind: "park", reason: "Failed without retrying: config.tags: expected array" });
  });
});

describe("runner", () => {
  it("runs ready jobs by priority, then age", async () => {
    const order: string[] = [];
    const { store, runner } = setup({ t: async (j) => void order.push((j.payload as { n: string }).n) });
    store.add("t", { n: "old" }, { runAt: Date.now() - 1000 });
    store.add("t", { n: "new" });
    store.add("t", { n: "urgent" }, { priority: 5 });
    store.add("t", { n: "later" }, { runAt: Date.now() + 60_000 });
    await runner.start();
    await until(() => order.length === 3, "three jobs");
    expect(order).toEqual(["urgent", "old", "new"]);
  });

  it("records a backlog's completions with the next claim, and an idle queue's at once", async () => {
    const { store, runner, outcomes } = setup({ t: async () => {} });
    const calls = { complete: 0, carried: 0 };
    const complete = store.complete.bind(store);
    const completeAndClaim = store.completeAndClaim.bind(store);
    let inClaim = false;
    store.complete = (l, r) => (inClaim || calls.complete++, complete(l, r));
    store.completeAndClaim = async (w, c, ...rest) => {
      calls.carried += c.length;
      inClaim = true;
      try {
        return await completeAndClaim(w, c, ...rest);
      } finally {
        inClaim = false;
      }
    };
    for (let i = 0; i < 20; i++) store.add("t");
    await runner.start();
    await until(() => outcomes.length === 20, "20 jobs settled");
    expect(outcomes.every((o) => o.outcome === "completed")).toBe(true);
    // Each completion but the last rode on the claim of the next job; the last found nothing waiting.
    expect(calls).toEqual({ complete: 1, carried: 19 });
    expect([...store.entries.values()].every((e) => e.state === "done")).toBe(true);
  });

  it("never runs more than `concurrency` jobs at once and drains the queue", async () => {
    let active = 0;
    let peak = 0;
    const { store, runner, outcomes } = setup(
      { t: async () => { active++; peak = Math.max(peak, active); await new Promise((r) => setTimeout(r, 3)); active--; } },
      { concurrency: 4 },
    );
    for (let i = 0; i < 40; i++) store.add("t");
    await runner.start();
    await until(() => outcomes.length === 40, "all jobs");
    expect(peak).toBe(4);
    expect(outcomes.every((o) => o.outcome === "completed")).toBe(true);
  });

  it("retries with backoff, then parks the entry with the last error", async () => {
    const seen: number[] = [];
    const { store, runner, outcomes } = setup({ t: async (_j, ctx) => { seen.push(Date.now()); throw new Error(`boom ${ctx.attempt}`); } });
    const e = store.add("t");
    await runner.start();
    await until(() => outcomes.length === 3, "three attempts");
    expect(outcomes.map((o) => o.outcome)).toEqual(["retry", "retry", "failed"]);
    expect(e.state).toBe("failed");
    expect(e.reason).toBe("Gave up after 3 attempts. Last error: boom 3");
    // Second gap (20 ms backoff) is at least the configured delay; retries are never early.
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(10);
    expect(seen[2]! - seen[1]!).toBeGreaterThanOrEqual(20);
  });

  it("parks a bad payload at once and keeps serving the queue", async () => {
    const done: string[] = [];
    const { store, runner, outcomes } = setup({
      t: async (j) => {
        const p = j.payload as { n?: unknown };
        if (typeof p.n !== "string") throw new PermanentError("payload.n: expected a string");
        done.push(p.n);
      },
    });
    const bad = store.add("t", { n: 42 });
    store.add("t", { n: "ok" });
    await runner.start();
    await until(() => outcomes.length === 2, "both settled");
    expect(bad.state).toBe("failed");
    expect(bad.attempts).toBe(1);
    expect(bad.reason).toBe("Failed without retrying: payload.n: expected a string");
    expect(done).toEqual(["ok"]);
  });

  it("aborts a running job when it is cancelled", async () => {
    let sawAbort = false;
    const { store, runner, outcomes } = setup({
      t: (_j, ctx) => new Promise((_res, rej) => ctx.signal.addEventListener("abort", () => { sawAbort = true; rej(ctx.signal.reason); })),
    });
    const e = store.add("t", {}, { jobId: "job-1" });
    await runner.start();
    await until(() => runner.inflight === 1, "running");
    store.requestCancel("job-1");
    await until(() => outcomes.length === 1, "settled");
    expect(sawAbort).toBe(true);
    expect(e.state).toBe("cancelled");
  });

  it("stops a job whose lease was taken over, without recording anything", async () => {
    const { store, runner, outcomes } = setup(
      { t: (_j, ctx) => new Promise((_res, rej) => ctx.signal.addEventListener("abort", () => rej(ctx.signal.reason))) },
      { heartbeatMs: 10 },
    );
    const e = store.add("t");
    await runner.start();
    await until(() => runner.inflight === 1, "running");
    // Another worker reaped and re-claimed it: attempt 2 is not ours.
    Object.assign(e, { attempts: 2, lockedBy: "w2" });
    await until(() => outcomes.length === 1, "settled");
    expect(outcomes[0]!.outcome).toBe("lost");
    expect(e.lockedBy).toBe("w2");
  });

  it("re-runs a job whose worker died once its lease expires", async () => {
    const { store, runner, outcomes } = setup({ t: async () => "done" }, { reapMs: 10 });
    const e = store.add("t");
    // A worker claimed it and vanished.
    await store.claim("dead", 1, 30, ["t"]);
    await runner.start();
    await until(() => outcomes.length === 1, "completed by the survivor");
    expect(e.state).toBe("done");
    expect(e.attempts).toBe(2);
  });

  it("hands unfinished jobs back on shutdown without spending an attempt", async () => {
    const { store, runner } = setup({
      t: (_j, ctx) => new Promise((_res, rej) => ctx.signal.addEventListener("abort", () => rej(ctx.signal.reason))),
    });
    const e = store.add("t");
    await runner.start();
    await until(() => runner.inflight === 1, "running");
    await runner.stop(20);
    expect(e.state).toBe("queued");
    expect(e.attempts).toBe(0);
  });

  it("lets a job finish during the grace period on shutdown", async () => {
    let release!: () => void;
    const { store, runner } = setup({ t: () => new Promise<void>((res) => (release = res)) });
    const e = store.add("t");
    await runner.start();
    await until(() => runner.inflight === 1, "running");
    const stopped = runner.stop(5000);
    release();
    await stopped;
    expect(e.state).toBe("done");
  });

  it("resumes from the saved checkpoint after a retry", async () => {
    const steps: string[] = [];
    const { store, runner, outcomes } = setup({
      t: async (_j, ctx) => {
        const cp = (ctx.checkpoint as { step?: number } | null)?.step ?? 0;
        for (let s = cp + 1; s <= 3; s++) {
          steps.push(`attempt${ctx.attempt}:step${s}`);
          await ctx.saveCheckpoint({ step: s });
          if (s === 2 && ctx.attempt === 1) throw new Error("crash after step 2");
        }
      },
    });
    store.add("t");
    await runner.start();
    await until(() => outcomes.at(-1)?.outcome === "completed", "completed");
    expect(steps).toEqual(["attempt1:step1", "attempt1:step2", "attempt2:step3"]);
  });
});
