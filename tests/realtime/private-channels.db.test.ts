import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { closeClients, closeDb, collector, db, getStack, mintJwt, rtClient, subscribe, uniq, waitFor } from "./helpers.ts";

let stack: StackInfo;
const prefix = uniq("priv"); // this file's topics; its policies only cover them
const members = uniq("rt_members");
const items = uniq("rt_items");

beforeAll(async () => {
  stack = await getStack();
  // Fixture tables live outside `public`, so suites checking the product schema never see them.
  await db(stack).unsafe(`
    create schema if not exists rt_fixtures;
    grant usage on schema rt_fixtures to anon, authenticated, service_role;
    create table rt_fixtures.${members} (topic text not null, user_id uuid not null, can_write boolean not null default false, primary key (topic, user_id));
    grant select on rt_fixtures.${members} to authenticated;
    create policy "members of ${prefix} topics can listen" on realtime.messages for select to authenticated
      using (realtime.topic() like '${prefix}:%' and exists (select 1 from rt_fixtures.${members} m where m.topic = realtime.topic() and m.user_id = (select auth.uid())));
    create policy "writers of ${prefix} topics can send" on realtime.messages for insert to authenticated
      with check (realtime.topic() like '${prefix}:%' and exists (select 1 from rt_fixtures.${members} m where m.topic = realtime.topic() and m.user_id = (select auth.uid()) and m.can_write));
    create table rt_fixtures.${items} (id int primary key, topic text not null, label text);
    create function rt_fixtures.${items}_broadcast() returns trigger language plpgsql security definer as $$
    begin
      perform realtime.broadcast_changes(new.topic, tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
      return null;
    end $$;
    create trigger ${items}_broadcast after insert or update on rt_fixtures.${items} for each row execute function rt_fixtures.${items}_broadcast();
  `);
});
afterAll(async () => {
  await closeClients();
  const sql = db(stack);
  await sql.unsafe(`drop policy "members of ${prefix} topics can listen" on realtime.messages; drop policy "writers of ${prefix} topics can send" on realtime.messages;`);
  await closeDb();
});

async function member(topic: string, canWrite: boolean) {
  const u = await mintJwt(stack);
  await db(stack).unsafe(`insert into rt_fixtures.${members} (topic, user_id, can_write) values ($1, $2, $3)`, [topic, u.sub, canWrite]);
  return u;
}

