import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import type { StackInfo } from "@review/local-supabase";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { closeClients, closeDb, collector, db, getStack, mintJwt, ownRealtime, rtClient, subscribe, uniq, waitFor, type OwnRealtime, type Vsn } from "./helpers.ts";

// SPEC A4, as the attack: a member removed from an organization keeps a private channel of it open and
// waits for the next message. Supabase's hosted Realtime would deliver until the client's next token
// refresh or the token's expiry; here the channel is closed as soon as the membership is gone.
let stack: StackInfo;
let own: OwnRealtime;
const prefix = uniq("reauth");
const members = uniq("rt_team"); // a membership table of this file's own: surrogate key, default replica identity

// The product schema (organizations, memberships, the org:<id> policies) exists on the full stack only;
// tests/realtime/vitest.config.ts runs these files on Postgres and the realtime server alone.
const stackInfo = await getStack();
const hasProduct = !!(await db(stackInfo)`select to_regclass('public.memberships') is not null as ok`)[0]?.ok;

beforeAll(async () => {
  stack = stackInfo;
  await db(stack).unsafe(`
    create schema if not exists rt_fixtures;
    grant usage on schema rt_fixtures to anon, authenticated, service_role;
    create table rt_fixtures.${members} (id uuid primary key default gen_random_uuid(), topic text not null, user_id uuid not null, unique (topic, user_id));
    grant select on rt_fixtures.${members} to authenticated;
    alter publication supabase_realtime add table rt_fixtures.${members};
    create policy "members of ${prefix} topics can listen" on realtime.messages for select to authenticated
      using (realtime.topic() like '${prefix}:%' and exists (select 1 from rt_fixtures.${members} m where m.topic = realtime.topic() and m.user_id = (select auth.uid())));
    create policy "members of ${prefix} topics can send" on realtime.messages for insert to authenticated
      with check (realtime.topic() like '${prefix}:%' and exists (select 1 from rt_fixtures.${members} m where m.topic = realtime.topic() and m.user_id = (select auth.uid())));
  `);
  own = await ownRealtime(stack, { reauthorizeOn: [`rt_fixtures.${members}`] });
});
afterAll(async () => {
  await closeClients();
  await own?.close();
  await db(stack).unsafe(`
    alter publication supabase_realtime drop table rt_fixtures.${members};
    drop policy "members of ${prefix} topics can listen" on realtime.messages;
    drop policy "members of ${prefix} topics can send" on realtime.messages;`);
  await closeDb();
});

type Frame = { topic?: string; event?: string; payload?: unknown };

/** Everything the server sends this client's socket, decoded by realtime-js. */
function wire(c: SupabaseClient): Frame[] {
  const frames: Frame[] = [];
  c.realtime.stateChangeCallbacks.message.push(["test-wire", (m: unknown) => frames.push(m as Frame)]);
  return frames;
}

/**
 * A heartbeat round trip: the server writes a socket's frames in order, so anything it sent this
 * socket before answering the heartbeat has arrived once the answer has.
 */
async function roundTrip(c: SupabaseClient): Promise<void> {
  let answered = false;
  c.realtime.onHeartbeat((status) => {
    if (status === "ok") answered = true;
  });
  await c.realtime.sendHeartbeat();
  await waitFor(() => answered, { message: "heartbeat answered" });
}

/** Joins a private channel and records what the app would see: broadcasts, system messages, the final status. */
async function join(c: SupabaseClient, topic: string) {
  const got = collector<{ payload: unknown }>();
  const system = collector<{ status: string; message: string; extension: string }>();
  const statuses: string[] = [];
  const ch: RealtimeChannel = c.channel(topic, { config: { private: true } }).on("broadcast", { event: "msg" }, got.push).on("system", {}, system.push as never);
  await new Promise<void>((resolve, reject) => {
    ch.subscribe((status, err) => {
      statuses.push(status);
      if (status === "SUBSCRIBED") resolve();
      else if (statuses.length === 1) reject(err ?? new Error(status));
    });
  });
  return { ch, got, system, statuses };
}

async function restBroadcast(apiUrl: string, topic: string, payload: unknown) {
  const res = await fetch(`${apiUrl}/realtime/v1/api/broadcast`, {
    method: "POST",
    headers: { "content-type": "application/json", apikey: stack.serviceRoleKey, authorization: `Bearer ${stack.serviceRoleKey}` },
    body: JSON.stringify({ messages: [{ topic, event: "msg", payload, private: true }] }),
  });
  expect(res.status).toBe(202);
}

