import { useEffect, useRef } from "react";
import * as Y from "yjs";
import type { Awareness } from "y-protocols/awareness";
import { EditorState, Compartment } from "@codemirror/state";
import { EditorView, keymap, placeholder, drawSelection } from "@codemirror/view";
import { defaultKeymap } from "@codemirror/commands";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import type { AuthorDirectory } from "./authorship.ts";
import { authorship, setAuthorDirectory } from "./authorshipDecorations.ts";

type Props = {
  ytext: Y.Text;
  awareness: Awareness;
  editable: boolean;
  label: string;
  /** Colours each run of text by its author when set; null shows plain text. */
  authors?: AuthorDirectory | null;
};

/**
 * CodeMirror bound to the shared Y.Text: local edits become Yjs updates, remote ones arrive as
 * changes, and peers' cursors and selections are drawn with their names and colours. With `authors`,
 * each run of text is tinted in its author's colour (the colour of that person's cursor).
 */
export function AnswerEditor({ ytext, awareness, editable, label, authors = null }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const editableConf = useRef(new Compartment());

  useEffect(() => {
    const undoManager = new Y.UndoManager(ytext);
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: ytext.toString(),
        extensions: [
          keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
          drawSelection(),
          EditorView.lineWrapping,
          placeholder("The improved answer goes here…"),
          editableConf.current.of([EditorView.editable.of(editable), EditorState.readOnly.of(!editable)]),
          EditorView.contentAttributes.of({ "aria-label": label, "data-testid": "answer-editor" }),
          yCollab(ytext, awareness, { undoManager }),
          authorship(ytext),
        ],
      }),
    });
    view.current = v;
    // A rebuilt editor (another document) starts with the authorship already shown.
    if (authors) v.dispatch({ effects: setAuthorDirectory.of(authors) });
    return () => {
      v.destroy();
      undoManager.destroy();
      view.current = null;
    };
    // The editor is rebuilt only for another document; editability is reconfigured in place.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ytext, awareness]);

  useEffect(() => {
    view.current?.dispatch({ effects: editableConf.current.reconfigure([EditorView.editable.of(editable), EditorState.readOnly.of(!editable)]) });
  }, [editable]);

  useEffect(() => {
    view.current?.dispatch({ effects: setAuthorDirectory.of(authors) });
  }, [authors]);

  return <div className={`answer-editor ${editable ? "" : "is-readonly"}`} ref={host} />;
}
