import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { docFromLoaded, docTextField, tailExceeds, type LoadedDoc } from "./persistence.ts";

const update = (text: string) => {
  const d = new Y.Doc();
  d.getText("answer").insert(0, text);
  return Y.encodeStateAsUpdate(d);
};
const loaded = (n: number, bytes = 1): LoadedDoc => ({ snapshot: null, updates: Array.from({ length: n }, (_, i) => ({ id: i + 1, data: new Uint8Array(bytes) })) });

describe("document upkeep rules", () => {
  it("folds a tail only past either bound", () => {
    const bounds = { maxTailUpdates: 3, maxTailBytes: 100 };
    expect(tailExceeds(loaded(3, 10), bounds)).toBe(false);
    expect(tailExceeds(loaded(4, 10), bounds)).toBe(true);
    expect(tailExceeds(loaded(2, 60), bounds)).toBe(true);
    expect(tailExceeds(loaded(0), bounds)).toBe(false);
  });

  it("knows which text each kind of document holds, and nothing for other ids", () => {
    expect(docTextField("case:4b1c0a52-0000-4000-8000-000000000001")).toBe("answer");
    expect(docTextField("prompt:4b1c0a52-0000-4000-8000-000000000001")).toBe("template");
    expect(docTextField("constructor:x")).toBeNull();
    expect(docTextField("x")).toBeNull();
  });

  it("skips a stored row that is not a Yjs update and reports it, keeping the rest", () => {
    const good = update("Refunds take 5 days.");
    const { doc, skipped } = docFromLoaded({ snapshot: null, updates: [{ id: 1, data: new Uint8Array([1, 2, 255]) }, { id: 2, data: good }] });
    expect(skipped).toEqual([1]);
    expect(doc.getText("answer").toString()).toBe("Refunds take 5 days.");
  });
});