describe.each<Vsn>(["2.0.0", "1.0.0"])("a removed member's private channels over vsn %s (SPEC A4)", (vsn) => {
  it("closes the channel with Supabase's system error when the membership row is deleted; nothing more arrives", async () => {
    const topic = `${prefix}:room-${uniq("r")}`;
    const stays = await mintJwt(stack);
    const leaves = await mintJwt(stack);
    const sql = db(stack);
    await sql.unsafe(`insert into rt_fixtures.${members} (topic, user_id) values ($1, $2), ($1, $3)`, [topic, stays.sub, leaves.sub]);
    const cStay = rtClient(own.apiUrl, stack.anonKey, { vsn, token: stays.token });
    const cLeave = rtClient(own.apiUrl, stack.anonKey, { vsn, token: leaves.token });
    const stay = await join(cStay, topic);
    const leave = await join(cLeave, topic);
    const frames = wire(cLeave);

    await restBroadcast(own.apiUrl, topic, { n: 1 });
    await waitFor(() => stay.got.items.length === 1 && leave.got.items.length === 1, { message: "both members hear the first message" });

    await sql.unsafe(`delete from rt_fixtures.${members} where topic = $1 and user_id = $2`, [topic, leaves.sub]);
    await waitFor(() => leave.statuses.includes("CLOSED"), { message: "the removed member's channel is closed" });
    expect(leave.system.items).toContainEqual(
      expect.objectContaining({ extension: "system", status: "error", message: `You no longer have permission to read from this Channel topic: ${topic}` }),
    );
    const closedAt = frames.length;

    await restBroadcast(own.apiUrl, topic, { n: 2 });
    await waitFor(() => stay.got.items.length === 2, { message: "the remaining member hears the second message" });
    // The socket itself stays up, and carried nothing more for the topic.
    await roundTrip(cLeave);
    expect(frames.slice(closedAt).filter((f) => f.topic === `realtime:${topic}`)).toEqual([]);
    expect(leave.got.items).toHaveLength(1);

    // Joining again is refused, and a member who stays is not disturbed by re-checks.
    await expect(subscribe(cLeave.channel(topic, { config: { private: true } }))).rejects.toThrow(/Unauthorized: You do not have permissions to read/);
    expect(stay.statuses).toEqual(["SUBSCRIBED"]);
  });

  it("a join racing the removal is checked again", async () => {
    const topic = `${prefix}:race-${uniq("r")}`;
    const u = await mintJwt(stack);
    const sql = db(stack);
    await sql.unsafe(`insert into rt_fixtures.${members} (topic, user_id) values ($1, $2)`, [topic, u.sub]);
    const c = rtClient(own.apiUrl, stack.anonKey, { vsn, token: u.token });
    const joining = join(c, topic).catch((e: unknown) => e);
    await sql.unsafe(`delete from rt_fixtures.${members} where topic = $1 and user_id = $2`, [topic, u.sub]);
    const joined = await joining;
    if (joined instanceof Error) {
      expect(joined.message).toMatch(/Unauthorized/);
    } else {
      // Joined before the removal was seen: then it is closed like any other member's channel.
      await waitFor(() => (joined as Awaited<ReturnType<typeof join>>).statuses.includes("CLOSED"), { message: "the raced channel is closed" });
    }
  });
});

describe.skipIf(!hasProduct).each<Vsn>(["2.0.0", "1.0.0"])("the product's org:<id> channel over vsn %s (SPEC A4)", (vsn) => {
  let org: TestOrg;
  beforeAll(async () => {
    org = await createOrg(stack, `reauth-${vsn.replaceAll(".", "")}`);
  });

  it("an admin removes a reviewer: the reviewer's org channel closes and the next broadcast does not reach them", async () => {
    const topic = `org:${org.id}`;
    const cAdmin = rtClient(stack.apiUrl, stack.anonKey, { vsn, token: org.users.admin.accessToken });
    const cReviewer = rtClient(stack.apiUrl, stack.anonKey, { vsn, token: org.users.reviewer.accessToken });
    const cCurator = rtClient(stack.apiUrl, stack.anonKey, { vsn, token: org.users.curator.accessToken });
    const admin = await join(cAdmin, topic);
    const reviewer = await join(cReviewer, topic);
    const curator = await join(cCurator, topic);
    const frames = wire(cReviewer);

    expect(await admin.ch.send({ type: "broadcast", event: "msg", payload: { claim: 1 } })).toBe("ok");
    await waitFor(() => reviewer.got.items.length === 1 && curator.got.items.length === 1, { message: "members hear the first claim" });

    const removed = await org.users.admin.client.from("memberships").delete().eq("org_id", org.id).eq("user_id", org.users.reviewer.id).select();
    expect(removed.error).toBeNull();
    expect(removed.data).toHaveLength(1);
    await waitFor(() => reviewer.statuses.includes("CLOSED"), { message: "the removed reviewer's org channel is closed" });
    expect(reviewer.system.items).toContainEqual(expect.objectContaining({ status: "error", message: `You no longer have permission to read from this Channel topic: ${topic}` }));
    const closedAt = frames.length;

    expect(await admin.ch.send({ type: "broadcast", event: "msg", payload: { claim: 2 } })).toBe("ok");
    await waitFor(() => curator.got.items.length === 2, { message: "the curator hears the second claim" });
    await roundTrip(cReviewer);
    expect(frames.slice(closedAt).filter((f) => f.topic === `realtime:${topic}`)).toEqual([]);
    expect(reviewer.got.items).toHaveLength(1);
    expect(curator.statuses).toEqual(["SUBSCRIBED"]);
  });
});
