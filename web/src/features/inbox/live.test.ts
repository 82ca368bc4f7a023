import { describe, expect, it, vi } from "vitest";
import { InfiniteQueryObserver, QueryClient } from "@tanstack/react-query";
import { flattenInbox, type InboxData, type InboxPage } from "./cache.ts";
import { EMPTY_FILTERS } from "./filters.ts";
import type { FeedbackRow } from "./types.ts";

// The module graph reaches the app's Supabase client; nothing here talks to it.
vi.mock("../../lib/supabase.ts", () => ({ supabase: {} }));
const { createInboxLive } = await import("./live.ts");
const { inboxKeys } = await import("./queries.ts");

const mk = (id: string, minute: number): FeedbackRow => ({
  id, org_id: "o", rating: 1, query: `q${id}`, comment: null, status: "new", labels: [], claimed_by: null, claimed_at: null,
  model: null, case_id: null, source: "app", created_at: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
});

describe("inbox live changes", () => {
  it("keeps a live insert that arrives while the post-reconnect refetch is in flight", async () => {
    const qc = new QueryClient();
    const key = inboxKeys.list("o", EMPTY_FILTERS);
    // The refetch reads its page before the live row commits and answers after it has been applied.
    let answer: (p: InboxPage) => void = () => {};
    let calls = 0;
    const observer = new InfiniteQueryObserver<InboxPage, Error, InboxData, typeof key, number>(qc, {
      queryKey: key,
      initialPageParam: 0,
      getNextPageParam: () => undefined,
      staleTime: Infinity,
      queryFn: () => (calls++ === 0 ? Promise.resolve({ rows: [mk("a", 1)], count: 1 }) : new Promise<InboxPage>((r) => (answer = r))),
    });
    const unsubscribe = observer.subscribe(() => {});
    await vi.waitFor(() => expect(observer.getCurrentResult().data?.pages.length).toBe(1));

    const live = createInboxLive(qc, "o");
    const reconciled = live.afterReconnect();
    await vi.waitFor(() => expect(calls).toBe(2));
    live.onChange({ eventType: "INSERT", new: mk("b", 5), old: {} });
    expect(flattenInbox(qc.getQueryData<InboxData>(key)).map((r) => r.id)).toEqual(["b", "a"]);
    answer({ rows: [mk("a", 1)], count: 1 }); // the refetch's (older) page
    await reconciled;

    expect(flattenInbox(qc.getQueryData<InboxData>(key)).map((r) => r.id)).toEqual(["b", "a"]);
    unsubscribe();
  });
});
