import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from "y-protocols/awareness";
import { displayAwareness } from "./displayAwareness.ts";

/** A peer whose client writes whatever it likes into its awareness state. */
function peerState(user: unknown): { doc: Y.Doc; update: Uint8Array } {
  const doc = new Y.Doc();
  const a = new Awareness(doc);
  a.setLocalState({ user, cursor: { anchor: 1, head: 1 } });
  const update = encodeAwarenessUpdate(a, [doc.clientID]);
  a.destroy();
  return { doc, update };
}

describe("cursor names", () => {
  it("come from the profile of the user a peer is present as, not from the peer's awareness state", () => {
    const mine = new Awareness(new Y.Doc());
    const liar = peerState({ name: "The CEO", color: "red; background-image: url(https://evil.example)" });
    const stranger = peerState({ name: "Also the CEO", color: "#000000" });
    applyAwarenessUpdate(mine, liar.update, "remote");
    applyAwarenessUpdate(mine, stranger.update, "remote");
    const profiles = new Map([[liar.doc.clientID, { name: "Bob Reviewer", color: "#22aa22" }]]);
    const { awareness, refresh } = displayAwareness(mine, (id) => profiles.get(id));
    const users = () => Object.fromEntries([...awareness.getStates()].map(([id, s]) => [id, (s as { user?: unknown }).user]));
    expect(users()[liar.doc.clientID]).toEqual({ name: "Bob Reviewer", color: "#22aa22", colorLight: "#22aa2233" });
    expect(users()[stranger.doc.clientID]).toEqual({ name: "Unknown member", color: "#64748b", colorLight: "#64748b33" });
    // The cursor itself passes through, and so does our own state.
    expect((awareness.getStates().get(liar.doc.clientID) as { cursor: unknown }).cursor).toEqual({ anchor: 1, head: 1 });
    mine.setLocalStateField("cursor", { anchor: 3, head: 4 });
    expect(awareness.getLocalState()).toEqual({ cursor: { anchor: 3, head: 4 } });

    // A colour that is not a plain hex colour never reaches the style attribute.
    profiles.set(stranger.doc.clientID, { name: "Sam", color: "red; x: y" });
    const changes: number[][] = [];
    awareness.on("change", ({ updated }: { updated: number[] }) => changes.push(updated));
    refresh();
    expect(changes.at(-1)?.sort()).toEqual([liar.doc.clientID, stranger.doc.clientID].sort());
    expect(users()[stranger.doc.clientID]).toEqual({ name: "Sam", color: "#64748b", colorLight: "#64748b33" });
  });
});
