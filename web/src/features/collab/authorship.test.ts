import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { attributedRuns, authorDirectory, authorRuns, clientOwners, legendOf, SUGGESTION_AUTHOR, unknownClients } from "./authorship.ts";
import { seedUpdate } from "./seed.ts";

/** A peer: its own Y.Doc with a fixed client id, synced with the others by exchanging full states. */
function peer(clientID: number) {
  const d = new Y.Doc();
  d.clientID = clientID;
  return d;
}
function sync(...docs: Y.Doc[]) {
  for (const a of docs) for (const b of docs) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
}
/** The text of each run, to read expectations at a glance. */
const slices = (t: Y.Text) => authorRuns(t).map((r) => [t.toString().slice(r.from, r.to), r.clientId] as const);

describe("authorRuns", () => {
  it("gives one run per author, merging one person's consecutive keystrokes", () => {
    const a = peer(1);
    const t = a.getText("answer");
    for (const ch of "Hello") t.insert(t.length, ch);
    expect(authorRuns(t)).toEqual([{ from: 0, to: 5, clientId: 1 }]);
  });

  it("splits where another person wrote in the middle, with offsets in the visible text", () => {
    const a = peer(1);
    const b = peer(2);
    a.getText("answer").insert(0, "Refunds take days.");
    sync(a, b);
    b.getText("answer").insert(13, "5 ");
    sync(a, b);
    const t = a.getText("answer");
    expect(t.toString()).toBe("Refunds take 5 days.");
    expect(slices(t)).toEqual([["Refunds take ", 1], ["5 ", 2], ["days.", 1]]);
    expect(authorRuns(t)).toEqual([
      { from: 0, to: 13, clientId: 1 },
      { from: 13, to: 15, clientId: 2 },
      { from: 15, to: 20, clientId: 1 },
    ]);
  });

  it("skips deleted text, so the runs on either side of a deletion join up", () => {
    const a = peer(1);
    const b = peer(2);
    a.getText("answer").insert(0, "one two");
    sync(a, b);
    b.getText("answer").insert(3, " and");
    sync(a, b);
    a.getText("answer").delete(3, 4);
    sync(a, b);
    expect(a.getText("answer").toString()).toBe("one two");
    expect(authorRuns(a.getText("answer"))).toEqual([{ from: 0, to: 7, clientId: 1 }]);
  });

  it("counts in UTF-16 code units, as CodeMirror does", () => {
    const a = peer(1);
    const b = peer(2);
    a.getText("answer").insert(0, "👍 ok");
    sync(a, b);
    b.getText("answer").insert(5, "!");
    sync(a, b);
    expect(authorRuns(b.getText("answer"))).toEqual([{ from: 0, to: 5, clientId: 1 }, { from: 5, to: 6, clientId: 2 }]);
  });

  it("is empty for an empty text and follows the seeded suggestion's own client id", () => {
    expect(authorRuns(new Y.Doc().getText("answer"))).toEqual([]);
    const d = peer(7);
    Y.applyUpdate(d, seedUpdate("case:1", "answer", "Seeded."));
    const [run] = authorRuns(d.getText("answer"));
    expect(run).toMatchObject({ from: 0, to: 7 });
    expect(run!.clientId).not.toBe(7);
  });
});

describe("who wrote what", () => {
  const members = new Map([
    ["u-carol", { name: "Carol", color: "#ef4444" }],
    ["u-adam", { name: "Adam", color: "#22c55e" }],
  ]);

  it("takes the first to register a client id as its owner", () => {
    const owners = clientOwners([
      { client_id: "11", author: "u-mallory", first_seen: "2026-01-02T10:00:05Z" },
      { client_id: 11, author: "u-carol", first_seen: "2026-01-02T10:00:00Z" },
      { client_id: 12, author: "u-adam", first_seen: "2026-01-02T10:01:00Z" },
    ]);
    expect([...owners]).toEqual([[11, "u-carol"], [12, "u-adam"]]);
  });

  it("names known people, merges one person's client ids, and calls the rest the suggestion", () => {
    const owners = new Map([[1, "u-carol"], [2, "u-adam"], [3, "u-carol"], [4, "u-left"]]);
    const who = authorDirectory(owners, members);
    expect(who(1)).toMatchObject({ name: "Carol", color: "#ef4444", known: true });
    expect(who(4)).toMatchObject({ name: "Former member", known: true });
    expect(who(99)).toBe(SUGGESTION_AUTHOR);

    const runs = [
      { from: 0, to: 4, clientId: 99 },
      { from: 4, to: 6, clientId: 1 },
      { from: 6, to: 9, clientId: 3 },
      { from: 9, to: 10, clientId: 2 },
    ];
    expect(attributedRuns(runs, who).map((r) => [r.from, r.to, r.author.name])).toEqual([
      [0, 4, "Suggestion"],
      [4, 9, "Carol"],
      [9, 10, "Adam"],
    ]);
    expect(legendOf(runs, who).map((e) => [e.author.name, e.chars])).toEqual([["Carol", 5], ["Suggestion", 4], ["Adam", 1]]);
    expect(unknownClients(runs, owners)).toEqual([99]);
  });

  it("updates live: a peer's new text shows up in the runs of the other side", () => {
    const carol = peer(1);
    const adam = peer(2);
    Y.applyUpdate(carol, seedUpdate("case:1", "answer", "Refunds take 5 days."));
    sync(carol, adam);
    const seen: string[] = [];
    const who = authorDirectory(new Map([[1, "u-carol"], [2, "u-adam"]]), members);
    carol.getText("answer").observe(() => seen.push(legendOf(authorRuns(carol.getText("answer")), who).map((e) => e.author.name).join(",")));
    adam.getText("answer").insert(0, "Hi. ");
    sync(carol, adam);
    carol.getText("answer").insert(carol.getText("answer").length, " Thanks!");
    expect(seen).toEqual(["Suggestion,Adam", "Suggestion,Carol,Adam"]);
  });
});
