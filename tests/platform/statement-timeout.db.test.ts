import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { readStatementTimeouts, StatementTimeouts } from "@review/local-supabase/role-settings";
import { client, createUser, getStack, serviceClient, sql, waitFor, type TestUser } from "../helpers/stack.ts";

let stack: StackInfo;
let user: TestUser;
// A table whose read policy takes 3.3 s per row, for anon and signed-in users alike (the service role
// bypasses RLS, so other tests that read every table as the service role are not slowed down).
const table = `timeout_probe_${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  stack = await getStack();
  user = await createUser(stack, "timeout");
  await sql(stack).unsafe(`
    create function public.${table}_slow() returns boolean language sql volatile as 'select true from pg_sleep(3.3)';
    create table public.${table} (id int primary key);
    insert into public.${table} values (1);
    alter table public.${table} enable row level security;
    create policy "slow to read" on public.${table} for select to anon, authenticated using (public.${table}_slow());
    grant select on public.${table} to anon, authenticated;
    grant execute on function public.${table}_slow() to anon, authenticated;`);
  // The DDL watch tells the gateway; lite's schema is reread without a restart, as PostgREST's is.
  await waitFor(async () => (await serviceClient(stack).from(table).select("id").or("id.eq.1,id.eq.2")).data?.length === 1, { message: `lite serving ${table}` });
});

afterAll(async () => {
  await sql(stack).unsafe(`drop table if exists public.${table}; drop function if exists public.${table}_slow()`);
});

describe("statement timeouts, as Supabase sets them for the API roles", () => {
  it("are anon 3s and authenticated 8s, with the authenticator's 8s for the service role", async () => {
    const timeouts = new StatementTimeouts(sql(stack));
    await timeouts.reload();
    expect([timeouts.for("anon"), timeouts.for("authenticated"), timeouts.for("service_role")]).toEqual(["3s", "8s", "8s"]);
    // A project's own setting is read the same way (rolled back: other tests share the roles).
    await sql(stack)
      .begin(async (tx) => {
        await tx`alter role service_role set statement_timeout = '15s'`;
        expect((await readStatementTimeouts(tx)).get("service_role")).toBe("15s");
        throw new Error("roll back");
      })
      .catch((err: Error) => expect(err.message).toBe("roll back"));
    expect((await readStatementTimeouts(sql(stack))).get("service_role")).toBeUndefined();
  });

  it("cancel an anon read after 3 s with PostgREST's 57014, whichever engine answers, and let a signed-in one finish", async () => {
    const timed = async <T,>(p: PromiseLike<T>) => {
      const t0 = performance.now();
      const result = await p;
      return { result, seconds: (performance.now() - t0) / 1000 };
    };
    const [fast, lite, signedIn] = await Promise.all([
      timed(client(stack).from(table).select("id")),
      timed(client(stack).from(table).select("id").or("id.eq.1,id.eq.2")),
      timed(user.client.from(table).select("id")),
    ]);
    for (const anon of [fast, lite]) {
      expect(anon.result.status).toBe(500);
      expect(anon.result.error).toMatchObject({ code: "57014", message: "canceling statement due to statement timeout" });
      // Cancelled once, not run again by the other engine.
      expect(anon.seconds).toBeLessThan(5.5);
    }
    expect(signedIn.result.error).toBeNull();
    expect(signedIn.result.data).toEqual([{ id: 1 }]);
  });
});
