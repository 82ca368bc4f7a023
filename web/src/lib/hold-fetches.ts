import type { QueryClient, QueryKey } from "@tanstack/react-query";

/**
 * Cancels the fetches in flight under `queryKey`, so that none lands on top of an optimistic change,
 * and returns what starts them again once that change has settled. A cancelled fetch is not just
 * noise: it may be the refetch that catches up after a reconnect, and dropping it would leave
 * whatever was missed while offline missing.
 */
export async function holdFetches(qc: QueryClient, queryKey: QueryKey): Promise<() => void> {
  const interrupted = qc.getQueryCache().findAll({ queryKey, fetchStatus: "fetching" }).map((q) => q.queryKey);
  await qc.cancelQueries({ queryKey });
  return () => {
    for (const key of interrupted) void qc.invalidateQueries({ queryKey: key, exact: true });
  };
}
