import { describe, expect, it } from "vitest";
import { ChangeBuffer, createLiveSync, type LiveChange } from "./live-buffer.ts";
import { instantMicros, isOlder } from "./row-version.ts";

const at = (second: number, micros = 0) => `2026-01-01T00:00:${String(second).padStart(2, "0")}.${String(micros).padStart(6, "0")}+00:00`;
const upsert = (id: string, updated_at: string, extra: Record<string, unknown> = {}, eventType: "INSERT" | "UPDATE" = "UPDATE"): LiveChange => ({ eventType, new: { id, updated_at, ...extra }, old: {} });
const del = (id: string): LiveChange => ({ eventType: "DELETE", new: {}, old: { id } });
const summary = (changes: LiveChange[]) => changes.map((c) => (c.eventType === "DELETE" ? `-${(c.old as { id: string }).id}` : `${(c.new as { id: string; v?: number }).id}${(c.new as { v?: number }).v ?? ""}`));

describe("row versions", () => {
  it("reads REST and Realtime renderings of one instant alike, to the microsecond", () => {
    expect(instantMicros("2026-01-01T00:00:01.123456+00:00")).toBe(instantMicros("2026-01-01 00:00:01.123456+00"));
    expect(instantMicros("2026-01-01T02:00:01.5+02:00")).toBe(instantMicros("2026-01-01T00:00:01.500000Z"));
    expect(instantMicros("2026-01-01T00:00:01+0000")).toBe(instantMicros("2026-01-01T00:00:01Z"));
    expect(instantMicros("2026-01-01T00:00:01.000002Z")! - instantMicros("2026-01-01T00:00:01.000001Z")!).toBe(1);
    expect(instantMicros("yesterday")).toBeNull();
    expect(instantMicros(undefined)).toBeNull();
  });

  it("calls a state older only when both versions are known and strictly ordered", () => {
    expect(isOlder({ updated_at: at(1, 1) }, { updated_at: at(1, 2) })).toBe(true);
    expect(isOlder({ updated_at: at(1, 2) }, { updated_at: at(1, 2) })).toBe(false);
    expect(isOlder({ updated_at: at(2) }, { updated_at: at(1) })).toBe(false);
    expect(isOlder({}, { updated_at: at(1) })).toBe(false);
  });
});

describe("change buffer", () => {
  it("keeps the newest state of each row", () => {
    const b = new ChangeBuffer();
    b.add(upsert("a", at(1), { v: 1 }, "INSERT"));
    b.add(upsert("b", at(1), { v: 1 }));
    b.add(upsert("a", at(3), { v: 3 }));
    b.add(upsert("a", at(2), { v: 2 })); // late and older: ignored
    expect(b.size).toBe(2);
    expect(summary(b.take())).toEqual(["a3", "b1"]);
    expect(b.size).toBe(0);
  });

  it("lets the later arrival win a tie, and a delete win for good", () => {
    const b = new ChangeBuffer();
    b.add(upsert("a", at(1), { v: 1 }));
    b.add(upsert("a", at(1), { v: 2 }));
    expect(summary(b.take())).toEqual(["a2"]);
    b.add(upsert("a", at(1), { v: 1 }));
    b.add(del("a"));
    b.add(upsert("a", at(9), { v: 9 }));
    expect(summary(b.take())).toEqual(["-a"]);
  });
});

describe("live sync", () => {
  const setup = () => {
    const applied: LiveChange[] = [];
    let fetching = false;
    const sync = createLiveSync({ apply: (c) => applied.push(c), isFetching: () => fetching });
    return { sync, applied, setFetching: (f: boolean) => (fetching = f) };
  };

  it("applies changes at once and keeps nothing when no fetch is in flight", () => {
    const { sync, applied } = setup();
    sync.receive(upsert("a", at(1)));
    expect(applied).toHaveLength(1);
    expect(sync.pending).toBe(0);
    sync.settle();
    expect(applied).toHaveLength(1);
  });

  it("replays what arrived during a fetch once it has landed, newest state per row", () => {
    const { sync, applied, setFetching } = setup();
    setFetching(true);
    sync.receive(upsert("a", at(1), { v: 1 }, "INSERT"));
    sync.receive(upsert("a", at(2), { v: 2 }));
    sync.receive(upsert("b", at(2), { v: 1 }, "INSERT"));
    expect(summary(applied)).toEqual(["a1", "a2", "b1"]); // applied at once where a cache exists
    sync.settle(); // still fetching: nothing yet
    expect(applied).toHaveLength(3);
    setFetching(false);
    sync.settle();
    expect(summary(applied.slice(3))).toEqual(["a2", "b1"]);
    expect(sync.pending).toBe(0);
    sync.settle();
    expect(applied).toHaveLength(5);
  });

  it("ends a due replay at a change that arrived after the fetch landed", () => {
    // The fetch lands, a newer change arrives before the cache listener runs, then the replay runs:
    // it must not put the row back to the state buffered during the fetch.
    const { sync, applied, setFetching } = setup();
    setFetching(true);
    sync.receive(upsert("a", at(1), { v: 1 }));
    setFetching(false);
    sync.receive(upsert("a", at(2), { v: 2 }));
    sync.settle();
    expect(summary(applied)).toEqual(["a1", "a2", "a2"]);
  });

  it("replays a delete that arrived during a fetch", () => {
    const { sync, applied, setFetching } = setup();
    setFetching(true);
    sync.receive(del("a"));
    setFetching(false);
    sync.settle();
    expect(summary(applied)).toEqual(["-a", "-a"]);
  });
});
