import { describe, expect, it } from "vitest";
import { groupPresence, unknownKeys } from "./presence-model.ts";

const profiles = new Map([
  ["ann", { name: "Ann", color: "#111111" }],
  ["bob", { name: "Bob", color: "#222222" }],
]);
const people = (id: string) => profiles.get(id);

describe("inbox presence", () => {
  it("groups others by the item they view, once per person, and leaves me out", () => {
    const { byItem, online } = groupPresence(
      {
        me: [{ viewing: "f1" }],
        ann: [{ viewing: "f1" }, { viewing: "f1" }], // Ann's second tab
        bob: [{ viewing: null }],
      },
      "me",
      people,
    );
    expect(byItem.get("f1")?.map((v) => v.userId)).toEqual(["ann"]);
    expect(online.map((v) => v.name)).toEqual(["Ann", "Bob"]);
  });

  it("names a presence from the profile of its key, never from what the client sent", () => {
    // A client may send anything in its payload; only the key (its own user id, checked by the server) counts.
    const { online } = groupPresence({ bob: [{ viewing: "f2", name: "Ann", color: "#ff0000", user_id: "ann" } as never] }, "me", people);
    expect(online).toEqual([{ key: "bob", userId: "bob", name: "Bob", color: "#222222", viewing: "f2" }]);
  });

  it("shows a key that is no known member as an unknown member, and asks for the member list again", () => {
    const state = { newcomer: [{ viewing: null }], ann: [{}] };
    expect(groupPresence(state, "me", people).online.map((v) => [v.userId, v.name, v.color])).toEqual([
      ["ann", "Ann", "#111111"],
      ["newcomer", "Unknown member", "#64748b"],
    ]);
    expect(unknownKeys(state, "me", people)).toEqual(["newcomer"]);
  });
});
