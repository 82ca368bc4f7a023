/**
 * The collaborative editor: a Y.Doc on a private Realtime channel (useCollabDoc), the CodeMirror editor
 * with peers' cursors (AnswerEditor), authorship (who wrote which run, with its legend) and the diff
 * view. Case rooms, prompt candidates and dataset drafts edit through it.
 */
export { AnswerEditor } from "./AnswerEditor.tsx";
export { AuthorshipLegend, AuthorshipToggle, useShowAuthorship } from "./AuthorshipLegend.tsx";
export { DiffView } from "./DiffView.tsx";
export { RoomPresence } from "./RoomPresence.tsx";
export { replaceText, seedUpdate } from "./seed.ts";
export { useAuthorship } from "./useAuthorship.ts";
export { useCollabDoc, useCollabRoom, type CollabRoom, type Participant } from "./useCollabDoc.ts";
export { useYText } from "./useYText.ts";
