import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { closeClients, closeDb, db, getStack, mintJwt, rtClient, subscribe, uniq, waitFor, type Vsn } from "./helpers.ts";

// SPEC R5, as the attack: on a private channel a user tracks a presence under a teammate's id, so that
// everyone's presence list (names and avatars come from the profile of the key) shows the teammate.
let stack: StackInfo;
const prefix = uniq("pkey");
const members = uniq("rt_pkey_members");

beforeAll(async () => {
  stack = await getStack();
  await db(stack).unsafe(`
    create schema if not exists rt_fixtures;
    grant usage on schema rt_fixtures to anon, authenticated, service_role;
    create table rt_fixtures.${members} (topic text not null, user_id uuid not null, primary key (topic, user_id));
    grant select on rt_fixtures.${members} to authenticated;
    create policy "members of ${prefix} topics can listen" on realtime.messages for select to authenticated
      using (realtime.topic() like '${prefix}:%' and exists (select 1 from rt_fixtures.${members} m where m.topic = realtime.topic() and m.user_id = (select auth.uid())));
    create policy "members of ${prefix} topics can be present" on realtime.messages for insert to authenticated
      with check (realtime.topic() like '${prefix}:%' and exists (select 1 from rt_fixtures.${members} m where m.topic = realtime.topic() and m.user_id = (select auth.uid())));
  `);
});
afterAll(async () => {
  await closeClients();
  await db(stack).unsafe(`drop policy "members of ${prefix} topics can listen" on realtime.messages; drop policy "members of ${prefix} topics can be present" on realtime.messages;`);
  await closeDb();
});

async function member(topic: string) {
  const u = await mintJwt(stack);
  await db(stack).unsafe(`insert into rt_fixtures.${members} (topic, user_id) values ($1, $2)`, [topic, u.sub]);
  return u;
}

type Pres = Record<string, Record<string, unknown>[]>;

describe.each<Vsn>(["2.0.0", "1.0.0"])("presence keys on private channels over vsn %s (SPEC R5)", (vsn) => {
  it("refuses a presence key that is not the caller's user id, with Supabase's Unauthorized reason", async () => {
    const topic = `${prefix}:room-${uniq("r")}`;
    const victim = await member(topic);
    const attacker = await member(topic);
    // supabase-js hands back an existing channel of the same topic, so each attempt is a client of its own.
    const as = (key: string) =>
      subscribe(rtClient(stack.apiUrl, stack.anonKey, { vsn, token: attacker.token }).channel(topic, { config: { private: true, presence: { key } } }).on("presence", { event: "sync" }, () => undefined));
    await expect(as(victim.sub)).rejects.toThrow(/^Unauthorized: The presence key must be your user id/);
    await expect(as("Ann from Support")).rejects.toThrow(/^Unauthorized: /);

    // Under its own id it is admitted, and that is the key everyone sees.
    const watcher = rtClient(stack.apiUrl, stack.anonKey, { vsn, token: victim.token });
    const chW = await subscribe(watcher.channel(topic, { config: { private: true, presence: { key: victim.sub } } }).on("presence", { event: "sync" }, () => undefined));
    const own = await as(attacker.sub);
    expect(await own.track({ viewing: "f1" })).toBe("ok");
    await waitFor(() => Object.keys(chW.presenceState()).includes(attacker.sub));
    expect(Object.keys(chW.presenceState() as Pres)).not.toContain(victim.sub);
  });

  it("leaves a key the server chose, public channels and the service role as they are on Supabase", async () => {
    const topic = `${prefix}:open-${uniq("r")}`;
    const u = await member(topic);
    // No key chosen: the server's random key impersonates nobody.
    const c = rtClient(stack.apiUrl, stack.anonKey, { vsn, token: u.token });
    const ch = await subscribe(c.channel(topic, { config: { private: true } }).on("presence", { event: "sync" }, () => undefined));
    expect(await ch.track({ x: 1 })).toBe("ok");
    await waitFor(() => Object.keys(ch.presenceState()).length === 1);
    expect(Object.keys(ch.presenceState())[0]).toMatch(/^[0-9a-f-]{36}$/);
    // Public channels: any key.
    const pub = await subscribe(c.channel(uniq("pkey-public"), { config: { presence: { key: "anything" } } }).on("presence", { event: "sync" }, () => undefined));
    expect(await pub.track({ x: 1 })).toBe("ok");
    // The service role acts for the platform.
    const svc = rtClient(stack.apiUrl, stack.serviceRoleKey, { vsn });
    const chS = await subscribe(svc.channel(topic, { config: { private: true, presence: { key: "bot" } } }).on("presence", { event: "sync" }, () => undefined));
    expect(await chS.track({ bot: true })).toBe("ok");
    await waitFor(() => Object.keys(ch.presenceState()).includes("bot"));
  });
});
