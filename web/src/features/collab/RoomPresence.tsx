import { Avatar } from "../../components/ui/Avatar.tsx";
import { useConnection } from "../connection/index.ts";
import type { Participant } from "./useCollabDoc.ts";

/** A co-edited document's connection state and who is in it (a case room, a dataset draft). */
export function RoomPresence({ participants, status, label }: { participants: Participant[]; status: string; label: string }) {
  // Without a network the provider keeps retrying ("connecting"); the person should read that they are offline.
  const online = useConnection((s) => s.online);
  const state = status === "connected" ? "Live" : !online || status !== "connecting" ? "Offline — edits kept" : "Connecting…";
  return (
    <div className="room-presence" aria-label={label}>
      <span className={`conn conn-${status === "connected" ? "good" : "warn"}`} data-testid="doc-status"><span className="conn-dot" />{state}</span>
      <span className="avatar-stack" data-testid="room-participants">
        {participants.map((p) => <Avatar key={p.clientId} name={p.name} color={p.color} size={24} title={p.isMe ? `${p.name} (you)` : p.name} />)}
      </span>
    </div>
  );
}
