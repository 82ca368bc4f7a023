import { create } from "zustand";

export type SocketState = "connected" | "connecting" | "disconnected";

type ConnectionState = {
  online: boolean;
  socket: SocketState;
  /** Whether the Realtime socket has been up since the page loaded: before that it is connecting, not reconnecting. */
  connectedOnce: boolean;
  /** Co-edited documents with local edits not yet stored, by document id. */
  pending: Record<string, number>;
  setPending(docId: string, n: number): void;
};

export const useConnection = create<ConnectionState>((set) => ({
  online: typeof navigator === "undefined" ? true : navigator.onLine,
  socket: "connecting",
  connectedOnce: false,
  pending: {},
  setPending: (docId, n) =>
    set((s) => {
      if ((s.pending[docId] ?? 0) === n) return s;
      const pending = { ...s.pending };
      if (n) pending[docId] = n;
      else delete pending[docId];
      return { pending };
    }),
}));

export type ConnectionSummary = { tone: "good" | "warn" | "bad"; label: string; detail: string };

/** What the header says about the connection; pure so every combination is tested. */
export function summarize(online: boolean, socket: SocketState, pendingDocs: number, connectedOnce = true): ConnectionSummary {
  const pending = pendingDocs ? ` · edits pending in ${pendingDocs} document${pendingDocs > 1 ? "s" : ""}` : "";
  if (!online) return { tone: "bad", label: `Offline${pending}`, detail: "Changes you make to documents are kept and sent when you are back online." };
  if (socket === "connected") {
    return pendingDocs
      ? { tone: "warn", label: `Saving${pending}`, detail: "Connected; your latest edits are being stored." }
      : { tone: "good", label: "Live", detail: "Connected: updates from your team appear as they happen." };
  }
  if (!connectedOnce) return { tone: "warn", label: `Connecting…${pending}`, detail: "Opening the live connection; your team's updates appear once it is up." };
  return { tone: "warn", label: `Reconnecting…${pending}`, detail: "The live connection dropped; it is being restored. Nothing you typed is lost." };
}
