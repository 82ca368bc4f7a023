import { useEffect, useMemo, useRef, useState } from "react";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { DEFAULT_SEND_WINDOW_MS, SupabaseYjsProvider, localStorageUnsent, type ProviderStatus } from "@review/shared/yjs/index";
import { supabase } from "../../lib/supabase.ts";
import { useConnection } from "../connection/index.ts";
import { useCurrentOrg, useMembers } from "../orgs/index.ts";
import { displayAwareness } from "./displayAwareness.ts";
import { seedUpdate } from "./seed.ts";

export type Participant = { clientId: number; userId: string; name: string; color: string; isMe: boolean };
export type CollabUser = { userId: string; name: string; color: string };
/** `awareness` is what the editor draws cursors from: peers named from their profiles (displayAwareness). */
export type CollabRoom = { doc: Y.Doc; awareness: Awareness; provider: SupabaseYjsProvider };
export type CollabSession = CollabRoom & { ytext: Y.Text };

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
 * The co-editing send window (SPEC Y3): a team that prefers latency to cost builds the app with
 * VITE_COEDIT_SEND_WINDOW_MS=0 (every keystroke at once, about twice the Realtime messages of the
 * default and five times as many when typing fast) or anything between; the default keeps a typing
 * editor under 4 messages a second on hosted Realtime.
 */
export function coeditSendWindowMs(raw: unknown = import.meta.env.VITE_COEDIT_SEND_WINDOW_MS): number {
  const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : typeof raw === "number" ? raw : NaN;
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_SEND_WINDOW_MS;
}

/**
 * A Y.Doc synced over the document's private channel. Who is here, and whose cursor is whose, comes from
 * Realtime presence: each client is present under its user's id (the server admits no other key) with
 * its Yjs client id, and names and colours are that user's profile. Reports unsaved local edits to the
 * connection badge. useCollabDoc binds one text of it; a dataset draft's page binds many.
 */
export function useCollabRoom({ docId, me }: { docId: string; me: CollabUser }) {
  const [session, setSession] = useState<CollabRoom | null>(null);
  const [status, setStatus] = useState<ProviderStatus>("connecting");
  const [synced, setSynced] = useState(false);
  const [participants, setParticipants] = useState<Participant[]>([]);
  const setPending = useConnection((s) => s.setPending);
  const { byId: members } = useMembers(useCurrentOrg().org_id);
  const membersRef = useRef(members);
  membersRef.current = members;
  const refreshNames = useRef<() => void>(() => undefined);

  useEffect(() => {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    // Edits not stored when the page goes are kept in this browser, for this user, until the next visit stores them.
    const unsent = me.userId ? localStorageUnsent(`review:unsent:${me.userId}:${docId}`) : undefined;
    const provider = new SupabaseYjsProvider(doc, supabase as never, {
      id: docId,
      awareness,
      connect: false,
      sendWindowMs: coeditSendWindowMs(),
      ...(unsent ? { unsent } : {}),
      ...(me.userId ? { userId: me.userId } : {}),
    });
    const person = (clientId: number) => {
      const userId = provider.userOf(clientId);
      const m = userId ? membersRef.current.get(userId) : undefined;
      return m ? { name: m.name, color: m.color } : undefined;
    };
    const display = displayAwareness(awareness, person);
    // The provider clears its in-flight marker after emitting "persisted", so look on the next tick.
    const report = () => setTimeout(() => setPending(docId, provider.hasUnpersisted ? 1 : 0), 0);
    const onUpdate = () => report();
    const onPeople = () => {
      const list: Participant[] = [];
      awareness.getStates().forEach((_state, clientId) => {
        const userId = provider.userOf(clientId);
        if (!userId) return; // not present (yet), or a client id two users claim
        const p = person(clientId) ?? { name: "Unknown member", color: "#64748b" };
        list.push({ clientId, userId, name: p.name, color: p.color, isMe: clientId === doc.clientID });
      });
      setParticipants(list);
    };
    const onPeers = () => {
      onPeople();
      display.refresh();
    };
    refreshNames.current = onPeers;
    provider.on("status", ({ status }) => setStatus(status));
    provider.on("synced", () => setSynced(true));
    provider.on("persisted", report);
    provider.on("error", report);
    provider.on("peers", onPeers);
    doc.on("update", onUpdate);
    awareness.on("change", onPeople);
    setSession({ doc, awareness: display.awareness, provider });
    provider.connect();
    // The page may go without unmounting us: send what waits for the send window, and keep what is not stored.
    const onHide = () => provider.flush();
    const onVisibility = () => document.visibilityState === "hidden" && provider.flush();
    window.addEventListener("pagehide", onHide);
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      window.removeEventListener("pagehide", onHide);
      document.removeEventListener("visibilitychange", onVisibility);
      provider.flush();
      refreshNames.current = () => undefined;
      doc.off("update", onUpdate);
      awareness.off("change", onPeople);
      setSession(null);
      setSynced(false);
      // Leaving the room must not lose edits: store what is pending, then let go of the document.
      void provider.whenPersisted().finally(() => {
        setPending(docId, 0);
        provider.destroy();
        doc.destroy();
      });
    };
  }, [docId, setPending, me.userId]);

  // Profiles arrived or changed: rename the people and cursors already shown.
  useEffect(() => refreshNames.current(), [members]);

  return { session, status, synced, participants };
}

/** A Y.Doc synced over the document's private channel (useCollabRoom), with its one text `field`. */
export function useCollabDoc({ docId, field, me, initialText, editable }: Options) {
  const { session: room, status, synced, participants } = useCollabRoom({ docId, me });
  const session = useMemo<CollabSession | null>(() => (room ? { ...room, ytext: room.doc.getText(field) } : null), [room, field]);

  // A document nobody has edited yet starts from the case's stored answer. An editor seeds it for
  // everyone (stored and sent); a reader alone in the room shows the same seed locally, marked as the
  // provider's own (neither stored nor sent): it is byte-identical to what the first editor will write,
  // so nothing is doubled when that arrives.
  useEffect(() => {
    if (!session || !synced || session.ytext.length > 0 || !initialText) return;
    Y.applyUpdate(session.doc, seedUpdate(docId, field, initialText), editable ? "seed" : session.provider);
  }, [session, synced, editable, initialText, docId, field]);

  return { session, status, synced, participants };
}
