import { describe, expect, it } from "vitest";
import { mayDeleteComment, mayEditComment } from "./commentRules.ts";

const mine = { author_id: "me" };
const theirs = { author_id: "someone-else" };
const orphan = { author_id: null };

describe("comment rules", () => {
  it("authors edit their own comments while they may comment", () => {
    for (const role of ["admin", "curator", "reviewer"] as const) expect(mayEditComment(mine, "me", role)).toBe(true);
    expect(mayEditComment(mine, "me", "manager")).toBe(false);
    expect(mayEditComment(mine, "me", null)).toBe(false);
  });

  it("nobody edits someone else's comment, admins included", () => {
    for (const role of ["admin", "curator", "reviewer", "manager"] as const) {
      expect(mayEditComment(theirs, "me", role)).toBe(false);
      expect(mayEditComment(orphan, "me", role)).toBe(false);
    }
  });

  it("authors delete their own; admins delete any, a former member's too", () => {
    expect(mayDeleteComment(mine, "me", "reviewer")).toBe(true);
    expect(mayDeleteComment(mine, "me", "manager")).toBe(true);
    expect(mayDeleteComment(theirs, "me", "curator")).toBe(false);
    expect(mayDeleteComment(theirs, "me", "reviewer")).toBe(false);
    expect(mayDeleteComment(theirs, "me", "admin")).toBe(true);
    expect(mayDeleteComment(orphan, "me", "admin")).toBe(true);
    expect(mayDeleteComment(orphan, "me", "curator")).toBe(false);
  });

  it("a signed-out viewer (no user id) is offered nothing", () => {
    expect(mayEditComment({ author_id: "" }, "", "curator")).toBe(false);
    expect(mayDeleteComment({ author_id: "" }, "", "curator")).toBe(false);
  });
});
