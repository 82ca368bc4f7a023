import { describe, expect, it } from "vitest";
import { createBatcher } from "./batch.ts";

describe("createBatcher (group commit)", () => {
  it("writes a burst in one statement and the rows added meanwhile in the next, each add resolving once written", async () => {
    const writes: number[][] = [];
    let release!: () => void;
    let gate: Promise<void> | null = new Promise((r) => (release = r));
    const b = createBatcher<number>(async (rows) => {
      writes.push(rows);
      if (gate) await gate;
    });
    const first = [1, 2, 3].map((n) => b.add(n));
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([[1, 2, 3]]);
    // While the first write is in flight, new rows wait for it and go together.
    let fourthDone = false;
    const later = [4, 5].map((n) => b.add(n));
    void later[0]!.then(() => (fourthDone = true));
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    expect(b.pending).toBe(5);
    gate = null;
    release();
    await Promise.all(first);
    await Promise.all(later);
    expect(fourthDone).toBe(true);
    expect(writes).toEqual([[1, 2, 3], [4, 5]]);
    expect(b.pending).toBe(0);
  });

  it("a failed batch is retried row by row: only the bad row rejects", async () => {
    const stored: string[] = [];
    const b = createBatcher<string>(async (rows) => {
      if (rows.includes("bad")) throw new Error("constraint");
      stored.push(...rows);
    });
    const results = await Promise.allSettled(["a", "bad", "c"].map((r) => b.add(r)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(stored.sort()).toEqual(["a", "c"]);
  });

  it("drain waits for every row added so far, and caps a statement at maxRows", async () => {
    const writes: number[] = [];
    const b = createBatcher<number>(async (rows) => {
      await new Promise((r) => setTimeout(r, 2));
      writes.push(rows.length);
    }, { maxRows: 4 });
    for (let i = 0; i < 10; i++) void b.add(i);
    await b.drain();
    expect(writes).toEqual([4, 4, 2]);
    expect(b.pending).toBe(0);
    await b.drain();
  });
});
