import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RealtimePostgresChangesPayload } from "@supabase/supabase-js";
import type { StackInfo } from "@review/local-supabase";
import { closeClients, closeDb, collector, db, getStack, mintJwt, ownRealtime, rtClient, subscribe, uniq, waitFor, type Vsn } from "./helpers.ts";

let stack: StackInfo;
const notes = uniq("rt_notes"); // RLS: owners see their rows; replica identity full
const plain = uniq("rt_plain"); // no RLS; default replica identity

type Note = { id: number; owner: string; body: string; n: number; tags: string[] | null; meta: unknown; created_at: string };
type Payload = RealtimePostgresChangesPayload<Note>;

beforeAll(async () => {
  stack = await getStack();
  const sql = db(stack);
  // Fixture tables live outside `public`, so suites checking the product schema never see them.
  await sql.unsafe(`
    create schema if not exists rt_fixtures;
    grant usage on schema rt_fixtures to anon, authenticated, service_role;
    create table rt_fixtures.${notes} (id bigint generated always as identity primary key, owner uuid not null, body text, n int not null default 0,
      tags text[], meta jsonb, created_at timestamptz not null default now());
    alter table rt_fixtures.${notes} replica identity full;
    alter table rt_fixtures.${notes} enable row level security;
    create policy "owners see their notes" on rt_fixtures.${notes} for select to authenticated using (owner = (select auth.uid()));
    grant select on rt_fixtures.${notes} to authenticated;
    create table rt_fixtures.${plain} (id int primary key, label text, flag boolean);
    grant select on rt_fixtures.${plain} to anon, authenticated;
    alter publication supabase_realtime add table rt_fixtures.${notes}, rt_fixtures.${plain};
  `);
});
afterAll(async () => {
  await closeClients();
  await db(stack).unsafe(`alter publication supabase_realtime drop table rt_fixtures.${notes}, rt_fixtures.${plain}`);
  await closeDb();
});

