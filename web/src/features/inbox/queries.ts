import { useInfiniteQuery, useQuery, type QueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { applyFilters, type InboxFilters } from "./filters.ts";
import { applyRow, removeRow, type InboxData, type InboxPage } from "./cache.ts";
import { isOlder } from "./row-version.ts";
import { LIST_COLUMNS, type FeedbackDetail, type FeedbackRow } from "./types.ts";

export const PAGE_SIZE = 500;

export const inboxKeys = {
  all: (orgId: string) => ["inbox", orgId] as const,
  list: (orgId: string, filters: InboxFilters) => ["inbox", orgId, "list", filters] as const,
  detail: (id: string) => ["feedback", id] as const,
  labels: (orgId: string) => ["inbox", orgId, "labels"] as const,
};

/**
 * The inbox list, page by page. `enabled` waits for the live channel (see useInboxLive): a first
 * page read before the subscription is joined could miss a change committed in between.
 */
export function useInbox(orgId: string, filters: InboxFilters, enabled = true) {
  return useInfiniteQuery({
    queryKey: inboxKeys.list(orgId, filters),
    enabled,
    initialPageParam: 0,
    queryFn: async ({ pageParam, signal }): Promise<InboxPage> => {
      // The count rides along with the first page only; later pages are plain ranges.
      const base = supabase.from("feedback").select(LIST_COLUMNS, pageParam === 0 ? { count: "exact" } : undefined).eq("org_id", orgId);
      const res = await applyFilters(base, filters)
        .order("created_at", { ascending: false })
        .order("id", { ascending: false })
        .range(pageParam, pageParam + PAGE_SIZE - 1)
        .abortSignal(signal);
      return { rows: unwrap(res) as FeedbackRow[], count: res.count ?? null };
    },
    getNextPageParam: (last, pages) => (last.rows.length < PAGE_SIZE ? undefined : pages.length * PAGE_SIZE),
    // Live events keep the cache current; a refetch happens only after a reconnect.
    staleTime: Infinity,
  });
}

export function useFeedback(id: string | undefined) {
  return useQuery({
    queryKey: inboxKeys.detail(id ?? ""),
    enabled: !!id,
    queryFn: async () => unwrap(await supabase.from("feedback").select("*").eq("id", id!).maybeSingle()) as FeedbackDetail | null,
    staleTime: Infinity,
  });
}

/** Labels already used in the org (for suggestions), from a bounded sample of recent rows. */
export function useKnownLabels(orgId: string) {
  return useQuery({
    queryKey: inboxKeys.labels(orgId),
    queryFn: async () => {
      const rows = unwrap(await supabase.from("feedback").select("labels").eq("org_id", orgId).order("created_at", { ascending: false }).limit(1000)) as Array<{ labels: string[] }>;
      const counts = new Map<string, number>();
      for (const r of rows) for (const l of r.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
      return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([l]) => l);
    },
    staleTime: 5 * 60_000,
  });
}

/** Puts a row's new state into every cached view of the org's inbox and into its detail entry. */
export function writeRowToCaches(qc: QueryClient, orgId: string, row: FeedbackRow) {
  for (const [key, data] of qc.getQueriesData<InboxData>({ queryKey: [...inboxKeys.all(orgId), "list"] })) {
    const filters = key[3] as InboxFilters;
    const next = applyRow(data, row, filters);
    if (next !== data) qc.setQueryData(key, next);
  }
  qc.setQueryData<FeedbackDetail | null>(inboxKeys.detail(row.id), (old) => (old && !isOlder(row, old) ? { ...old, ...row } : old));
}

export function removeRowFromCaches(qc: QueryClient, orgId: string, id: string) {
  for (const [key, data] of qc.getQueriesData<InboxData>({ queryKey: [...inboxKeys.all(orgId), "list"] })) {
    const next = removeRow(data, id);
    if (next !== data) qc.setQueryData(key, next);
  }
}
