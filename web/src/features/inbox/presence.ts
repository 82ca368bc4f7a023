import { useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import type { RealtimeChannel } from "@supabase/supabase-js";
import { openChannel } from "../../lib/realtime.ts";
import { findRow, type InboxData } from "./cache.ts";
import { inboxKeys, writeRowToCaches } from "./queries.ts";

import { groupPresence, type Meta } from "./presence-model.ts";

export type { Viewer } from "./presence-model.ts";

type Me = { userId: string; name: string; color: string };
type ClaimMessage = { feedbackId: string; claimedBy: string | null; at: string };

/**
 * Presence on the org's private channel `org:<orgId>`: who is here and which item each one views.
 * Claims are also broadcast there so others see them before the database change arrives.
 */
export function useOrgPresence(orgId: string, me: Me, viewing: string | null, canSend: boolean) {
  const qc = useQueryClient();
  const channelRef = useRef<RealtimeChannel | null>(null);
  const [state, setState] = useState<ReturnType<typeof groupPresence>>({ byItem: new Map(), online: [] });
  const latest = useRef({ me, viewing, canSend });
  latest.current = { me, viewing, canSend };

  useEffect(() => {
    const track = (ch: RealtimeChannel) => {
      const { me, viewing, canSend } = latest.current;
      // Managers only watch: the channel's policy refuses their presence, so they do not ask.
      if (!canSend) return;
      void ch.track({ user_id: me.userId, name: me.name, color: me.color, viewing }).catch(() => undefined);
    };
    const close = openChannel(`org:${orgId}`, {
      private: true,
      setup: (ch) => {
        channelRef.current = ch;
        ch.on("presence", { event: "sync" }, () => setState(groupPresence(ch.presenceState<Meta>() as Record<string, Meta[]>, latest.current.me.userId)));
        ch.on("broadcast", { event: "claim" }, ({ payload }) => {
          const msg = payload as ClaimMessage;
          for (const [, data] of qc.getQueriesData<InboxData>({ queryKey: [...inboxKeys.all(orgId), "list"] })) {
            const row = findRow(data, msg.feedbackId);
            if (row) {
              writeRowToCaches(qc, orgId, { ...row, claimed_by: msg.claimedBy, claimed_at: msg.claimedBy ? msg.at : null });
              return;
            }
          }
        });
      },
      onSubscribed: (ch) => track(ch),
    });
    return () => {
      channelRef.current = null;
      close();
    };
  }, [orgId, qc]);

  useEffect(() => {
    const ch = channelRef.current;
    if (ch && canSend && ch.state === "joined") void ch.track({ user_id: me.userId, name: me.name, color: me.color, viewing }).catch(() => undefined);
  }, [viewing, me.userId, me.name, me.color, canSend]);

  const broadcastClaim = (feedbackId: string, claimedBy: string | null) => {
    const payload: ClaimMessage = { feedbackId, claimedBy, at: new Date().toISOString() };
    void channelRef.current?.send({ type: "broadcast", event: "claim", payload }).catch(() => undefined);
  };

  return { ...state, broadcastClaim };
}
