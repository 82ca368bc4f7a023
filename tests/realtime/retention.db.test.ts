import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { closeDb, db, getStack, ownRealtime, uniq, type OwnRealtime } from "./helpers.ts";

let stack: StackInfo;
let own: OwnRealtime;
beforeAll(async () => {
  stack = await getStack();
  // Not started: start() prunes once by itself, and that could delete the test's old row before the
  // explicit call below does (a race CI lost). The pruning call itself needs no running server.
  own = await ownRealtime(stack, { messageRetentionHours: 24, deferStart: true });
});
afterAll(async () => {
  await own?.close();
  await closeDb();
});

describe("realtime.messages retention", () => {
  it("deletes messages past the retention and keeps the recent ones", async () => {
    const sql = db(stack);
    const topic = uniq("retention");
    await sql`insert into realtime.messages (topic, extension, payload, event, inserted_at)
      values (${topic}, 'broadcast', '{"n":1}', 'old', now() - interval '25 hours'),
             (${topic}, 'broadcast', '{"n":2}', 'recent', now() - interval '23 hours')`;
    expect(await own.server.pruneMessages()).toBeGreaterThanOrEqual(1);
    const left = await sql`select event from realtime.messages where topic = ${topic}`;
    expect(left.map((r) => r.event)).toEqual(["recent"]);
  });
});
