import { useEffect } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { openChannel } from "../../lib/realtime.ts";
import { inboxKeys, removeRowFromCaches, writeRowToCaches } from "./queries.ts";
import type { FeedbackRow } from "./types.ts";

/**
 * New and changed feedback of the org, straight into the cache (RLS applies to postgres_changes, so
 * only rows this user may read arrive). After a reconnect the inbox is refetched once.
 */
export function useInboxLive(orgId: string) {
  const qc = useQueryClient();
  useEffect(
    () =>
      openChannel(`inbox-changes:${orgId}`, {
        setup: (ch) =>
          ch.on("postgres_changes", { event: "*", schema: "public", table: "feedback", filter: `org_id=eq.${orgId}` }, (msg) => {
            if (msg.eventType === "DELETE") removeRowFromCaches(qc, orgId, (msg.old as { id: string }).id);
            else writeRowToCaches(qc, orgId, msg.new as FeedbackRow);
          }),
        onSubscribed: (_ch, again) => {
          if (again) void qc.invalidateQueries({ queryKey: inboxKeys.all(orgId) });
        },
      }),
    [orgId, qc],
  );
}
