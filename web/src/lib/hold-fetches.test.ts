import { describe, expect, it } from "vitest";
import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { holdFetches } from "./hold-fetches.ts";

describe("holding fetches for an optimistic change", () => {
  it("cancels a fetch in flight and starts it again once released", async () => {
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
    let calls = 0;
    const answers: Array<(v: string) => void> = [];
    const observer = new QueryObserver(qc, { queryKey: ["inbox", "o", "list"], queryFn: () => (calls++, new Promise<string>((r) => answers.push(r))) });
    const unsubscribe = observer.subscribe(() => undefined);
    expect(calls).toBe(1);

    const release = await holdFetches(qc, ["inbox", "o"]);
    answers[0]!("read before the change"); // too late: cancelled
    expect(qc.getQueryData(["inbox", "o", "list"])).toBeUndefined();

    release();
    await expect.poll(() => calls).toBe(2);
    answers[1]!("read after the change");
    await expect.poll(() => qc.getQueryData(["inbox", "o", "list"])).toBe("read after the change");
    unsubscribe();
  });

  it("starts nothing that was not running", async () => {
    const qc = new QueryClient();
    qc.setQueryData(["inbox", "o", "list"], "cached");
    const release = await holdFetches(qc, ["inbox", "o"]);
    release();
    expect(qc.isFetching()).toBe(0);
    expect(qc.getQueryData(["inbox", "o", "list"])).toBe("cached");
  });
});
