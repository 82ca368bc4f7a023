import { describe, expect, it } from "vitest";
import { can } from "./permissions.ts";
import { summarize } from "../features/connection/state.ts";
import { clampRange, lastDays } from "../features/boards/range.ts";
import { toJsonlLine } from "../features/training/jsonl.ts";

describe("role-aware UI", () => {
  it("offers each role only what the server allows", () => {
    expect(can("reviewer", "case:decide")).toBe(false);
    expect(can("curator", "case:decide")).toBe(true);
    expect(can("manager", "feedback:write")).toBe(false);
    expect(can("manager", "usage:read")).toBe(true);
    expect(can("curator", "job:start")).toBe(false);
    expect(can("admin", "job:start")).toBe(true);
    expect(can(null, "org:read")).toBe(false);
    expect(["admin", "curator", "reviewer", "manager"].map((r) => can(r as "admin", "feedback:write"))).toEqual([true, true, true, false]);
  });
});

describe("connection summary", () => {
  it("says what is going on", () => {
    expect(summarize(true, "connected", 0).label).toBe("Live");
    expect(summarize(true, "connecting", 1).label).toBe("Reconnecting… · edits pending in 1 document");
    // Before the socket was ever up, a page that just loaded is connecting, not reconnecting.
    expect(summarize(true, "connecting", 0, false).label).toBe("Connecting…");
    expect(summarize(false, "disconnected", 2)).toMatchObject({ tone: "bad", label: "Offline · edits pending in 2 documents" });
  });
});

describe("board ranges", () => {
  it("builds and clamps ranges", () => {
    expect(lastDays(7, new Date("2026-03-10T15:00:00Z"))).toEqual({ from: "2026-03-04", to: "2026-03-10" });
    expect(clampRange({ from: "2026-03-10", to: "2026-03-01" })).toEqual({ from: "2026-03-01", to: "2026-03-10" });
    expect(clampRange({ from: "2024-01-01", to: "2026-01-01" }).from).toBe("2024-12-31");
  });
});

describe("training export", () => {
  it("writes one chat example per line", () => {
    const line = toJsonlLine({ query: "Q\n1", answer: "A", tags: ["t"] });
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({ messages: [{ role: "user", content: "Q\n1" }, { role: "assistant", content: "A" }], tags: ["t"] });
  });
});