describe("private channels (SPEC A3, B4, D1, H2)", () => {
  it("refuses a user without the policy and admits one with it", async () => {
    const topic = `${prefix}:room-${uniq("r")}`;
    const stranger = await mintJwt(stack);
    const c = rtClient(stack.apiUrl, stack.anonKey, { token: stranger.token });
    await expect(subscribe(c.channel(topic, { config: { private: true } }))).rejects.toThrow(/Unauthorized: You do not have permissions to read from this Channel topic/);
    // anon is refused as well
    const anon = rtClient(stack.apiUrl, stack.anonKey);
    await expect(subscribe(anon.channel(topic, { config: { private: true } }))).rejects.toThrow(/Unauthorized/);

    const reader = await member(topic, false);
    const writer = await member(topic, true);
    const cr = rtClient(stack.apiUrl, stack.anonKey, { token: reader.token });
    const cw = rtClient(stack.apiUrl, stack.anonKey, { token: writer.token });
    const gotR = collector<{ payload: unknown }>();
    const chR = await subscribe(cr.channel(topic, { config: { private: true, broadcast: { ack: true } } }).on("broadcast", { event: "msg" }, gotR.push));
    const chW = await subscribe(cw.channel(topic, { config: { private: true, broadcast: { ack: true } } }));
    expect(await chW.send({ type: "broadcast", event: "msg", payload: { hi: 1 } })).toBe("ok");
    await waitFor(() => gotR.items.length === 1);
    expect(gotR.items[0]!.payload).toEqual({ hi: 1 });
    // the reader may listen but not send
    expect(await chR.send({ type: "broadcast", event: "msg", payload: { nope: 1 } })).toBe("error");
  });

  it("keeps private and public namespaces apart, and delivers realtime.send() and broadcast_changes()", async () => {
    const topic = `${prefix}:db-${uniq("r")}`;
    const reader = await member(topic, false);
    const cr = rtClient(stack.apiUrl, stack.anonKey, { token: reader.token });
    const cp = rtClient(stack.apiUrl, stack.anonKey);
    const gotPriv = collector<{ event: string; payload: Record<string, unknown> }>();
    const gotPub = collector<{ event: string; payload: unknown }>();
    await subscribe(cr.channel(topic, { config: { private: true } }).on("broadcast", { event: "*" }, gotPriv.push as never));
    await subscribe(cp.channel(topic).on("broadcast", { event: "*" }, gotPub.push));
    const sql = db(stack);
    await sql`select realtime.send(${sql.json({ from: "sql" })}, 'db-event', ${topic}, true)`;
    await sql`select realtime.send(${sql.json({ from: "sql-public" })}, 'db-public', ${topic}, false)`;
    await sql.unsafe(`insert into rt_fixtures.${items} (id, topic, label) values (1, $1, 'first')`, [topic]);
    await waitFor(() => gotPriv.items.length === 2 && gotPub.items.length === 1);
    expect(gotPriv.items[0]).toMatchObject({ event: "db-event", payload: { from: "sql" } });
    expect(gotPriv.items[1]).toMatchObject({ event: "INSERT", payload: { operation: "INSERT", table: items, schema: "rt_fixtures", record: { id: 1, label: "first" }, old_record: null } });
    expect(gotPub.items[0]).toMatchObject({ event: "db-public", payload: { from: "sql-public" } });
    // a rolled-back send is never delivered
    await sql.begin(async (tx) => {
      await tx`select realtime.send(${tx.json({ x: 1 })}, 'rolled-back', ${topic}, true)`;
      await tx`select realtime.send(${tx.json({ x: 2 })}, 'rolled-back', ${topic}, true)`;
      throw new Error("rollback");
    }).catch(() => undefined);
    await sql`select realtime.send(${sql.json({ last: true })}, 'after', ${topic}, true)`;
    await waitFor(() => gotPriv.items.length === 3);
    expect(gotPriv.items[2]!.event).toBe("after");
  });

  it("delivers, once, a realtime.send() made while its listener's connection was cut", async () => {
    const topic = `${prefix}:cut-${uniq("r")}`;
    const reader = await member(topic, false);
    const cr = rtClient(stack.apiUrl, stack.anonKey, { token: reader.token });
    const got = collector<{ event: string; payload: Record<string, unknown> }>();
    await subscribe(cr.channel(topic, { config: { private: true } }).on("broadcast", { event: "*" }, got.push as never));
    const sql = db(stack);
    // As a Postgres restart or a network blip would: the NOTIFY for this send reaches no listener.
    const cut = await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'local-supabase realtime.send() listener'`;
    expect(cut.length).toBeGreaterThan(0);
    await sql`select realtime.send(${sql.json({ n: 1 })}, 'while-cut', ${topic}, true)`;
    await waitFor(() => got.items.length >= 1, { timeout: 15_000 });
    await sql`select realtime.send(${sql.json({ n: 2 })}, 'after-cut', ${topic}, true)`;
    await waitFor(() => got.items.length >= 2, { timeout: 15_000 });
    expect(got.items.map((m) => m.event)).toEqual(["while-cut", "after-cut"]);
  });

  it("authorizes private REST broadcasts by the caller's policies; the service role bypasses", async () => {
    const topic = `${prefix}:rest-${uniq("r")}`;
    const reader = await member(topic, false);
    const writer = await member(topic, true);
    const cr = rtClient(stack.apiUrl, stack.anonKey, { token: reader.token });
    const got = collector<{ event: string }>();
    await subscribe(cr.channel(topic, { config: { private: true } }).on("broadcast", { event: "*" }, got.push as never));
    const post = (token: string) =>
      fetch(`${stack.apiUrl}/realtime/v1/api/broadcast`, {
        method: "POST",
        headers: { apikey: stack.anonKey, authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ topic, event: "rest", payload: { t: token.slice(-4) }, private: true }] }),
      });
    expect((await post(reader.token)).status).toBe(403);
    expect((await post(writer.token)).status).toBe(202);
    expect((await post(stack.serviceRoleKey)).status).toBe(202);
    await waitFor(() => got.items.length === 2);
  });
});
