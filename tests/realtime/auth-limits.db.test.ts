import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { StackInfo } from "@review/local-supabase";
import { closeClients, closeDb, collector, getStack, mintJwt, ownRealtime, rtClient, subscribe, uniq, waitFor, type OwnRealtime } from "./helpers.ts";

let stack: StackInfo;
let own: OwnRealtime;
beforeAll(async () => {
  stack = await getStack();
  own = await ownRealtime(stack, { limits: { maxEventsPerSecond: 20, maxPayloadBytes: 1024 } });
});
afterAll(async () => {
  await closeClients();
  await own?.close();
  await closeDb();
});

function rawSocket(apiUrl: string, apikey: string, vsn = "2.0.0"): WebSocket {
  return new WebSocket(`${apiUrl.replace("http", "ws")}/realtime/v1/websocket?apikey=${encodeURIComponent(apikey)}&vsn=${vsn}`);
}

describe("tokens (SPEC A1, A2)", () => {
  it("refuses a join with an expired token, with Supabase's reason", async () => {
    const expired = await mintJwt(stack, {}, -30);
    const c = rtClient(stack.apiUrl, stack.anonKey, { token: expired.token });
    await expect(subscribe(c.channel(uniq("exp")))).rejects.toThrow(/InvalidJWTToken: Token has expired \d+ seconds ago/);
  });

  it("refuses a join with a token signed by another secret", async () => {
    const forged = await mintJwt({ jwtSecret: "another-secret-another-secret-another-secret" });
    const c = rtClient(stack.apiUrl, stack.anonKey, { token: forged.token });
    await expect(subscribe(c.channel(uniq("forged")))).rejects.toThrow(/InvalidJWTToken/);
  });

  it("refuses the websocket upgrade for a bad apikey", async () => {
    const ws = rawSocket(stack.apiUrl, "garbage");
    const status = await new Promise<number>((resolve) => {
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => undefined);
    });
    expect(status).toBe(403);
  });

  it("closes a channel refreshed with an expired access_token, telling it why", async () => {
    const u = await mintJwt(stack);
    const c = rtClient(stack.apiUrl, stack.anonKey, { token: u.token });
    const system = collector<{ status: string; message: string }>();
    const ch = await subscribe(c.channel(uniq("refresh")).on("system", {}, system.push as never));
    const fresh = await mintJwt(stack, { sub: u.sub });
    await c.realtime.setAuth(fresh.token);
    const expired = await mintJwt(stack, { sub: u.sub }, -5);
    await c.realtime.setAuth(expired.token);
    await waitFor(() => system.items.some((s) => s.status === "error" && /expired/.test(s.message)));
    await waitFor(() => ch.state === "closed");
  });
});

describe("limits (SPEC L1-L3)", () => {
  it("disconnects a client sending garbage frames while others keep working", async () => {
    const a = rtClient(own.apiUrl, stack.anonKey);
    const b = rtClient(own.apiUrl, stack.anonKey, { vsn: "1.0.0" });
    const topic = uniq("garbage");
    const got = collector<{ payload: { i: number } }>();
    const chA = await subscribe(a.channel(topic));
    await subscribe(b.channel(topic).on("broadcast", { event: "tick" }, got.push as never));

    const bad = rawSocket(own.apiUrl, stack.anonKey);
    await new Promise((r) => bad.once("open", r));
    const closed = new Promise<number>((r) => bad.once("close", (code) => r(code)));
    bad.send("{{{ not json");
    bad.send(Buffer.from([9, 9, 9]));
    expect(await closed).toBe(1007);

    const bin = rawSocket(own.apiUrl, stack.anonKey);
    await new Promise((r) => bin.once("open", r));
    const closedBin = new Promise<number>((r) => bin.once("close", (code) => r(code)));
    bin.send(Buffer.from([3, 200, 200, 200, 200, 200, 1, 1])); // lengths beyond the frame
    expect(await closedBin).toBe(1007);

    for (let i = 0; i < 5; i++) await chA.send({ type: "broadcast", event: "tick", payload: { i } });
    await waitFor(() => got.items.length === 5);
    expect(got.items.map((m) => m.payload.i)).toEqual([0, 1, 2, 3, 4]);
  });

  it("refuses an oversized payload with a PayloadTooLarge error", async () => {
    const a = rtClient(own.apiUrl, stack.anonKey);
    const system = collector<{ status: string; message: string }>();
    const ch = await subscribe(a.channel(uniq("big"), { config: { broadcast: { ack: true } } }).on("system", {}, system.push as never));
    expect(await ch.send({ type: "broadcast", event: "big", payload: { blob: "x".repeat(5000) } })).toBe("error");
    await waitFor(() => system.items.some((s) => s.message === "Payload too large"));
    expect(await ch.send({ type: "broadcast", event: "small", payload: { ok: true } })).toBe("ok");
  });

  it("answers a flood with RateLimitExceeded and finally closes the flooding socket only", async () => {
    const topic = uniq("flood");
    const watcher = rtClient(own.apiUrl, stack.anonKey);
    const got = collector();
    await subscribe(watcher.channel(topic).on("broadcast", { event: "*" }, got.push));
    const ws = rawSocket(own.apiUrl, stack.anonKey);
    await new Promise((r) => ws.once("open", r));
    const errors: string[] = [];
    let joined = false;
    ws.on("message", (d, isBinary) => {
      if (isBinary) return;
      const [, ref, , event, payload] = JSON.parse(d.toString()) as [string, string, string, string, { status: string; response: { reason?: string } }];
      if (event === "phx_reply" && ref === "j") joined = payload.status === "ok";
      if (event === "phx_reply" && payload.status === "error") errors.push(payload.response.reason ?? "");
    });
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    ws.send(JSON.stringify(["j", "j", `realtime:${topic}`, "phx_join", { config: { broadcast: { ack: true } } }]));
    await waitFor(() => joined);
    for (let i = 0; i < 200 && ws.readyState === ws.OPEN; i++) {
      ws.send(JSON.stringify(["j", String(i), `realtime:${topic}`, "broadcast", { type: "broadcast", event: "spam", payload: { i } }]));
    }
    expect(await closed).toBe(1008);
    expect(errors.some((e) => e.startsWith("RateLimitExceeded"))).toBe(true);
    // the burst allowance got through, the rest did not
    await waitFor(() => got.items.length >= 20);
    expect(got.items.length).toBeLessThan(60);
    expect(own.server.stats().connections).toBeGreaterThanOrEqual(1);
  });
});
