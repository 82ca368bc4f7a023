import { unwrap } from "./errors.ts";

/** Supabase's `[api] max_rows` (supabase/config.toml): no response carries more rows, whatever limit is asked. */
export const MAX_ROWS = 1000;

/**
 * Every row a query matches, fetched a page of MAX_ROWS at a time. A single request for more (say
 * `.limit(5000)`) silently comes back with the first 1,000. `page` must order by a unique key, or a
 * row can fall between two pages.
 */
export async function allRows<T>(page: (from: number, to: number) => PromiseLike<{ data: T[] | null; error: { message: string; code?: string } | null; status?: number }>): Promise<T[]> {
  const rows: T[] = [];
  for (let from = 0; ; from += MAX_ROWS) {
    const batch = unwrap(await page(from, from + MAX_ROWS - 1)) ?? [];
    rows.push(...batch);
    if (batch.length < MAX_ROWS) return rows;
  }
}
