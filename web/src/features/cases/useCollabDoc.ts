import { useEffect, useState } from "react";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { SupabaseYjsProvider, type ProviderStatus } from "@review/shared/yjs/index";
import { supabase } from "../../lib/supabase.ts";
import { useConnection } from "../connection/state.ts";
import { seedUpdate } from "./seed.ts";

export type Participant = { clientId: number; userId: string; name: string; color: string; isMe: boolean };
export type CollabUser = { userId: string; name: string; color: string };
export type CollabSession = { doc: Y.Doc; ytext: Y.Text; awareness: Awareness; provider: SupabaseYjsProvider };

type Options = {
  /** Document id in doc_updates (`case:<id>`, `prompt:<id>`); its private Realtime topic is `doc:<id>`. */
  docId: string;
  field: string;
  me: CollabUser;
  /** Text to start from when the document was never edited (only editors seed). */
  initialText: string;
  editable: boolean;
};

/**
 * A Y.Doc synced over the document's private channel, with awareness carrying who is here (name and
 * colour for the remote cursors). Reports unsaved local edits to the connection badge.
 */
export function useCollabDoc({ docId, field, me, initialText, editable }: Options) {
  const [session, setSession] = useState<CollabSession | null>(null);
  const [status, setStatus] = useState<ProviderStatus>("connecting");
  const [synced, setSynced] = useState(false);
  const [participants, setParticipants] = useState<Participant[]>([]);
  const setPending = useConnection((s) => s.setPending);

  useEffect(() => {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    const provider = new SupabaseYjsProvider(doc, supabase as never, { id: docId, awareness, connect: false });
    const ytext = doc.getText(field);
    // The provider clears its in-flight marker after emitting "persisted", so look on the next tick.
    const report = () => setTimeout(() => setPending(docId, provider.hasUnpersisted ? 1 : 0), 0);
    const onUpdate = () => report();
    const onAwareness = () => {
      const list: Participant[] = [];
      awareness.getStates().forEach((state, clientId) => {
        const u = (state as { user?: { name: string; color: string; userId: string } }).user;
        if (u) list.push({ clientId, userId: u.userId, name: u.name, color: u.color, isMe: clientId === doc.clientID });
      });
      setParticipants(list);
    };
    provider.on("status", ({ status }) => setStatus(status));
    provider.on("synced", () => setSynced(true));
    provider.on("persisted", report);
    provider.on("error", report);
    doc.on("update", onUpdate);
    awareness.on("change", onAwareness);
    setSession({ doc, ytext, awareness, provider });
    provider.connect();
    return () => {
      doc.off("update", onUpdate);
      awareness.off("change", onAwareness);
      setSession(null);
      setSynced(false);
      // Leaving the room must not lose edits: store what is pending, then let go of the document.
      void provider.whenPersisted().finally(() => {
        setPending(docId, 0);
        provider.destroy();
        doc.destroy();
      });
    };
  }, [docId, field, setPending]);

  useEffect(() => {
    session?.awareness.setLocalStateField("user", { name: me.name, color: me.color, colorLight: `${me.color}33`, userId: me.userId });
  }, [session, me.name, me.color, me.userId]);

  // An editor who finds the document empty starts it from the case's stored answer.
  useEffect(() => {
    if (!session || !synced || !editable || session.ytext.length > 0 || !initialText) return;
    Y.applyUpdate(session.doc, seedUpdate(docId, field, initialText), "seed");
  }, [session, synced, editable, initialText, docId, field]);

  return { session, status, synced, participants };
}
