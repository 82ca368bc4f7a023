import { useEffect, useMemo, useRef, useState } from "react";
import type { RealtimeChannel } from "@supabase/supabase-js";
import { Throttle } from "@review/shared/yjs/throttle";
import { openChannel } from "../../lib/realtime.ts";
import { useMembers } from "../orgs/index.ts";

type Meta = { viewing?: string | null; queue?: string | null };
export type QueuePeer = { userId: string; name: string; color: string; viewing: string | null };

/** Presence is throttled as in the inbox (hosted Realtime caps presence below messages). */
const TRACK_WINDOW_MS = 1000;

/**
 * Who else is in this queue, on the same private org channel (`org:<orgId>`) and under the same rules as
 * the inbox's presence: the key is the user's id (the server admits no other), names come from
 * profiles, the payload only says which queue and item one is on. Managers watch without tracking.
 */
export function useQueuePresence(orgId: string, queueId: string, me: { userId: string }, viewing: string | null, canSend: boolean) {
  const [raw, setRaw] = useState<Record<string, Meta[]>>({});
  const channelRef = useRef<RealtimeChannel | null>(null);
  const trackerRef = useRef<Throttle | null>(null);
  const latest = useRef({ viewing, canSend, queueId });
  latest.current = { viewing, canSend, queueId };
  const members = useMembers(orgId);

  useEffect(() => {
    const tracker = new Throttle(() => {
      const ch = channelRef.current;
      const { viewing, canSend, queueId } = latest.current;
      if (!ch || !canSend || ch.state !== "joined") return;
      void ch.track({ viewing, queue: queueId } satisfies Meta).catch(() => undefined);
    }, TRACK_WINDOW_MS);
    trackerRef.current = tracker;
    const close = openChannel(`org:${orgId}`, {
      private: true,
      presenceKey: me.userId,
      setup: (ch) => {
        channelRef.current = ch;
        ch.on("presence", { event: "sync" }, () => setRaw({ ...(ch.presenceState<Meta>() as Record<string, Meta[]>) }));
      },
      onSubscribed: () => tracker.request(),
    });
    return () => {
      tracker.cancel();
      trackerRef.current = null;
      channelRef.current = null;
      setRaw({});
      close();
    };
  }, [orgId, me.userId]);

  useEffect(() => {
    trackerRef.current?.request();
  }, [viewing, canSend, queueId]);

  return useMemo(() => {
    const peers: QueuePeer[] = [];
    for (const [userId, metas] of Object.entries(raw)) {
      if (userId === me.userId) continue;
      const here = metas.find((m) => m.queue === queueId);
      if (!here) continue;
      const m = members.byId.get(userId);
      peers.push({ userId, name: m?.name ?? "Unknown member", color: m?.color ?? "#64748b", viewing: typeof here.viewing === "string" ? here.viewing : null });
    }
    return peers.sort((a, b) => a.name.localeCompare(b.name));
  }, [raw, me.userId, queueId, members.byId]);
}