describe.each<Vsn>(["2.0.0", "1.0.0"])("postgres_changes over vsn %s (SPEC C1-C4)", (vsn) => {
  it("delivers INSERT, UPDATE and DELETE matching a filter, in Supabase's shape", async () => {
    const alice = await mintJwt(stack);
    const c = rtClient(stack.apiUrl, stack.anonKey, { vsn, token: alice.token });
    const got = collector<Payload>();
    const system = collector<{ extension: string; status: string; message: string }>();
    await subscribe(
      c
        .channel(uniq("pg"))
        .on("postgres_changes", { event: "*", schema: "rt_fixtures", table: notes, filter: `owner=eq.${alice.sub}` }, got.push)
        .on("system", {}, system.push as never),
    );
    await waitFor(() => system.items.some((s) => s.extension === "postgres_changes" && s.status === "ok" && s.message === "Subscribed to PostgreSQL"));
    const sql = db(stack);
    const other = await mintJwt(stack);
    const [row] = await sql.unsafe(`insert into rt_fixtures.${notes} (owner, body, n, tags, meta) values ($1, 'hello', 7, '{a,b}', '{"k":1}') returning id`, [alice.sub]);
    await sql.unsafe(`insert into rt_fixtures.${notes} (owner, body) values ($1, 'not for alice')`, [other.sub]);
    // Visibility is checked against the row's current version (SPEC C4), as Supabase does, so each
    // step waits for its event before the row changes again.
    await waitFor(() => got.items.length === 1);
    await sql.unsafe(`update rt_fixtures.${notes} set body = 'edited', n = 8 where id = $1`, [row!.id]);
    await waitFor(() => got.items.length === 2);
    await sql.unsafe(`delete from rt_fixtures.${notes} where id = $1`, [row!.id]);
    await waitFor(() => got.items.length === 3, { message: "three changes" });
    const [ins, upd, del] = got.items as [Payload, Payload, Payload];
    expect(ins).toMatchObject({ schema: "rt_fixtures", table: notes, eventType: "INSERT", errors: null, old: {} });
    expect(ins.new).toMatchObject({ id: Number(row!.id), owner: alice.sub, body: "hello", n: 7, tags: ["a", "b"], meta: { k: 1 } });
    expect(new Date(ins.commit_timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(upd).toMatchObject({ eventType: "UPDATE", new: { body: "edited", n: 8 }, old: { body: "hello", n: 7 } });
    // RLS is on: a delete carries only the primary key (Supabase does not check policies for deletes)
    expect(del).toMatchObject({ eventType: "DELETE", new: {}, old: { id: Number(row!.id) } });
    expect(Object.keys(del.old)).toEqual(["id"]);
    expect(got.items).toHaveLength(3);
  });

  it("does not deliver a change to a subscriber whose RLS hides the row", async () => {
    const alice = await mintJwt(stack);
    const bob = await mintJwt(stack);
    const ca = rtClient(stack.apiUrl, stack.anonKey, { vsn, token: alice.token });
    const cb = rtClient(stack.apiUrl, stack.anonKey, { vsn, token: bob.token });
    const gotA = collector<Payload>();
    const gotB = collector<Payload>();
    await subscribe(ca.channel(uniq("pg")).on("postgres_changes", { event: "INSERT", schema: "rt_fixtures", table: notes }, gotA.push));
    await subscribe(cb.channel(uniq("pg")).on("postgres_changes", { event: "INSERT", schema: "rt_fixtures", table: notes }, gotB.push));
    const sql = db(stack);
    await sql.unsafe(`insert into rt_fixtures.${notes} (owner, body) values ($1, 'alice secret')`, [alice.sub]);
    await sql.unsafe(`insert into rt_fixtures.${notes} (owner, body) values ($1, 'bob note')`, [bob.sub]);
    await waitFor(() => gotA.items.length === 1 && gotB.items.length === 1);
    expect((gotA.items[0]!.new as Note).body).toBe("alice secret");
    expect((gotB.items[0]!.new as Note).body).toBe("bob note");
    // An anon subscriber has no SELECT grant on the table: nothing at all.
    const anon = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const gotAnon = collector<Payload>();
    await subscribe(anon.channel(uniq("pg")).on("postgres_changes", { event: "*", schema: "rt_fixtures", table: notes }, gotAnon.push));
    await sql.unsafe(`insert into rt_fixtures.${notes} (owner, body) values ($1, 'marker')`, [bob.sub]);
    await waitFor(() => gotB.items.length === 2);
    expect(gotAnon.items).toHaveLength(0);
  });

  it("applies eq, neq, lt, lte, gt, gte and in filters; old_record per replica identity", async () => {
    const c = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const filters = ["id=eq.2", "id=neq.2", "id=lt.2", "id=lte.2", "id=gt.2", "id=gte.2", "id=in.(1,3)", "label=eq.two"];
    const got = new Map(filters.map((f) => [f, [] as number[]]));
    const ch = c.channel(uniq("pg"));
    for (const f of filters) ch.on("postgres_changes", { event: "INSERT", schema: "rt_fixtures", table: plain, filter: f }, (p) => got.get(f)!.push((p.new as { id: number }).id));
    const updates = collector<Payload>();
    ch.on("postgres_changes", { event: "UPDATE", schema: "rt_fixtures", table: plain }, updates.push as never);
    await subscribe(ch);
    const sql = db(stack);
    await sql.unsafe(`delete from rt_fixtures.${plain}`);
    await sql.unsafe(`insert into rt_fixtures.${plain} (id, label, flag) values (1, 'one', true), (2, 'two', false), (3, 'three', null)`);
    await waitFor(() => got.get("id=neq.2")!.length === 2 && got.get("label=eq.two")!.length === 1);
    expect(Object.fromEntries(got)).toEqual({
      "id=eq.2": [2],
      "id=neq.2": [1, 3],
      "id=lt.2": [1],
      "id=lte.2": [1, 2],
      "id=gt.2": [3],
      "id=gte.2": [2, 3],
      "id=in.(1,3)": [1, 3],
      "label=eq.two": [2],
    });
    await sql.unsafe(`update rt_fixtures.${plain} set label = 'uno' where id = 1`);
    await waitFor(() => updates.items.length === 1);
    // default replica identity: old_record holds the key only
    expect(updates.items[0]).toMatchObject({ new: { id: 1, label: "uno", flag: true }, old: { id: 1 } });
    expect(Object.keys(updates.items[0]!.old)).toEqual(["id"]);
  });
});

describe("replication slot (SPEC C5)", () => {
  it("survives a restart without replaying delivered changes or losing undelivered ones", async () => {
    const sql = db(stack);
    const slotName = uniq("rt_restart");
    const first = await ownRealtime(stack, { slotName });
    const c1 = rtClient(first.apiUrl, stack.anonKey);
    const got1 = collector<Payload>();
    await subscribe(c1.channel(uniq("pg")).on("postgres_changes", { event: "INSERT", schema: "rt_fixtures", table: plain }, got1.push));
    await sql.unsafe(`insert into rt_fixtures.${plain} (id, label) values (101, 'before restart')`);
    await waitFor(() => got1.items.length === 1);
    await c1.removeAllChannels();
    await first.close({ dropSlot: false });

    await sql.unsafe(`insert into rt_fixtures.${plain} (id, label) values (102, 'while down')`);

    const second = await ownRealtime(stack, { slotName, deferStart: true });
    const c2 = rtClient(second.apiUrl, stack.anonKey);
    const got2 = collector<Payload>();
    await subscribe(c2.channel(uniq("pg")).on("postgres_changes", { event: "INSERT", schema: "rt_fixtures", table: plain }, got2.push));
    await second.start();
    await sql.unsafe(`insert into rt_fixtures.${plain} (id, label) values (103, 'after restart')`);
    await waitFor(() => got2.items.length >= 2);
    expect(got2.items.map((p) => (p.new as { id: number }).id)).toEqual([102, 103]);
    await c2.removeAllChannels();
    await second.close();
  });
});
