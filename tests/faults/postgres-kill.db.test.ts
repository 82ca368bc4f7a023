import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RealtimeChannel } from "@supabase/supabase-js";
import { startOwnStack } from "../helpers/own-stack.ts";
import { serviceClient, sql, waitFor } from "../helpers/stack.ts";

/**
 * Postgres killed with SIGKILL in the middle of a write load, as an OOM kill would: the gateway must stay
 * up, answer 503 in PostgREST's shape while the database is gone, restart Postgres by itself, and lose
 * no write it acknowledged. Realtime's replication stream and the LISTENs must come back with it.
 */
let stack: Awaited<ReturnType<typeof startOwnStack>>;

beforeAll(async () => {
  stack = await startOwnStack("faults-pg");
  const db = sql(stack);
  await db.unsafe(`
    create table public.fault_writes (writer int not null, seq int not null, note text, primary key (writer, seq));
    grant select, insert, update on public.fault_writes to service_role;
    alter publication supabase_realtime add table public.fault_writes;
  `);
  const admin = serviceClient(stack);
  // Served by both engines: a plain read (the fast path) and a count (lite), each after its schema reload.
  await waitFor(async () => (await admin.from("fault_writes").select("seq").limit(1)).status === 200, { message: "the new table served" });
  await waitFor(async () => (await admin.from("fault_writes").select("seq", { count: "exact", head: true })).status === 200, { message: "the new table served by lite" });
});

afterAll(async () => {
  await stack?.dispose();
});

function postmasterPid(): number {
  const pgData = fs.realpathSync(path.join(stack.dataDir, "postgres"));
  return Number(fs.readFileSync(path.join(pgData, "postmaster.pid"), "utf8").split("\n")[0]);
}

function subscribed(ch: RealtimeChannel): Promise<void> {
  return new Promise((resolve, reject) =>
    ch.subscribe((status, err) => {
      if (status === "SUBSCRIBED") resolve();
      else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") reject(err ?? new Error(status));
    }),
  );
}

describe("kill -9 of Postgres under a write load", () => {
  it("keeps the gateway up, answers 503 while it is down, restarts it, and loses no acknowledged write", async () => {
    const admin = serviceClient(stack);
    const changes: number[] = [];
    const live = admin.channel("fault-writes").on("postgres_changes", { event: "INSERT", schema: "public", table: "fault_writes" }, (m) => changes.push((m.new as { seq: number }).seq));
    const broadcasts: unknown[] = [];
    const topic = admin.channel("fault-topic").on("broadcast", { event: "after-restart" }, (m) => broadcasts.push(m.payload));
    await Promise.all([subscribed(live), subscribed(topic)]);

    const acked: Array<[number, number]> = [];
    const statuses = new Map<number, number>();
    const bodies503: Array<{ code?: string; message?: string }> = [];
    let killedAt = 0;
    let first503At = 0;
    let recoveredAt = 0;
    let stop = false;
    // Four writers, half through the fast path (a plain insert) and half through lite (an upsert).
    const writer = async (w: number) => {
      for (let seq = 0; !stop; seq++) {
        const row = { writer: w, seq, note: `w${w}` };
        const sentAt = Date.now();
        const res = w % 2 ? await admin.from("fault_writes").insert(row) : await admin.from("fault_writes").upsert(row, { onConflict: "writer,seq" });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 201) {
          acked.push([w, seq]);
          // Recovered: a write sent after the outage was seen is acknowledged.
          if (first503At && !recoveredAt && sentAt > first503At) recoveredAt = Date.now();
        } else {
          if (res.status === 503) {
            first503At ||= Date.now();
            bodies503.push(res.error as { code?: string; message?: string });
          }
          // A client backing off a little, as supabase-js users do on a 503.
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);

    await waitFor(() => acked.length >= 40, { timeout: 20_000, message: "writes before the kill" });
    const pid = postmasterPid();
    killedAt = Date.now();
    process.kill(pid, "SIGKILL");

    // While it is down: 503 with PostgREST's connection error, and the gateway itself answers.
    const down = await waitFor(async () => {
      const res = await fetch(`${stack.apiUrl}/rest/v1/fault_writes?select=seq&limit=1`, { headers: { apikey: stack.serviceRoleKey, authorization: `Bearer ${stack.serviceRoleKey}` } });
      return res.status === 503 ? ((await res.json()) as { code: string; message: string }) : null;
    }, { timeout: 10_000, interval: 5, message: "a 503 while Postgres is down" });
    expect(down.code).toMatch(/^PGRST00[01]$/);
    expect(down.message).toMatch(/Retrying the connection/);

    // Restarted by the supervisor; writes are acknowledged again.
    await waitFor(() => recoveredAt > 0 && acked.length >= 80, { timeout: 30_000, message: "writes acknowledged after the restart" });
    stop = true;
    await Promise.all(writers);
    console.log(`Postgres killed; writes acknowledged again ${recoveredAt - killedAt} ms later; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);

    expect([...statuses.keys()].sort()).toEqual([201, 503]);
    for (const b of bodies503) expect(b.code).toMatch(/^PGRST00[01]$/);
    expect(postmasterPid()).not.toBe(pid);

    // No acknowledged write lost.
    const rows = await sql(stack)<{ writer: number; seq: number }[]>`select writer, seq from public.fault_writes`;
    const stored = new Set(rows.map((r) => `${r.writer}:${r.seq}`));
    const lost = acked.filter(([w, s]) => !stored.has(`${w}:${s}`));
    expect(lost).toEqual([]);

    // REST answers again, through both engines.
    const read = await admin.from("fault_writes").select("writer, seq").eq("writer", 1).order("seq").limit(3);
    expect(read.error).toBeNull();
    expect(read.data).toHaveLength(3);
    expect((await admin.from("fault_writes").update({ note: "after" }).eq("writer", 0).eq("seq", 0)).status).toBe(204);

    // Realtime's replication stream resumed: an insert made now reaches the subscriber.
    const marker = 1_000_000;
    expect((await admin.from("fault_writes").insert({ writer: 9, seq: marker })).status).toBe(201);
    await waitFor(() => changes.includes(marker), { timeout: 15_000, message: "postgres_changes after the restart" });

    // The LISTENs are back: realtime.send() is delivered, and a table created now is served (pgrst reload).
    await sql(stack)`select realtime.send(${sql(stack).json({ ok: true })}, 'after-restart', 'fault-topic', false)`;
    await waitFor(() => broadcasts.length > 0, { timeout: 10_000, message: "realtime.send() after the restart" });
    await sql(stack).unsafe("create table public.fault_after (id int primary key); grant select on public.fault_after to service_role;");
    await waitFor(async () => (await admin.from("fault_after").select("id")).status === 200, { timeout: 10_000, message: "a table created after the restart served" });

    const health = await fetch(`${stack.apiUrl}/health`);
    expect(health.status).toBe(200);
    await admin.removeAllChannels();
  }, 120_000);
});
