import { describe, expect, it } from "vitest";
import { isUuid } from "./ids.ts";

describe("isUuid", () => {
  it("accepts the ids rows have and refuses what a mangled link holds", () => {
    expect(isUuid("cccccccc-0000-4000-8000-000000000001")).toBe(true);
    expect(isUuid("9DC546AD-83BB-4E6A-85AC-EFC7C653982C")).toBe(true);
    expect(isUuid("not-an-id")).toBe(false);
    expect(isUuid("cccccccc-0000-4000-8000-00000000000")).toBe(false);
    expect(isUuid("cccccccc-0000-4000-8000-000000000001x")).toBe(false);
    expect(isUuid("")).toBe(false);
  });
});
