import { describe, expect, it } from "vitest";
import { MailStore } from "./catcher.ts";

describe("the mail catcher's store and Mailpit search", () => {
  it("lists newest first and finds by recipient, subject, flag or text, without case", () => {
    const box = new MailStore();
    const a = box.deliver({ to: "Ann@Example.com", subject: "Confirm Your Signup", text: "follow this link" });
    const b = box.deliver({ to: "bob@example.com", subject: "Your Magic Link", text: "sign in here" });
    expect(box.list().map((m) => m.ID)).toEqual([b.ID, a.ID]);
    expect(box.list('to:"ann@example.com"').map((m) => m.ID)).toEqual([a.ID]);
    expect(box.list("to:example.com subject:magic").map((m) => m.ID)).toEqual([b.ID]);
    expect(box.list('subject:"confirm your"').map((m) => m.ID)).toEqual([a.ID]);
    expect(box.list("SIGN").map((m) => m.ID)).toEqual([b.ID, a.ID]);
    a.Read = true;
    expect(box.list("is:unread").map((m) => m.ID)).toEqual([b.ID]);
    expect(box.get("latest")?.ID).toBe(b.ID);
    box.delete([b.ID]);
    expect(box.list().map((m) => m.ID)).toEqual([a.ID]);
    box.delete();
    expect(box.list()).toEqual([]);
  });
});
