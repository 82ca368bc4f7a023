import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { datasetDocFields, datasetDocVersion, datasetFieldName, datasetFieldText, hasDatasetField, parseDatasetFieldName } from "./dataset.ts";

const ITEM = "4b1c0a52-0000-4000-8000-000000000001";
const OTHER = "4b1c0a52-0000-4000-8000-000000000002";

describe("a dataset draft's document", () => {
  it("names one text per item and field, and knows no other names", () => {
    expect(datasetFieldName(ITEM, "expected")).toBe(`item:${ITEM}:expected`);
    expect(parseDatasetFieldName(`item:${ITEM}:expected`)).toEqual({ itemId: ITEM, field: "expected" });
    for (const bad of [`item:${ITEM}:metadata`, `item:nope:query`, `item:${ITEM}:query:x`, "answer", `case:${ITEM}`]) {
      expect(parseDatasetFieldName(bad), bad).toBeNull();
    }
    expect(datasetDocVersion(`dataset:${ITEM}`)).toBe(ITEM);
    expect(datasetDocVersion(`prompt:${ITEM}`)).toBeNull();
    expect(datasetDocVersion(`dataset:${ITEM}:x`)).toBeNull();
  });

  it("holds only the fields someone wrote; the rest still live in their rows", () => {
    const a = new Y.Doc();
    a.getText(datasetFieldName(ITEM, "expected")).insert(0, "Refunds take 5 days.");
    // What another editor loads: the field exists there without anyone asking for it.
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(hasDatasetField(b, ITEM, "expected")).toBe(true);
    expect(hasDatasetField(b, ITEM, "query")).toBe(false);
    expect(datasetFieldText(b, ITEM, "query")).toBeUndefined();
    expect(hasDatasetField(b, ITEM, "query")).toBe(false);
    expect(datasetFieldText(b, ITEM, "expected")).toBe("Refunds take 5 days.");
    b.getText("unrelated").insert(0, "x");
    expect(datasetDocFields(b)).toEqual([{ item: ITEM, field: "expected", text: "Refunds take 5 days." }]);
  });

  it("two editors starting the same field at once write into one text", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    a.getText(datasetFieldName(OTHER, "context")).insert(0, "A");
    b.getText(datasetFieldName(OTHER, "context")).insert(0, "B");
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    const [fa] = datasetDocFields(a);
    expect(fa!.text.length).toBe(2);
    expect(datasetDocFields(b)).toEqual(datasetDocFields(a));
  });

  it("skips a type of another kind written under a field's name", () => {
    const a = new Y.Doc();
    a.getMap(datasetFieldName(ITEM, "query")).set("x", 1);
    a.getText(datasetFieldName(ITEM, "expected")).insert(0, "ok");
    expect(datasetDocFields(a)).toEqual([{ item: ITEM, field: "expected", text: "ok" }]);
  });
});
