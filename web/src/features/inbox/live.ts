import { useEffect } from "react";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { openChannel } from "../../lib/realtime.ts";
import { inboxKeys, removeRowFromCaches, writeRowToCaches } from "./queries.ts";
import type { FeedbackRow } from "./types.ts";

export type LiveChange = { eventType: "INSERT" | "UPDATE" | "DELETE"; new: unknown; old: unknown };

/**
 * Applies live changes to the cached inbox views, and reconciles after a reconnect with one refetch.
 * That refetch may read its pages before a commit whose change arrives (and is applied) while it is
 * still in flight; its result would then overwrite the change. So changes received during a refetch
 * are applied again once it settles: they are in commit order and applying one is idempotent, so the
 * replay ends at each row's latest live state, never older than what the refetch read.
 */
export function createInboxLive(qc: QueryClient, orgId: string) {
  const apply = (msg: LiveChange) => {
    if (msg.eventType === "DELETE") removeRowFromCaches(qc, orgId, (msg.old as { id: string }).id);
    else writeRowToCaches(qc, orgId, msg.new as FeedbackRow);
  };
  let refetching = 0;
  let duringRefetch: LiveChange[] = [];
  return {
    onChange(msg: LiveChange) {
      apply(msg);
      if (refetching) duringRefetch.push(msg);
    },
    async afterReconnect() {
      refetching++;
      try {
        await qc.invalidateQueries({ queryKey: inboxKeys.all(orgId) });
      } finally {
        if (--refetching === 0) {
          const replay = duringRefetch;
          duringRefetch = [];
          for (const msg of replay) apply(msg);
        }
      }
    },
  };
}

/**
 * New and changed feedback of the org, straight into the cache (RLS applies to postgres_changes, so
 * only rows this user may read arrive). After a reconnect the inbox is refetched once (see above).
 */
export function useInboxLive(orgId: string) {
  const qc = useQueryClient();
  useEffect(() => {
    const live = createInboxLive(qc, orgId);
    return openChannel(`inbox-changes:${orgId}`, {
      setup: (ch) =>
        ch.on("postgres_changes", { event: "*", schema: "public", table: "feedback", filter: `org_id=eq.${orgId}` }, (msg) => live.onChange(msg as LiveChange)),
      onSubscribed: (_ch, again) => {
        if (again) void live.afterReconnect();
      },
    });
  }, [orgId, qc]);
}
