import { describe, expect, it } from "vitest";
import { allRows, MAX_ROWS } from "./pages.ts";

// A table of `n` rows behind a server that, like Supabase, never answers with more than MAX_ROWS.
function server(n: number) {
  const asked: Array<[number, number]> = [];
  const page = async (from: number, to: number) => {
    asked.push([from, to]);
    const end = Math.min(to + 1, from + MAX_ROWS, n);
    return { data: Array.from({ length: Math.max(0, end - from) }, (_, i) => from + i), error: null };
  };
  return { asked, page };
}

describe("allRows", () => {
  it("reads past the server's row cap, page by page, and stops at a short page", async () => {
    const s = server(2 * MAX_ROWS + 7);
    const rows = await allRows(s.page);
    expect(rows).toHaveLength(2 * MAX_ROWS + 7);
    expect(rows.at(-1)).toBe(2 * MAX_ROWS + 6);
    expect(s.asked).toEqual([[0, MAX_ROWS - 1], [MAX_ROWS, 2 * MAX_ROWS - 1], [2 * MAX_ROWS, 3 * MAX_ROWS - 1]]);
  });

  it("asks once more when the last page is exactly full, and gets nothing", async () => {
    const s = server(MAX_ROWS);
    expect(await allRows(s.page)).toHaveLength(MAX_ROWS);
    expect(s.asked).toHaveLength(2);
  });

  it("fails with the server's error rather than returning part of the rows", async () => {
    let calls = 0;
    const failing = async () => (++calls === 2 ? { data: null, error: { message: "JWT expired", code: "PGRST303" }, status: 401 } : { data: Array(MAX_ROWS).fill(0), error: null });
    await expect(allRows(failing)).rejects.toMatchObject({ code: "PGRST303" });
  });
});
