// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { keyToAction } from "./keyboard.ts";

const ev = (key: string, target: Element = document.body, mods: Partial<KeyboardEvent> = {}) => ({ key, ctrlKey: false, metaKey: false, altKey: false, target, ...mods }) as unknown as KeyboardEvent;

describe("inbox shortcuts", () => {
  it("maps the triage keys", () => {
    expect(["j", "k", "Enter", "c", "l", "d", "x", "m", "n", "?", "/"].map((k) => keyToAction(ev(k)))).toEqual(["next", "prev", "open", "createCase", "label", "dismiss", "select", "claim", "newFeedback", "help", "search"]);
    expect(keyToAction(ev("ArrowDown"))).toBe("next");
    expect(keyToAction(ev("q"))).toBeNull();
  });

  it("leaves typing and browser shortcuts alone", () => {
    const input = document.createElement("input");
    expect(keyToAction(ev("j", input))).toBeNull();
    expect(keyToAction(ev("Escape", input))).toBe("escape");
    expect(keyToAction(ev("d", document.body, { ctrlKey: true }))).toBeNull();
  });

  it("yields to an open dialog", () => {
    const dialog = document.createElement("div");
    dialog.setAttribute("role", "dialog");
    const button = document.createElement("button");
    dialog.append(button);
    document.body.append(dialog);
    expect(keyToAction(ev("d", button))).toBeNull();
  });
});
