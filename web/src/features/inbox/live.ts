import { useEffect, useState } from "react";
import { useQueryClient, type QueryClient, type QueryKey } from "@tanstack/react-query";
import { openChannel } from "../../lib/realtime.ts";
import { createLiveSync, type LiveChange } from "./live-buffer.ts";
import { inboxKeys, removeRowFromCaches, writeRowToCaches } from "./queries.ts";
import type { FeedbackRow } from "./types.ts";

export type { LiveChange } from "./live-buffer.ts";

/** How long the inbox waits for the live channel before loading anyway (Realtime slow or down). */
export const LIVE_READY_FALLBACK_MS = 3000;

const startsWith = (key: QueryKey, prefix: readonly unknown[]) => prefix.every((part, i) => key[i] === part);

/**
 * Applies live changes to the cached inbox views without losing any to a fetch:
 * - a change that arrives while a view is being fetched is replayed once the fetch has landed
 *   (see createLiveSync), so neither a first page without a cache yet nor a refetch's older
 *   snapshot can swallow it;
 * - a change committed before the channel was joined never arrives at all, so whatever was read
 *   before the join is read again once it is joined (`reconcile`).
 */
export function createInboxLive(qc: QueryClient, orgId: string) {
  const lists = [...inboxKeys.all(orgId), "list"] as const;
  const sync = createLiveSync({
    apply: (msg) => {
      if (msg.eventType === "DELETE") removeRowFromCaches(qc, orgId, (msg.old as { id: string }).id);
      else writeRowToCaches(qc, orgId, msg.new as FeedbackRow);
    },
    isFetching: () => qc.isFetching({ queryKey: lists }) > 0,
  });
  const stopWatching = qc.getQueryCache().subscribe((event) => {
    if ((event.type === "updated" || event.type === "removed") && startsWith(event.query.queryKey, lists)) sync.settle();
  });

  return {
    onChange: (msg: LiveChange) => sync.receive(msg),

    /**
     * After a (re)join. The first join refetches the list views that were read before it (a cached
     * view from an earlier visit, or a fetch started by the fallback); a rejoin after a drop
     * refetches everything the inbox shows, since changes were missed meanwhile.
     */
    async reconcile(again: boolean) {
      // TanStack reuses a first-page fetch in flight instead of starting a new one, and that fetch
      // may have read before the join: restart it.
      await qc.cancelQueries({ queryKey: lists, predicate: (q) => q.state.data === undefined && q.state.fetchStatus === "fetching" });
      await qc.invalidateQueries({ queryKey: again ? inboxKeys.all(orgId) : lists });
    },

    dispose: stopWatching,
  };
}

/**
 * New and changed feedback of the org, straight into the cache (RLS applies to postgres_changes, so
 * only rows this user may read arrive). Returns whether the inbox may fetch: once the channel is
 * joined, so that every change after the first page's snapshot is delivered, or after a timeout
 * (or a channel error) so that the inbox never waits on Realtime; the eventual join then refetches.
 */
export function useInboxLive(orgId: string): boolean {
  const qc = useQueryClient();
  const [readyFor, setReadyFor] = useState<string | null>(null);
  useEffect(() => {
    const live = createInboxLive(qc, orgId);
    const ready = () => setReadyFor(orgId);
    const fallback = setTimeout(ready, LIVE_READY_FALLBACK_MS);
    const close = openChannel(`inbox-changes:${orgId}`, {
      setup: (ch) =>
        ch.on("postgres_changes", { event: "*", schema: "public", table: "feedback", filter: `org_id=eq.${orgId}` }, (msg) => live.onChange(msg as LiveChange)),
      onSubscribed: (_ch, again) => {
        clearTimeout(fallback);
        void live.reconcile(again);
        ready();
      },
      onError: () => {
        clearTimeout(fallback);
        ready();
      },
    });
    return () => {
      clearTimeout(fallback);
      close();
      live.dispose();
    };
  }, [orgId, qc]);
  return readyFor === orgId;
}
