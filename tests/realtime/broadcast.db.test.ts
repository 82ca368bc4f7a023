import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { closeClients, collector, getStack, rtClient, subscribe, uniq, waitFor, type Vsn } from "./helpers.ts";

let stack: StackInfo;
beforeAll(async () => {
  stack = await getStack();
});
afterAll(closeClients);

describe.each<Vsn>(["2.0.0", "1.0.0"])("broadcast over vsn %s (SPEC B1-B3, P1-P3)", (vsn) => {
  it("delivers to other subscribers but not back to the sender by default", async () => {
    const topic = uniq("room");
    const a = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const b = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const gotA = collector();
    const gotB = collector<{ event: string; payload: unknown }>();
    const chA = await subscribe(a.channel(topic).on("broadcast", { event: "*" }, gotA.push));
    await subscribe(b.channel(topic).on("broadcast", { event: "cursor" }, gotB.push));
    expect(await chA.send({ type: "broadcast", event: "cursor", payload: { x: 1, y: 2 } })).toBe("ok");
    await waitFor(() => gotB.items.length === 1);
    expect(gotB.items[0]).toMatchObject({ type: "broadcast", event: "cursor", payload: { x: 1, y: 2 } });
    // The sender does not hear itself: a marker sent by b arrives at a after the first message would have.
    const chB = b.getChannels().find((c) => c.topic === `realtime:${topic}`)!;
    await chB.send({ type: "broadcast", event: "marker", payload: {} });
    await waitFor(() => gotA.items.length === 1);
    expect(gotA.items).toMatchObject([{ event: "marker" }]);
  });

  it("echoes to the sender with self and acknowledges with ack", async () => {
    const topic = uniq("self");
    const a = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const got = collector<{ payload: unknown }>();
    const ch = await subscribe(a.channel(topic, { config: { broadcast: { self: true, ack: true } } }).on("broadcast", { event: "ping" }, got.push));
    const res = await ch.send({ type: "broadcast", event: "ping", payload: { n: 42 } });
    expect(res).toBe("ok");
    await waitFor(() => got.items.length === 1);
    expect(got.items[0]!.payload).toEqual({ n: 42 });
  });

  it("filters by event name and keeps order", async () => {
    const topic = uniq("order");
    const a = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const b = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const got = collector<{ payload: { i: number } }>();
    const chA = await subscribe(a.channel(topic));
    await subscribe(b.channel(topic).on("broadcast", { event: "n" }, got.push as never));
    for (let i = 0; i < 20; i++) {
      await chA.send({ type: "broadcast", event: i % 2 ? "n" : "other", payload: { i } });
    }
    await waitFor(() => got.items.length === 10);
    expect(got.items.map((m) => m.payload.i)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  });

  it("delivers REST broadcasts (POST /realtime/v1/api/broadcast and httpSend)", async () => {
    const topic = uniq("rest");
    const b = rtClient(stack.apiUrl, stack.anonKey, { vsn });
    const got = collector<{ event: string; payload: unknown }>();
    await subscribe(b.channel(topic).on("broadcast", { event: "*" }, got.push));
    const res = await fetch(`${stack.apiUrl}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: { apikey: stack.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ topic, event: "from-rest", payload: { ok: true } }] }),
    });
    expect(res.status).toBe(202);
    const sender = rtClient(stack.apiUrl, stack.anonKey, { vsn }).channel(topic);
    await expect(sender.httpSend("from-httpsend", { v: 1 })).resolves.toEqual({ success: true });
    await waitFor(() => got.items.length === 2);
    expect(got.items).toMatchObject([
      { event: "from-rest", payload: { ok: true } },
      { event: "from-httpsend", payload: { v: 1 } },
    ]);
  });

  it("refuses a REST broadcast with a bad key", async () => {
    const res = await fetch(`${stack.apiUrl}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: { apikey: "not-a-jwt", authorization: "Bearer not-a-jwt", "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ topic: "x", event: "e", payload: {} }] }),
    });
    expect(res.status).toBe(401);
  });
});

describe("binary broadcast (vsn 2.0.0 only, SPEC P2/P3)", () => {
  it("carries ArrayBuffer payloads both ways as binary frames", async () => {
    const topic = uniq("bin");
    const a = rtClient(stack.apiUrl, stack.anonKey);
    const b = rtClient(stack.apiUrl, stack.anonKey);
    const got = collector<{ payload: ArrayBuffer }>();
    const chA = await subscribe(a.channel(topic));
    await subscribe(b.channel(topic).on("broadcast", { event: "bytes" }, got.push as never));
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await chA.send({ type: "broadcast", event: "bytes", payload: bytes.buffer });
    await waitFor(() => got.items.length === 1);
    expect(got.items[0]!.payload).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(got.items[0]!.payload)]).toEqual([0, 1, 2, 250, 255]);
  });

  it("lets a 1.0.0 client and a 2.0.0 client talk on one topic", async () => {
    const topic = uniq("mixed");
    const v1 = rtClient(stack.apiUrl, stack.anonKey, { vsn: "1.0.0" });
    const v2 = rtClient(stack.apiUrl, stack.anonKey, { vsn: "2.0.0" });
    const got1 = collector<{ payload: unknown }>();
    const got2 = collector<{ payload: unknown }>();
    const ch1 = await subscribe(v1.channel(topic).on("broadcast", { event: "m" }, got1.push));
    const ch2 = await subscribe(v2.channel(topic).on("broadcast", { event: "m" }, got2.push));
    await ch1.send({ type: "broadcast", event: "m", payload: { from: 1 } });
    await ch2.send({ type: "broadcast", event: "m", payload: { from: 2 } });
    await waitFor(() => got1.items.length === 1 && got2.items.length === 1);
    expect(got1.items[0]!.payload).toEqual({ from: 2 });
    expect(got2.items[0]!.payload).toEqual({ from: 1 });
  });
});
