import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import type { RealtimePostgresChangesPayload, SupabaseClient } from "@supabase/supabase-js";
import type { StackInfo } from "@review/local-supabase";
import { closeClients, closeDb, collector, db, getStack, mintJwt, rtClient, subscribe, uniq, waitFor, type Vsn } from "./helpers.ts";

// SPEC C4, as the attack: anyone allowed to subscribe to a published table sees its deletes (policies
// cannot be checked on a row that is gone). Subscribed to a membership-like table, they would learn
// who belonged to which organization from every removal. With RLS on, Supabase sends only the primary
// key of a deleted row, to every subscriber; so does this server.
let stack: StackInfo;
const team = uniq("rt_team_members"); // RLS, replica identity full, surrogate primary key
const open = uniq("rt_open_members"); // no RLS, replica identity full: the whole old row, as on Supabase
const keyless = uniq("rt_keyless"); // RLS, replica identity full, no primary key: nothing of the old row

type Row = { id: string; org_id: string; user_id: string; role: string };

beforeAll(async () => {
  stack = await getStack();
  await db(stack).unsafe(`
    create schema if not exists rt_fixtures;
    grant usage on schema rt_fixtures to anon, authenticated, service_role;
    create table rt_fixtures.${team} (id uuid primary key default gen_random_uuid(), org_id uuid not null, user_id uuid not null, role text not null, unique (org_id, user_id));
    alter table rt_fixtures.${team} replica identity full;
    alter table rt_fixtures.${team} enable row level security;
    create policy "anyone signed in sees the team" on rt_fixtures.${team} for select to authenticated, anon using (true);
    grant select on rt_fixtures.${team} to authenticated, anon;
    create table rt_fixtures.${open} (id uuid primary key default gen_random_uuid(), org_id uuid not null, user_id uuid not null, role text not null);
    alter table rt_fixtures.${open} replica identity full;
    grant select on rt_fixtures.${open} to authenticated, anon;
    create table rt_fixtures.${keyless} (org_id uuid not null, user_id uuid not null);
    alter table rt_fixtures.${keyless} replica identity full;
    alter table rt_fixtures.${keyless} enable row level security;
    create policy "anyone signed in sees it" on rt_fixtures.${keyless} for select to authenticated using (true);
    grant select on rt_fixtures.${keyless} to authenticated;
    alter publication supabase_realtime add table rt_fixtures.${team}, rt_fixtures.${open}, rt_fixtures.${keyless};
  `);
});
afterAll(async () => {
  await closeClients();
  await db(stack).unsafe(`alter publication supabase_realtime drop table rt_fixtures.${team}, rt_fixtures.${open}, rt_fixtures.${keyless}`);
  await closeDb();
});

async function listen(c: SupabaseClient, table: string) {
  const got = collector<RealtimePostgresChangesPayload<Row>>();
  const system = collector<{ extension: string; status: string }>();
  await subscribe(c.channel(uniq("del")).on("postgres_changes", { event: "DELETE", schema: "rt_fixtures", table }, got.push).on("system", {}, system.push as never));
  await waitFor(() => system.items.some((s) => s.extension === "postgres_changes" && s.status === "ok"), { message: "subscribed to PostgreSQL" });
  return got;
}

describe.each<Vsn>(["2.0.0", "1.0.0"])("deleted rows over vsn %s (SPEC C4)", (vsn) => {
  it("sends only the primary key of a row deleted from a table with RLS, to every subscriber, the service role included", async () => {
    const user = await mintJwt(stack);
    const subscribers = {
      user: await listen(rtClient(stack.apiUrl, stack.anonKey, { vsn, token: user.token }), team),
      anon: await listen(rtClient(stack.apiUrl, stack.anonKey, { vsn }), team),
      service: await listen(rtClient(stack.apiUrl, stack.serviceRoleKey, { vsn }), team),
    };
    const orgId = randomUUID();
    const userId = randomUUID();
    const [row] = await db(stack).unsafe(`insert into rt_fixtures.${team} (org_id, user_id, role) values ($1, $2, 'admin') returning id`, [orgId, userId]);
    await db(stack).unsafe(`delete from rt_fixtures.${team} where id = $1`, [row!.id]);
    for (const [who, got] of Object.entries(subscribers)) {
      await waitFor(() => got.items.length === 1, { message: `${who} got the delete` });
      const del = got.items[0]!;
      expect(del).toMatchObject({ eventType: "DELETE", table: team, new: {} });
      expect({ who, old: del.old }).toEqual({ who, old: { id: row!.id } });
      expect(JSON.stringify(del)).not.toContain(orgId);
      expect(JSON.stringify(del)).not.toContain(userId);
    }
  });

  it("sends the whole old row without RLS, and nothing of it for a table with RLS but no primary key", async () => {
    const user = await mintJwt(stack);
    const c = rtClient(stack.apiUrl, stack.anonKey, { vsn, token: user.token });
    const gotOpen = await listen(c, open);
    const gotKeyless = await listen(c, keyless);
    const orgId = randomUUID();
    const userId = randomUUID();
    const sql = db(stack);
    const [row] = await sql.unsafe(`insert into rt_fixtures.${open} (org_id, user_id, role) values ($1, $2, 'curator') returning id`, [orgId, userId]);
    await sql.unsafe(`delete from rt_fixtures.${open} where id = $1`, [row!.id]);
    await sql.unsafe(`insert into rt_fixtures.${keyless} (org_id, user_id) values ($1, $2)`, [orgId, userId]);
    await sql.unsafe(`delete from rt_fixtures.${keyless} where org_id = $1`, [orgId]);
    await waitFor(() => gotOpen.items.length === 1 && gotKeyless.items.length === 1, { message: "both deletes" });
    expect(gotOpen.items[0]!.old).toEqual({ id: row!.id, org_id: orgId, user_id: userId, role: "curator" });
    expect(gotKeyless.items[0]!.old).toEqual({});
  });
});
