import { describe, expect, it } from "vitest";
import { getStack, sql } from "../helpers/stack.ts";

/**
 * On Supabase, pg-safeupdate is loaded into every Data API connection, so it also refuses an UPDATE or
 * DELETE without a WHERE clause inside a function or trigger that an API request runs (21000). The
 * embedded Postgres cannot load it (local-supabase/src/rest/safe-update.ts covers plain REST requests only),
 * so a function that would fail only after `db push` is caught here instead, from the bodies installed.
 */
function unqualifiedWrites(body: string): string[] {
  const code = body.replace(/--[^\n]*/g, "").replace(/'(?:[^']|'')*'/g, "''");
  const found: string[] = [];
  // An UPDATE ... SET or DELETE FROM up to the end of its statement; ON CONFLICT DO UPDATE is an insert.
  for (const m of code.matchAll(/\b(?<!do\s)(update\s+(?:only\s+)?[\w."]+(?:\s+(?:as\s+)?\w+)?\s+set\b|delete\s+from\b)[^;]*/gi)) {
    if (!/\bwhere\b/i.test(m[0])) found.push(m[0].replace(/\s+/g, " ").slice(0, 120));
  }
  return found;
}

describe("functions an API call can run", () => {
  it("never update or delete without a WHERE clause (Supabase's safeupdate refuses that)", async () => {
    const stack = await getStack();
    const rows = await sql(stack)<{ name: string; body: string }[]>`
      select n.nspname || '.' || p.proname as name, p.prosrc as body
      from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('public', 'private') and p.prolang in (select oid from pg_catalog.pg_language where lanname in ('sql', 'plpgsql'))`;
    expect(rows.length).toBeGreaterThan(10);
    const offenders = rows.flatMap((r) => unqualifiedWrites(r.body).map((s) => `${r.name}: ${s}`));
    expect(offenders).toEqual([]);
  });

  it("are checked by a detector that does catch one", () => {
    expect(unqualifiedWrites("begin delete from public.jobs; update public.jobs j set status = 'x'; end")).toHaveLength(2);
    expect(unqualifiedWrites("begin delete from public.jobs where id = p_id; update public.jobs set status = 'x' where id = 1; end")).toEqual([]);
    expect(unqualifiedWrites("insert into t values (1) on conflict (id) do update set v = excluded.v;")).toEqual([]);
  });
});
