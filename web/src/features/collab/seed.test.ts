import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { replaceText, seedUpdate } from "./seed.ts";
import { authorRuns } from "./authorship.ts";

describe("case document seeding", () => {
  it("two editors seeding the same empty document at once keep the text once", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    Y.applyUpdate(a, seedUpdate("case:1", "answer", "Refunds take 5 days."));
    Y.applyUpdate(b, seedUpdate("case:1", "answer", "Refunds take 5 days."));
    a.getText("answer").insert(0, "Hi. ");
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    expect(a.getText("answer").toString()).toBe("Hi. Refunds take 5 days.");
    expect(b.getText("answer").toString()).toBe(a.getText("answer").toString());
  });

  it("different seed texts never share item ids", () => {
    const a = new Y.Doc();
    Y.applyUpdate(a, seedUpdate("case:1", "answer", "one"));
    Y.applyUpdate(a, seedUpdate("case:1", "answer", "two"));
    expect(a.getText("answer").toString().length).toBe(6);
  });

  it("two fields of one document seeded with the same text each keep it (a dataset draft's repeated contexts)", () => {
    const d = new Y.Doc();
    Y.applyUpdate(d, seedUpdate("dataset:1", "item:a:context", "Policy: refunds within 14 days."));
    Y.applyUpdate(d, seedUpdate("dataset:1", "item:b:context", "Policy: refunds within 14 days."));
    expect(d.getText("item:a:context").toString()).toBe("Policy: refunds within 14 days.");
    expect(d.getText("item:b:context").toString()).toBe("Policy: refunds within 14 days.");
  });

  it("replaces the whole text in one transaction", () => {
    const d = new Y.Doc();
    const t = d.getText("answer");
    t.insert(0, "old");
    let transactions = 0;
    d.on("afterTransaction", () => transactions++);
    replaceText(t, "new text", "regenerate");
    expect(t.toString()).toBe("new text");
    expect(transactions).toBe(1);
  });

  it("writes the regenerated text as the suggestion's, not as the clicking curator's", () => {
    const d = new Y.Doc();
    const t = d.getText("answer");
    t.insert(0, "the curator's words");
    const origins: unknown[] = [];
    d.on("update", (_u: Uint8Array, origin: unknown) => origins.push(origin));
    replaceText(t, "regenerated", "regenerate");
    expect(origins).toEqual(["regenerate"]);
    const writers = authorRuns(t).map((r) => r.clientId);
    expect(writers).toHaveLength(1);
    expect(writers[0]).not.toBe(d.clientID);
    // The curator keeps typing with their own client after it.
    t.insert(t.length, "!");
    expect(authorRuns(t).map((r) => r.clientId)).toEqual([writers[0], d.clientID]);
  });
});
