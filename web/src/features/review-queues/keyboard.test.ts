import { describe, expect, it } from "vitest";
import type { Rubric } from "@review/shared/review/report";
import { valueForDigit, workKey } from "./keyboard.ts";

const key = (k: string, tagName = "BODY") => workKey({ key: k, ctrlKey: false, metaKey: false, altKey: false, target: { tagName, isContentEditable: false, closest: () => null } as unknown as EventTarget });

describe("review work view keys", () => {
  it("maps digits, j/k and Enter, and stays out of the way while typing", () => {
    expect(key("3")).toEqual({ type: "digit", digit: 3 });
    expect(key("j")).toEqual({ type: "next" });
    expect(key("k")).toEqual({ type: "prev" });
    expect(key("Enter")).toEqual({ type: "submit" });
    expect(key("3", "TEXTAREA")).toBeNull();
  });
  it("turns a digit into the rubric's value", () => {
    const ordinal: Rubric = { id: "o", name: "o", version: 1, kind: "ordinal", levels: [{ value: 1, label: "a" }, { value: 2, label: "b" }] };
    expect(valueForDigit(ordinal, 2, undefined)).toBe(2);
    expect(valueForDigit(ordinal, 7, undefined)).toBeUndefined();
    expect(valueForDigit({ id: "b", name: "b", version: 1, kind: "boolean" }, 2, undefined)).toBe(false);
    expect(valueForDigit({ id: "n", name: "n", version: 1, kind: "numeric", min_value: 0, max_value: 10, step: 1 }, 0, undefined)).toBe(0);
    const multi: Rubric = { id: "c", name: "c", version: 1, kind: "categorical", categories: ["x", "y"], multi: true };
    expect(valueForDigit(multi, 2, ["x"])).toEqual(["x", "y"]);
    expect(valueForDigit(multi, 1, ["x", "y"])).toEqual(["y"]);
    expect(valueForDigit({ id: "p", name: "p", version: 1, kind: "preference" }, 3, undefined)).toBe("tie");
  });
});
