import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { StackInfo } from "@review/local-supabase";
import { closeClients, closeDb, getStack, ownRealtime, rtClient, subscribe, uniq, waitFor, type OwnRealtime, type Vsn } from "./helpers.ts";

let stack: StackInfo;
let own: OwnRealtime;
beforeAll(async () => {
  stack = await getStack();
  own = await ownRealtime(stack, { heartbeatTimeoutMs: 600 });
});
afterAll(async () => {
  await closeClients();
  await own?.close();
  await closeDb();
});

type Pres = Record<string, { presence_ref: string; [k: string]: unknown }[]>;

describe.each<Vsn>(["2.0.0", "1.0.0"])("presence over vsn %s (SPEC R1-R3)", (vsn) => {
  it("syncs state to a late joiner, then joins and leaves as diffs", async () => {
    const topic = uniq("pres");
    const a = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const b = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const chA = a.channel(topic, { config: { presence: { key: "alice" } } });
    const leaves: string[] = [];
    chA.on("presence", { event: "leave" }, ({ key }) => leaves.push(key));
    await subscribe(chA.on("presence", { event: "sync" }, () => undefined));
    expect(await chA.track({ name: "Alice" })).toBe("ok");
    await waitFor(() => Object.keys(chA.presenceState()).length === 1);

    const chB = b.channel(topic, { config: { presence: { key: "bob" } } });
    await subscribe(chB.on("presence", { event: "sync" }, () => undefined));
    // b's presence_state already contains alice
    await waitFor(() => (chB.presenceState() as Pres).alice?.[0]?.name === "Alice");
    await chB.track({ name: "Bob" });
    await waitFor(() => Object.keys(chA.presenceState()).sort().join() === "alice,bob");
    const bob = (chA.presenceState() as Pres).bob!;
    expect(bob).toHaveLength(1);
    expect(bob[0]).toMatchObject({ name: "Bob" });
    expect(typeof bob[0]!.presence_ref).toBe("string");

    // re-track replaces the meta (one entry, new ref)
    await chB.track({ name: "Bobby" });
    await waitFor(() => (chA.presenceState() as Pres).bob?.[0]?.name === "Bobby");
    expect((chA.presenceState() as Pres).bob).toHaveLength(1);

    await chB.untrack();
    await waitFor(() => !(chA.presenceState() as Pres).bob);
    await chB.track({ name: "Bob again" });
    await waitFor(() => (chA.presenceState() as Pres).bob?.[0]?.name === "Bob again");
    await b.removeChannel(chB);
    await waitFor(() => !(chA.presenceState() as Pres).bob);
    expect(leaves.filter((k) => k === "bob").length).toBeGreaterThanOrEqual(2);
  });

  it("gives each channel a random key when none is configured", async () => {
    const topic = uniq("pres-anon");
    const a = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const b = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const chA = await subscribe(a.channel(topic).on("presence", { event: "sync" }, () => undefined));
    const chB = await subscribe(b.channel(topic).on("presence", { event: "sync" }, () => undefined));
    await chA.track({ who: "a" });
    await chB.track({ who: "b" });
    await waitFor(() => Object.keys(chA.presenceState()).length === 2 && Object.keys(chB.presenceState()).length === 2);
  });
});

describe("dropped sockets leave (SPEC R4)", () => {
  it("a closed socket leaves at once", async () => {
    const topic = uniq("drop-close");
    const watcher = rtClient(own.apiUrl, stack.anonKey);
    const chW = await subscribe(watcher.channel(topic).on("presence", { event: "sync" }, () => undefined));
    const raw = await rawJoinAndTrack(own.apiUrl, stack.anonKey, topic, "ghost");
    await waitFor(() => !!(chW.presenceState() as Pres).ghost);
    raw.terminate();
    await waitFor(() => !(chW.presenceState() as Pres).ghost, { timeout: 2000, message: "ghost left" });
  });

  it("a silent socket (no heartbeat, no FIN) is dropped within the heartbeat timeout", async () => {
    const topic = uniq("drop-silent");
    const watcher = rtClient(own.apiUrl, stack.anonKey, { heartbeatIntervalMs: 200 });
    const chW = await subscribe(watcher.channel(topic).on("presence", { event: "sync" }, () => undefined));
    const raw = await rawJoinAndTrack(own.apiUrl, stack.anonKey, topic, "silent");
    await waitFor(() => !!(chW.presenceState() as Pres).silent);
    const t0 = Date.now();
    // The raw client simply stops talking but keeps the TCP connection open.
    await waitFor(() => !(chW.presenceState() as Pres).silent, { timeout: 3000, message: "silent client left" });
    expect(Date.now() - t0).toBeLessThan(2500);
    // The watcher, which heartbeats, stays.
    expect(chW.state).toBe("joined");
    raw.terminate();
  });
});

/** A hand-rolled vsn 2.0.0 client: joins, tracks, and then never sends again. */
async function rawJoinAndTrack(apiUrl: string, apikey: string, topic: string, key: string): Promise<WebSocket> {
  const ws = new WebSocket(`${apiUrl.replace("http", "ws")}/realtime/v1/websocket?apikey=${apikey}&vsn=2.0.0`);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  const replies = new Map<string, unknown>();
  ws.on("message", (d, isBinary) => {
    if (isBinary) return;
    const [, ref, , event, payload] = JSON.parse(d.toString()) as [string, string, string, string, { status: string }];
    if (event === "phx_reply") replies.set(ref, payload);
  });
  const t = `realtime:${topic}`;
  ws.send(JSON.stringify(["1", "1", t, "phx_join", { config: { presence: { key, enabled: true }, broadcast: {}, postgres_changes: [] } }]));
  await waitFor(() => replies.has("1"));
  ws.send(JSON.stringify(["1", "2", t, "presence", { type: "presence", event: "track", payload: { raw: true } }]));
  await waitFor(() => replies.has("2"));
  return ws;
}
