import { useEffect, useMemo, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import type { RealtimeChannel } from "@supabase/supabase-js";
import { Throttle } from "@review/shared/yjs/throttle";
import { openChannel } from "../../lib/realtime.ts";
import { findRow, type InboxData } from "./cache.ts";
import { inboxKeys, writeRowToCaches } from "./queries.ts";
import { useMembers } from "../orgs/index.ts";
import { groupPresence, unknownKeys, type Meta } from "./presence-model.ts";

export type { Viewer } from "./presence-model.ts";

type Me = { userId: string; name: string; color: string };
type ClaimMessage = { feedbackId: string; claimedBy: string | null; at: string };

/**
 * Presence is capped per project apart from, and below, messages on hosted Realtime: a reviewer moving
 * through the inbox with j/k tracks what she views at most once a second, the latest item winning.
 */
const TRACK_WINDOW_MS = 1000;

/**
 * Presence on the org's private channel `org:<orgId>`: who is here and which item each one views.
 * Each person is present under their user id (the server admits no other key on a private channel) and
 * shown with the name and colour of their profile; the payload says only what they view.
 * Claims are also broadcast there so others see them before the database change arrives.
 */
export function useOrgPresence(orgId: string, me: Me, viewing: string | null, canSend: boolean) {
  const qc = useQueryClient();
  const channelRef = useRef<RealtimeChannel | null>(null);
  const trackerRef = useRef<Throttle | null>(null);
  const [raw, setRaw] = useState<Record<string, Meta[]>>({});
  const latest = useRef({ me, viewing, canSend });
  latest.current = { me, viewing, canSend };
  const members = useMembers(orgId);
  const people = useMemo(() => (userId: string) => members.byId.get(userId), [members.byId]);
  const state = useMemo(() => groupPresence(raw, me.userId, people), [raw, me.userId, people]);

  // Someone present who is not in the member list we hold joined after it was read: read it again, once.
  const askedFor = useRef(new Set<string>());
  const { refetch, isFetching } = members;
  useEffect(() => {
    if (isFetching || !members.data) return;
    const fresh = unknownKeys(raw, me.userId, people).filter((k) => !askedFor.current.has(k));
    if (!fresh.length) return;
    for (const k of fresh) askedFor.current.add(k);
    void refetch();
  }, [raw, me.userId, people, isFetching, members.data, refetch]);

  useEffect(() => {
    const tracker = new Throttle(() => {
      const ch = channelRef.current;
      const { viewing, canSend } = latest.current;
      // Managers only watch: the channel's policy refuses their presence, so they do not ask.
      if (!ch || !canSend || ch.state !== "joined") return;
      void ch.track({ viewing }).catch(() => undefined);
    }, TRACK_WINDOW_MS);
    trackerRef.current = tracker;
    const close = openChannel(`org:${orgId}`, {
      private: true,
      presenceKey: latest.current.me.userId,
      setup: (ch) => {
        channelRef.current = ch;
        ch.on("presence", { event: "sync" }, () => setRaw({ ...(ch.presenceState<Meta>() as Record<string, Meta[]>) }));
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
      onSubscribed: () => tracker.request(),
    });
    return () => {
      tracker.cancel();
      trackerRef.current = null;
      channelRef.current = null;
      setRaw({});
      close();
    };
    // A new user id means a new channel (the key is fixed at join).
  }, [orgId, qc, me.userId]);

  useEffect(() => {
    trackerRef.current?.request();
  }, [viewing, canSend]);

  const broadcastClaim = (feedbackId: string, claimedBy: string | null) => {
    const payload: ClaimMessage = { feedbackId, claimedBy, at: new Date().toISOString() };
    void channelRef.current?.send({ type: "broadcast", event: "claim", payload }).catch(() => undefined);
  };

  return { ...state, broadcastClaim };
}
