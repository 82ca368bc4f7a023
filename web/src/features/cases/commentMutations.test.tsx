import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReactNode } from "react";
import { act, renderHook, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { Comment } from "./types.ts";

type Reply = { data: unknown; error: { message: string; code?: string } | null };

/** The next answer of PostgREST, resolved by the test when it chooses (to look at the optimistic state first). */
let pending: { resolve(r: Reply): void } | null = null;
const requests: Array<{ op: string; value?: unknown; id?: unknown }> = [];
function request(op: string, value?: unknown) {
  const entry: { op: string; value?: unknown; id?: unknown } = { op, value };
  requests.push(entry);
  const q = {
    eq: (_col: string, id: unknown) => ((entry.id = id), q),
    select: () => new Promise<Reply>((resolve) => (pending = { resolve })),
  };
  return q;
}
vi.mock("../../lib/supabase.ts", () => ({
  supabase: { from: () => ({ update: (v: unknown) => request("update", v), delete: () => request("delete") }) },
}));
const { useCommentActions } = await import("./commentMutations.ts");
const { caseKeys } = await import("./queries.ts");
const { useToasts } = await import("../../components/ui/toast.tsx");

const mk = (id: string, minute: number, body = `comment ${id}`): Comment => {
  const at = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  return { id, org_id: "o", case_id: "case-1", author_id: "me", body, created_at: at, updated_at: at };
};

function setup(initial: Comment[]) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } });
  const key = caseKeys.comments("case-1");
  // The list as the room holds it; a reconcile after a failure reads it again from here.
  let server = initial;
  qc.setQueryDefaults(key, { queryFn: () => server });
  qc.setQueryData(key, initial);
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={qc}>{children}</QueryClientProvider>;
  const { result } = renderHook(() => useCommentActions("case-1"), { wrapper });
  return { qc, result, list: () => qc.getQueryData<Comment[]>(key)!, setServer: (c: Comment[]) => (server = c), key };
}
const answer = async (r: Reply) => {
  await waitFor(() => expect(pending).not.toBeNull());
  const p = pending!;
  pending = null;
  await act(async () => p.resolve(r));
};
const lastToast = () => useToasts.getState().toasts.at(-1);

afterEach(() => {
  requests.length = 0;
  pending = null;
  useToasts.setState({ toasts: [] });
});

describe("comment edit and delete", () => {
  it("shows an edit at once and keeps the server's row when it is accepted", async () => {
    const { result, list } = setup([mk("a", 1)]);
    act(() => result.current.edit.mutate({ id: "a", body: "better" }));
    await waitFor(() => expect(list()[0]!.body).toBe("better"));
    await answer({ data: [{ ...mk("a", 1), body: "better" }], error: null });
    await waitFor(() => expect(result.current.edit.isSuccess).toBe(true));
    expect(requests).toEqual([{ op: "update", value: { body: "better" }, id: "a" }]);
    expect(list()[0]!.body).toBe("better");
    expect(lastToast()).toBeUndefined();
  });

  it("puts a refused edit back and says so", async () => {
    const { result, list } = setup([mk("a", 1, "original")]);
    act(() => result.current.edit.mutate({ id: "a", body: "rude" }));
    await waitFor(() => expect(list()[0]!.body).toBe("rude"));
    await answer({ data: null, error: { message: "new row violates row-level security policy", code: "42501" } });
    await waitFor(() => expect(list()[0]!.body).toBe("original"));
    expect(lastToast()).toMatchObject({ tone: "error", title: "Could not edit the comment" });
    expect(lastToast()!.body).toMatch(/Your change was undone/);
  });

  it("treats an edit RLS narrowed to no row as a failure, not a success", async () => {
    const { result, list } = setup([mk("a", 1, "original")]);
    act(() => result.current.edit.mutate({ id: "a", body: "changed" }));
    await answer({ data: [], error: null });
    await waitFor(() => expect(result.current.edit.isError).toBe(true));
    expect(list()[0]!.body).toBe("original");
    expect(lastToast()!.body).toMatch(/no longer yours to edit/);
  });

  it("puts a refused delete back in its place, keeping a comment that arrived meanwhile", async () => {
    const { qc, result, list, key, setServer } = setup([mk("a", 1), mk("b", 2), mk("c", 3)]);
    act(() => result.current.remove.mutate("b"));
    await waitFor(() => expect(list().map((c) => c.id)).toEqual(["a", "c"]));
    // Someone else's new comment reaches the room while the request is out.
    act(() => qc.setQueryData<Comment[]>(key, (old = []) => [...old, mk("d", 4)]));
    setServer([mk("a", 1), mk("b", 2), mk("c", 3), mk("d", 4)]);
    await answer({ data: [], error: null });
    await waitFor(() => expect(list().map((c) => c.id)).toEqual(["a", "b", "c", "d"]));
    expect(lastToast()).toMatchObject({ tone: "error", title: "Could not delete the comment" });
  });

  it("removes a deleted comment for good when the server agrees", async () => {
    const { result, list } = setup([mk("a", 1), mk("b", 2)]);
    act(() => result.current.remove.mutate("a"));
    await answer({ data: [{ id: "a" }], error: null });
    await waitFor(() => expect(result.current.remove.isSuccess).toBe(true));
    expect(list().map((c) => c.id)).toEqual(["b"]);
    expect(requests).toEqual([{ op: "delete", value: undefined, id: "a" }]);
  });
});
