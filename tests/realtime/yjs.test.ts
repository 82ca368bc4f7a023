import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactDoc } from "@review/shared/yjs/index";
import { mintJwt, uniq, waitFor } from "./helpers.ts";
import { dropSocket, yjsEnv, type Editor, type EditorOptions, type YjsEnv } from "./yjs-env.ts";

/** The provider on a database and a realtime server of its own (yjs-env.ts). */
let env: YjsEnv;
beforeAll(async () => {
  env = await yjsEnv();
});
afterAll(async () => {
  await env?.close();
});

const editor = (docId: string, name: string, opts?: EditorOptions): Promise<Editor> => env.editor(docId, name, opts);
const loadFromDb = (docId: string) => env.loadFromDb(docId);

describe("SupabaseYjsProvider (SPEC Y1-Y6)", () => {
  it("syncs two editors, sends deltas, shares awareness and removes it on leave", async () => {
    const docId = uniq("doc");
    const a = await editor(docId, "Ada");
    await waitFor(() => a.provider.synced);
    a.text.insert(0, "x".repeat(20_000));
    const b = await editor(docId, "Bo");
    await waitFor(() => b.text.length === 20_000, { message: "handshake brought the document" });
    await waitFor(() => a.provider.awareness.getStates().get(b.doc.clientID)?.user?.name === "Bo");
    await waitFor(() => b.provider.awareness.getStates().get(a.doc.clientID)?.user?.name === "Ada");
    // Who each client is comes from Realtime presence (key = the user's id, checked by the server).
    await waitFor(() => a.provider.userOf(b.doc.clientID) === b.user && b.provider.userOf(a.doc.clientID) === a.user, { message: "peers known by user id" });
    expect(a.provider.userOf(a.doc.clientID)).toBe(a.user);
    a.provider.awareness.setLocalStateField("cursor", { index: 5 });
    await waitFor(() => b.provider.awareness.getStates().get(a.doc.clientID)?.cursor?.index === 5);

    const before = a.sent.length;
    a.text.insert(10, "!");
    await waitFor(() => b.text.toString()[10] === "!");
    const keystroke = a.sent.slice(before);
    expect(Math.max(...keystroke.map((m) => m.bytes))).toBeLessThan(200); // a delta, not the 20 kB document

    await a.provider.disconnect();
    await waitFor(() => !b.provider.awareness.getStates().has(a.doc.clientID), { message: "awareness removed on leave" });
    await a.provider.whenPersisted();
    expect(await loadFromDb(docId)).toBe(a.text.toString());
  });

  it("shows a peer who has not touched its awareness yet, as the user it is present as", async () => {
    const docId = uniq("doc");
    const a = await editor(docId, "A", { anonymous: true });
    const b = await editor(docId, "B", { anonymous: true });
    // y-protocols ignores a state at its initial clock; the provider's own user id moves it on.
    await waitFor(() => a.provider.awareness.getStates().has(b.doc.clientID) && b.provider.awareness.getStates().has(a.doc.clientID), { message: "each sees the other's awareness" });
    expect(b.provider.awareness.getStates().get(a.doc.clientID)).toEqual({ user: { userId: a.user } });
    await waitFor(() => a.provider.userOf(b.doc.clientID) === b.user && b.provider.userOf(a.doc.clientID) === a.user, { message: "peers known by user id" });
  });

  it("resyncs edits made while disconnected, both ways", async () => {
    const docId = uniq("doc");
    const a = await editor(docId, "A");
    const b = await editor(docId, "B");
    await waitFor(() => a.provider.synced && b.provider.synced);
    a.text.insert(0, "hello");
    await waitFor(() => b.text.toString() === "hello");
    await b.provider.disconnect();
    b.text.insert(5, " offline");
    a.text.insert(0, ">> ");
    b.provider.connect();
    await waitFor(() => a.text.toString() === b.text.toString() && a.text.length === 16, { message: "converged" });
    await Promise.all([a.provider.whenPersisted(), b.provider.whenPersisted()]);
    expect(await loadFromDb(docId)).toBe(a.text.toString());
  });

  it("compaction concurrent with appends loses nothing and keeps authorship", async () => {
    const docId = uniq("doc");
    const a = await editor(docId, "A");
    const b = await editor(docId, "B");
    await waitFor(() => a.provider.synced && b.provider.synced);
    const compactor = env.sqlPersistence({ sub: (await mintJwt(env.stack)).sub, role: "authenticated" });
    let compactions = 0;
    for (let i = 0; i < 40; i++) {
      (i % 2 ? a : b).text.insert(0, String(i % 10));
      if (i % 5 === 0) void compactDoc(compactor, docId).then((r) => (compactions += r.compacted ? 1 : 0));
      await new Promise((r) => setTimeout(r, 3)); // pacing of the workload, not a wait for a result
    }
    await waitFor(() => a.text.toString() === b.text.toString() && a.text.length === 40);
    await Promise.all([a.provider.whenPersisted(), b.provider.whenPersisted()]);
    await compactDoc(compactor, docId);
    expect(await loadFromDb(docId)).toBe(a.text.toString());
    expect(compactions).toBeGreaterThan(0);
    const [snap] = await env.ydb`select authors from public.doc_snapshots where doc_id = ${docId} order by id desc limit 1`;
    expect([...(snap!.authors as string[])].sort()).toEqual([a.user, b.user].sort());
    const clients = await env.ydb`select client_id::text, author::text from public.doc_clients where doc_id = ${docId} order by author`;
    expect(clients.map((r) => [Number(r.client_id), r.author]).sort()).toEqual(
      [
        [a.doc.clientID, a.user],
        [b.doc.clientID, b.user],
      ].sort(),
    );
  });
});

