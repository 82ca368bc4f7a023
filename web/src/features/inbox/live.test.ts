import { describe, expect, it, vi } from "vitest";
import { InfiniteQueryObserver, QueryClient } from "@tanstack/react-query";
import { flattenInbox, type InboxData, type InboxPage } from "./cache.ts";
import { EMPTY_FILTERS } from "./filters.ts";
import type { FeedbackRow } from "./types.ts";

// The module graph reaches the app's Supabase client; nothing here talks to it.
vi.mock("../../lib/supabase.ts", () => ({ supabase: {} }));
const { createInboxLive } = await import("./live.ts");
const { inboxKeys } = await import("./queries.ts");

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
const mk = (id: string, minute: number, over: Partial<FeedbackRow> = {}): FeedbackRow => ({
  id, org_id: "o", rating: 1, query: `q${id}`, comment: null, status: "new", labels: [], claimed_by: null, claimed_at: null,
  model: null, case_id: null, source: "app", created_at: at(minute), updated_at: at(minute), ...over,
});

const key = inboxKeys.list("o", EMPTY_FILTERS);

/** An inbox view whose fetches answer only when the test says so. */
function view(qc: QueryClient) {
  const answers: Array<(p: InboxPage) => void> = [];
  const observer = new InfiniteQueryObserver<InboxPage, Error, InboxData, typeof key, number>(qc, {
    queryKey: key,
    initialPageParam: 0,
    getNextPageParam: () => undefined,
    staleTime: Infinity,
    queryFn: () => new Promise<InboxPage>((r) => answers.push(r)),
  });
  const unsubscribe = observer.subscribe(() => {});
  return {
    answers,
    ids: () => flattenInbox(qc.getQueryData<InboxData>(key)).map((r) => r.id),
    rows: () => flattenInbox(qc.getQueryData<InboxData>(key)),
    settled: () => vi.waitFor(() => expect(qc.isFetching()).toBe(0)),
    unsubscribe,
  };
}

/** A view whose first page has answered, with row "a". */
async function loadedView(qc: QueryClient) {
  const v = view(qc);
  await vi.waitFor(() => expect(v.answers).toHaveLength(1));
  v.answers[0]!({ rows: [mk("a", 1)], count: 1 });
  await v.settled();
  return v;
}

describe("inbox live changes", () => {
  it("keeps a live insert that arrives while the first page is being fetched", async () => {
    const qc = new QueryClient();
    const live = createInboxLive(qc, "o");
    const v = view(qc);
    await vi.waitFor(() => expect(v.answers).toHaveLength(1));

    // The page's snapshot was read before "b" committed; "b" arrives before the page does.
    live.onChange({ eventType: "INSERT", new: mk("b", 5), old: {} });
    v.answers[0]!({ rows: [mk("a", 1)], count: 1 });
    await v.settled();

    await vi.waitFor(() => expect(v.ids()).toEqual(["b", "a"]));
    expect(qc.getQueryData<InboxData>(key)!.pages[0]!.count).toBe(2);
    live.dispose();
    v.unsubscribe();
  });

  it("keeps the newer state when the first page already read past a change that arrived meanwhile", async () => {
    const qc = new QueryClient();
    const live = createInboxLive(qc, "o");
    const v = view(qc);
    await vi.waitFor(() => expect(v.answers).toHaveLength(1));

    live.onChange({ eventType: "INSERT", new: mk("a", 1), old: {} });
    live.onChange({ eventType: "UPDATE", new: mk("a", 1, { labels: ["old"], updated_at: at(2) }), old: {} });
    // The snapshot was read after a later update whose event is still on its way.
    v.answers[0]!({ rows: [mk("a", 1, { labels: ["new"], updated_at: at(3) })], count: 1 });
    await v.settled();

    await new Promise((r) => setTimeout(r, 10)); // let the cache listener replay
    expect(v.rows()[0]!.labels).toEqual(["new"]);
    expect(qc.getQueryData<InboxData>(key)!.pages[0]!.count).toBe(1);
    live.dispose();
    v.unsubscribe();
  });

  it("drops a row deleted while the first page was being fetched", async () => {
    const qc = new QueryClient();
    const live = createInboxLive(qc, "o");
    const v = view(qc);
    await vi.waitFor(() => expect(v.answers).toHaveLength(1));
    live.onChange({ eventType: "DELETE", new: {}, old: mk("a", 1) });
    v.answers[0]!({ rows: [mk("b", 2), mk("a", 1)], count: 2 });
    await v.settled();
    await vi.waitFor(() => expect(v.ids()).toEqual(["b"]));
    live.dispose();
    v.unsubscribe();
  });

  it("restarts a first page that started before the channel was joined", async () => {
    const qc = new QueryClient();
    const live = createInboxLive(qc, "o");
    const v = view(qc);
    await vi.waitFor(() => expect(v.answers).toHaveLength(1));

    // Joined only now: a commit between the first read and the join never arrives live.
    const reconciled = live.reconcile(false);
    await vi.waitFor(() => expect(v.answers).toHaveLength(2));
    v.answers[0]!({ rows: [mk("a", 1)], count: 1 }); // the stale read answers late: ignored
    v.answers[1]!({ rows: [mk("b", 2), mk("a", 1)], count: 2 });
    await reconciled;
    await v.settled();
    expect(v.ids()).toEqual(["b", "a"]);
    live.dispose();
    v.unsubscribe();
  });

  it("refetches a view read before the first join (e.g. cached from an earlier visit)", async () => {
    const qc = new QueryClient();
    const v = await loadedView(qc);

    const live = createInboxLive(qc, "o");
    const reconciled = live.reconcile(false);
    await vi.waitFor(() => expect(v.answers).toHaveLength(2));
    v.answers[1]!({ rows: [mk("b", 2), mk("a", 1)], count: 2 });
    await reconciled;
    expect(v.ids()).toEqual(["b", "a"]);
    live.dispose();
    v.unsubscribe();
  });

  it("keeps a live insert that arrives while the post-reconnect refetch is in flight", async () => {
    const qc = new QueryClient();
    const v = await loadedView(qc);

    const live = createInboxLive(qc, "o");
    const reconciled = live.reconcile(true);
    await vi.waitFor(() => expect(v.answers).toHaveLength(2));
    live.onChange({ eventType: "INSERT", new: mk("b", 5), old: {} });
    expect(v.ids()).toEqual(["b", "a"]);
    v.answers[1]!({ rows: [mk("a", 1)], count: 1 }); // the refetch's (older) page
    await reconciled;

    await vi.waitFor(() => expect(v.ids()).toEqual(["b", "a"]));
    live.dispose();
    v.unsubscribe();
  });
});
