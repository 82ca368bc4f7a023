import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql } from "../helpers/stack.ts";

// Under row-level security Postgres makes a filter an index condition only if its equality operator
// is leakproof; otherwise a signed-in user's filtered read walks the index it can use and filters row
// by row (enum status columns did this until migration 20260101001000_status_domains.sql).

let stack: StackInfo;
let org: TestOrg;

beforeAll(async () => {
  stack = await getStack();
  org = await createOrg(stack, "indexuse");
});

describe("indexes under row-level security", () => {
  it("compare every btree-indexed column of an RLS table with a leakproof equality", async () => {
    const unusable = await sql(stack)`
      select c.relname as table, ic.relname as index, a.attname as column, format_type(a.atttypid, null) as type
      from pg_index i
      join pg_class c on c.oid = i.indrelid
      join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
      join pg_class ic on ic.oid = i.indexrelid
      join pg_am am on am.oid = ic.relam and am.amname = 'btree'
      join pg_attribute a on a.attrelid = c.oid and a.attnum = any (i.indkey)
      join pg_type t on t.oid = a.atttypid
      left join pg_operator o on o.oprname = '=' and o.oprleft = coalesce(nullif(t.typbasetype, 0), t.oid) and o.oprright = o.oprleft
      left join pg_proc p on p.oid = o.oprcode
      where c.relrowsecurity and not coalesce(p.proleakproof, false)
      order by 1, 2, 3`;
    expect(unusable).toEqual([]);
  });

  it("serve a member's status-filtered inbox page from the status index", async () => {
    const reviewer = org.users.reviewer;
    await sql(stack)`
      insert into public.feedback (org_id, rating, query, response, status, created_at)
      select ${org.id}, 1 + i % 5, 'q' || i, 'r', case when i % 200 = 0 then 'new' else 'triaged' end, now() - (i || ' minutes')::interval
      from generate_series(1, 2000) i`;
    await sql(stack)`analyze public.feedback`;
    const plan = await sql(stack).begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claim.sub', ${reviewer.id}, true),
                      set_config('request.jwt.claims', ${JSON.stringify({ sub: reviewer.id, role: "authenticated" })}, true)`;
      const [row] = await tx.unsafe(
        `explain (format json) select id from public.feedback where org_id = '${org.id}' and status = 'new' order by created_at desc limit 50`,
      );
      return JSON.stringify(row);
    });
    expect(plan).toMatch(/"Index Cond":"[^"]*status[^"]*'new'/);
  });
});
