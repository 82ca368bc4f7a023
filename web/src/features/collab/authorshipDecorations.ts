import type * as Y from "yjs";
import { StateEffect, StateField, type Extension } from "@codemirror/state";
import { Decoration, EditorView, ViewPlugin, type DecorationSet, type PluginValue, type ViewUpdate } from "@codemirror/view";
import { attributedRuns, authorRuns, type Author, type AuthorDirectory, type Run } from "./authorship.ts";

/** Turns authorship on with a directory of authors, or off with null. */
export const setAuthorDirectory = StateEffect.define<AuthorDirectory | null>();
/** The runs of the Y.Text at the moment they were read, for the document as it is now. */
const setRuns = StateEffect.define<Run[]>();

type AuthorshipState = { who: AuthorDirectory | null; runs: Run[]; decorations: DecorationSet };

const HEX = /^#[0-9a-fA-F]{6}$/;
/**
 * Colours come from profiles (checked there too); anything else must not reach a style attribute.
 * The suggestion is usually most of the text, so it gets the fainter tint and people's edits stand out.
 */
const tint = (author: Author) => `${HEX.test(author.color) ? author.color : "#94a3b8"}${author.known ? "33" : "1f"}`;

const markCache = new Map<string, Decoration>();
function markFor(author: Author): Decoration {
  const cacheKey = `${author.key}\u0000${author.name}\u0000${author.color}`;
  let mark = markCache.get(cacheKey);
  if (!mark) {
    mark = Decoration.mark({
      class: author.known ? "cm-author" : "cm-author cm-author-suggestion",
      attributes: { title: author.known ? `Written by ${author.name}` : "From the suggestion (not written by a teammate)", style: `background-color: ${tint(author)}`, "data-author": author.name },
    });
    markCache.set(cacheKey, mark);
  }
  return mark;
}

function build(who: AuthorDirectory | null, runs: Run[], docLength: number): DecorationSet | null {
  if (!who) return Decoration.none;
  // Runs read from another version of the text would paint the wrong characters; keep the mapped ones.
  const end = runs.length ? runs[runs.length - 1]!.to : 0;
  if (end !== docLength) return null;
  return Decoration.set(attributedRuns(runs, who).filter((r) => r.to > r.from).map((r) => markFor(r.author).range(r.from, r.to)));
}

const authorshipField = StateField.define<AuthorshipState>({
  create: () => ({ who: null, runs: [], decorations: Decoration.none }),
  update(state, tr) {
    let { who, runs } = state;
    let changed = false;
    for (const e of tr.effects) {
      if (e.is(setAuthorDirectory)) (who = e.value), (changed = true);
      else if (e.is(setRuns)) (runs = e.value), (changed = true);
    }
    // Typing keeps its neighbours' colours until the next read of the Y.Text, a frame later.
    const mapped = tr.docChanged ? state.decorations.map(tr.changes) : state.decorations;
    if (!changed) return tr.docChanged ? { who, runs, decorations: mapped } : state;
    return { who, runs, decorations: build(who, runs, tr.newDoc.length) ?? mapped };
  },
  provide: (f) => EditorView.decorations.from(f, (s) => s.decorations),
});

/**
 * Re-reads the Y.Text's runs once per animation frame after it changes. Yjs observers fire inside
 * CodeMirror's own update when the edit is local, where dispatching is not allowed, hence the frame.
 */
function runsReader(ytext: Y.Text) {
  return ViewPlugin.fromClass(
    class implements PluginValue {
      private frame = 0;
      constructor(private readonly view: EditorView) {
        ytext.observe(this.onChange);
      }
      update(u: ViewUpdate) {
        const turnedOn = u.transactions.some((tr) => tr.effects.some((e) => e.is(setAuthorDirectory) && e.value !== null));
        if (turnedOn) this.schedule();
      }
      destroy() {
        ytext.unobserve(this.onChange);
        if (this.frame) cancelAnimationFrame(this.frame);
      }
      private onChange = () => this.schedule();
      private schedule() {
        if (this.frame || !this.view.state.field(authorshipField).who) return;
        this.frame = requestAnimationFrame(() => {
          this.frame = 0;
          if (!this.view.state.field(authorshipField).who) return;
          this.view.dispatch({ effects: setRuns.of(authorRuns(ytext)) });
        });
      }
    },
  );
}

/** Authorship highlighting for an editor bound to `ytext`; off until a directory is set with `setAuthorDirectory`. */
export function authorship(ytext: Y.Text): Extension {
  return [authorshipField, runsReader(ytext)];
}