/** Seeds that once failed stay here for good. */
const REGRESSION_SEEDS: number[] = [
  33, // a rejoin got supabase-js' still-registered old channel and never subscribed
];
// YJS_FUZZ_SEEDS=1-50 explores more seeds locally.
const extra = (process.env.YJS_FUZZ_SEEDS ?? "").split("-").map(Number);
const FUZZ_SEEDS = [...REGRESSION_SEEDS, 11, 22, ...(extra.length === 2 && extra.every(Number.isFinite) ? range(extra[0]!, extra[1]!) : [])];

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

describe("Yjs fuzz: 5 editors, concurrent edits, random disconnects (SPEC Y1-Y5)", () => {
  it.each(FUZZ_SEEDS)("seed %i converges to the text stored in the database", async (seed) => {
    const rand = mulberry32(seed);
    const docId = uniq(`fuzz${seed}`);
    const eds = await Promise.all(["a", "b", "c", "d", "e"].map((n) => editor(docId, n, { sendWindowMs: [0, 30, 260][Math.floor(rand() * 3)]! })));
    await waitFor(() => eds.every((e) => e.provider.synced));
    for (let step = 0; step < 150; step++) {
      const e = eds[Math.floor(rand() * eds.length)]!;
      const r = rand();
      if (r < 0.06) {
        if (e.provider.status === "disconnected") e.provider.connect();
        else void e.provider.disconnect();
      } else if (r < 0.08) {
        // a dropped socket (no leave): realtime-js reconnects and the channel rejoins
        dropSocket(e.client);
      } else if (r < 0.75 || e.text.length === 0) {
        const pos = Math.floor(rand() * (e.text.length + 1));
        e.text.insert(pos, String.fromCharCode(97 + Math.floor(rand() * 26)).repeat(1 + Math.floor(rand() * 3)));
      } else {
        const pos = Math.floor(rand() * e.text.length);
        e.text.delete(pos, Math.min(1 + Math.floor(rand() * 3), e.text.length - pos));
      }
      if (rand() < 0.3) await new Promise((res) => setTimeout(res, Math.floor(rand() * 8))); // workload pacing
    }
    for (const e of eds) if (e.provider.status === "disconnected") e.provider.connect();
    try {
      await waitFor(() => eds.every((e) => e.provider.status === "connected"), { timeout: 15_000, message: "all reconnected" });
      await waitFor(() => new Set(eds.map((e) => e.text.toString())).size === 1, { timeout: 15_000, message: `seed ${seed}: editors converge` });
      await Promise.all(eds.map((e) => e.provider.whenPersisted()));
      expect(await loadFromDb(docId)).toBe(eds[0]!.text.toString());
    } catch (err) {
      throw new Error(`fuzz seed ${seed} failed; add it to REGRESSION_SEEDS. ${(err as Error).message}`);
    } finally {
      for (const e of eds) e.provider.destroy();
    }
  }, 60_000);
});

function mulberry32(a: number): () => number {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
