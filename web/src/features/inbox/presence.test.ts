import { describe, expect, it } from "vitest";
import { groupPresence } from "./presence-model.ts";

describe("inbox presence", () => {
  it("groups others by the item they view, once per person, and leaves me out", () => {
    const { byItem, online } = groupPresence(
      {
        k1: [{ user_id: "me", name: "Me", color: "#000", viewing: "f1" }],
        k2: [{ user_id: "ann", name: "Ann", color: "#111", viewing: "f1" }],
        k3: [{ user_id: "ann", name: "Ann", color: "#111", viewing: "f1" }], // Ann's second tab
        k4: [{ user_id: "bob", name: "Bob", color: "#222", viewing: null }],
      },
      "me",
    );
    expect(byItem.get("f1")?.map((v) => v.userId)).toEqual(["ann"]);
    expect(online.map((v) => v.name)).toEqual(["Ann", "Bob"]);
  });
});
