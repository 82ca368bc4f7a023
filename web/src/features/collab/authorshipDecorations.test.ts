import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { yCollab } from "y-codemirror.next";
import { authorDirectory } from "./authorship.ts";
import { authorship, setAuthorDirectory } from "./authorshipDecorations.ts";

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
const members = new Map([["u-carol", { name: "Carol", color: "#ef4444" }], ["u-adam", { name: "Adam", color: "#22c55e" }]]);
const who = authorDirectory(new Map([[1, "u-carol"], [2, "u-adam"]]), members);

let views: EditorView[] = [];
afterEach(() => {
  for (const v of views) v.destroy();
  views = [];
});

function editorFor(doc: Y.Doc) {
  const ytext = doc.getText("answer");
  const view = new EditorView({
    parent: document.body.appendChild(document.createElement("div")),
    state: EditorState.create({ doc: ytext.toString(), extensions: [yCollab(ytext, new Awareness(doc)), authorship(ytext)] }),
  });
  views.push(view);
  return view;
}

/** Each tinted span's text and tooltip, in document order. */
const marks = (view: EditorView) => [...view.contentDOM.querySelectorAll(".cm-author")].map((el) => [el.textContent, el.getAttribute("title")]);

describe("authorship decorations", () => {
  it("paints nothing until turned on, then each author's text with their name, and follows remote edits", async () => {
    const carol = new Y.Doc();
    carol.clientID = 1;
    const adam = new Y.Doc();
    adam.clientID = 2;
    carol.getText("answer").insert(0, "Refunds take days.");
    Y.applyUpdate(adam, Y.encodeStateAsUpdate(carol));
    const view = editorFor(carol);
    await frame();
    expect(marks(view)).toEqual([]);

    view.dispatch({ effects: setAuthorDirectory.of(who) });
    await frame();
    expect(marks(view)).toEqual([["Refunds take days.", "Written by Carol"]]);

    // Adam types in his own document; the update reaches Carol's as it would over the channel.
    adam.on("update", (u: Uint8Array) => Y.applyUpdate(carol, u));
    adam.getText("answer").insert(13, "5 ");
    await frame();
    expect(view.state.doc.toString()).toBe("Refunds take 5 days.");
    expect(marks(view)).toEqual([["Refunds take ", "Written by Carol"], ["5 ", "Written by Adam"], ["days.", "Written by Carol"]]);

    view.dispatch({ effects: setAuthorDirectory.of(null) });
    expect(marks(view)).toEqual([]);
  });

  it("shows text from an unregistered client as the suggestion", async () => {
    const d = new Y.Doc();
    d.clientID = 42;
    d.getText("answer").insert(0, "Drafted.");
    const view = editorFor(d);
    view.dispatch({ effects: setAuthorDirectory.of(who) });
    await frame();
    const el = view.contentDOM.querySelector(".cm-author-suggestion");
    expect(el?.textContent).toBe("Drafted.");
    expect(el?.getAttribute("data-author")).toBe("Suggestion");
  });
});
