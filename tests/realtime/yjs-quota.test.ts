import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import { DEFAULT_SEND_WINDOW_MS, Throttle, type UnsentStore } from "@review/shared/yjs/index";
import { MSG_SYNC, SECTION_AWARENESS, WIRE_VERSION, encodeUpdate, readSections } from "@review/shared/yjs/wire";
import { mintJwt, uniq, waitFor } from "./helpers.ts";
import { dropSocket, yjsEnv, type Editor, type YjsEnv } from "./yjs-env.ts";

/**
 * Co-editing within hosted Realtime's quotas (issue 17, item 7): hosted Realtime bills per message and
 * caps a project's messages (and, lower, its presence messages) per second. These tests hold the
 * provider's sending rules as behaviour; how fast edits arrive at that rate is bench:realtime's.
 */

describe("the send window (Throttle)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends the first change at once, then at most one message per window while typing goes on, and holds none longer than the window", async () => {
    vi.useFakeTimers();
    const runs: number[] = [];
    const t = new Throttle(() => runs.push(Date.now()), DEFAULT_SEND_WINDOW_MS, () => Date.now());
    const typedAt: number[] = [];
    // 10 s of typing at 5 keys a second
    for (let i = 0; i < 50; i++) {
      typedAt.push(Date.now());
      t.request();
      await vi.advanceTimersByTimeAsync(200);
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs[0]).toBe(typedAt[0]); // the first key went at once
    expect(runs.length).toBeLessThanOrEqual(40); // < 4 a second over the 10 s
    for (let i = 0; i < runs.length; i++) expect(runs.filter((r) => r >= runs[i]! && r < runs[i]! + 1000).length).toBeLessThanOrEqual(4);
    // every key went out within one window of being typed
    for (const at of typedAt) expect(runs.find((r) => r >= at)! - at).toBeLessThanOrEqual(DEFAULT_SEND_WINDOW_MS);
  });

  it("after a pause the next change goes at once again", async () => {
    vi.useFakeTimers();
    const runs: number[] = [];
    const t0 = Date.now();
    const t = new Throttle(() => runs.push(Date.now() - t0), 260, () => Date.now());
    t.request();
    await vi.advanceTimersByTimeAsync(100);
    t.request();
    await vi.advanceTimersByTimeAsync(2000);
    const pausedAt = Date.now() - t0;
    t.request();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([0, 260, pausedAt]);
  });

  it("with a window of 0, sends what one tick changed as one message and every tick's at once", async () => {
    let runs = 0;
    const t = new Throttle(() => runs++, 0);
    t.request();
    t.request();
    await Promise.resolve();
    expect(runs).toBe(1);
    t.request();
    await Promise.resolve();
    expect(runs).toBe(2);
  });

  it("runNow sends what is pending at once, and the next change waits for a new window", async () => {
    vi.useFakeTimers();
    const runs: number[] = [];
    const t0 = Date.now();
    const t = new Throttle(() => runs.push(Date.now() - t0), 1000, () => Date.now());
    t.request();
    await vi.advanceTimersByTimeAsync(10);
    t.request();
    t.runNow();
    expect(runs).toEqual([0, 10]);
    t.request();
    await vi.advanceTimersByTimeAsync(500);
    expect(runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(600);
    expect(runs).toEqual([0, 10, 1010]);
  });
});

describe("wire format (version 2)", () => {
  const edit = () => {
    const d = new Y.Doc();
    d.getText("t").insert(0, "hello");
    return { d, update: Y.encodeStateAsUpdate(d) };
  };

  it("an edit with its cursor is still a plain update to a version-1 reader", () => {
    const { d, update } = edit();
    const aw = new awarenessProtocol.Awareness(d);
    aw.setLocalStateField("cursor", { index: 5 });
    const frame = new Uint8Array(encodeUpdate(update, awarenessProtocol.encodeAwarenessUpdate(aw, [d.clientID])));
    // what the version-1 provider did with a message: kind, then y-protocols' reader, nothing more
    const old = new Y.Doc();
    const dec = decoding.createDecoder(frame);
    expect(decoding.readVarUint(dec)).toBe(MSG_SYNC);
    syncProtocol.readSyncMessage(dec, encoding.createEncoder(), old, "peer");
    expect(old.getText("t").toString()).toBe("hello");
    // and a version-2 reader finds the cursor after it
    const sections = readSections(dec);
    expect(sections?.version).toBe(WIRE_VERSION);
    const seen = new awarenessProtocol.Awareness(new Y.Doc());
    awarenessProtocol.applyAwarenessUpdate(seen, sections!.awareness!, "peer");
    expect(seen.getStates().get(d.clientID)).toEqual({ cursor: { index: 5 } });
    aw.destroy();
    seen.destroy();
  });

  it("a version-1 update has no sections, and a section of a later version is skipped", () => {
    const { update } = edit();
    const v1 = decoding.createDecoder(new Uint8Array(encodeUpdate(update, null)));
    decoding.readVarUint(v1);
    syncProtocol.readSyncMessage(v1, encoding.createEncoder(), new Y.Doc(), "peer");
    expect(readSections(v1)).toBeNull();

    const e = encoding.createEncoder();
    encoding.writeVarUint(e, MSG_SYNC);
    syncProtocol.writeUpdate(e, update);
    encoding.writeVarUint(e, WIRE_VERSION + 1);
    encoding.writeVarUint(e, 99); // a section this version does not know
    encoding.writeVarUint8Array(e, new Uint8Array([1, 2, 3]));
    encoding.writeVarUint(e, SECTION_AWARENESS);
    encoding.writeVarUint8Array(e, new Uint8Array([0]));
    const later = decoding.createDecoder(encoding.toUint8Array(e));
    decoding.readVarUint(later);
    syncProtocol.readSyncMessage(later, encoding.createEncoder(), new Y.Doc(), "peer");
    expect(readSections(later)).toEqual({ version: WIRE_VERSION + 1, awareness: new Uint8Array([0]) });
  });
});

describe("SupabaseYjsProvider within Realtime quotas (SPEC Y3, Y4, Y5)", () => {
  let env: YjsEnv;
  beforeAll(async () => {
    env = await yjsEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  /** A key as an editor makes it: the text changes, then (same tick) the cursor moves past the new character. */
  function keystroke(e: Editor, pos: number, ch: string): void {
    e.text.insert(pos, ch);
    // assoc -1: the cursor is anchored to the character just typed, so a peer can place it only once it has that character
    const anchor = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(e.text, pos + ch.length, -1));
    e.provider.awareness.setLocalStateField("cursor", { anchor });
  }

  async function pair(opts: { sendWindowMs?: number } = {}) {
    const docId = uniq("quota");
    const a = await env.editor(docId, "A", opts);
    // B joins after A is in: B then sees A's awareness only through A's answer to B's hello, so once
    // B sees A, A has nothing of the joins left to send (which would otherwise land among the counted messages).
    await waitFor(() => a.provider.synced, { message: "A in the room" });
    const b = await env.editor(docId, "B", opts);
    await waitFor(() => a.provider.awareness.getStates().has(b.doc.clientID) && b.provider.awareness.getStates().has(a.doc.clientID), { message: "both in the room" });
    return { docId, a, b };
  }

  /** Waits until `e` has sent nothing for longer than its window, so its next change starts a new one. */
  const quiet = (e: Editor) => waitFor(() => performance.now() - (e.sent.at(-1)?.at ?? 0) > e.provider.sendWindowMs + 20, { message: "a quiet window" });

  it("sends the first change at once, with its cursor, and holds the next ones for the window", async () => {
    const { a, b } = await pair();
    await quiet(a);
    const n = a.sent.length;
    keystroke(a, 0, "x");
    await Promise.resolve();
    expect(a.sent.slice(n)).toMatchObject([{ kind: 0, withAwareness: true }]); // same tick: one message, edit and cursor
    keystroke(a, 1, "y");
    keystroke(a, 2, "z");
    await Promise.resolve();
    expect(a.sent).toHaveLength(n + 1); // held
    await waitFor(() => b.text.toString() === "xyz");
    expect(a.sent.slice(n + 1)).toMatchObject([{ kind: 0, withAwareness: true }]); // both keys in one message
    expect(a.sent[n + 1]!.at - a.sent[n]!.at).toBeGreaterThanOrEqual(a.provider.sendWindowMs - 1);
  });

  it("a typing editor sends at most 4 messages a second, each edit with its cursor", async () => {
    const { a, b } = await pair();
    await quiet(a);
    const n = a.sent.length;
    const keys = 15;
    for (let i = 0; i < keys; i++) {
      keystroke(a, i, "k");
      await new Promise((r) => setTimeout(r, 200)); // workload: 5 keys a second
    }
    await waitFor(() => b.text.length === keys, { message: "every key arrived" });
    const msgs = a.sent.slice(n);
    expect(msgs.length).toBeLessThan(keys); // two per key before (edit, then cursor)
    for (let i = 0; i < msgs.length; i++) expect(msgs.filter((m) => m.at >= msgs[i]!.at && m.at < msgs[i]!.at + 1000).length).toBeLessThanOrEqual(4);
    expect(msgs.every((m) => m.kind === 0 && m.withAwareness)).toBe(true); // no cursor travels alone
  });

  it.each([{ sendWindowMs: 0 }, {}])("a cursor never arrives before the edit it follows (%o)", async (opts) => {
    const { a, b } = await pair(opts);
    let seen = 0;
    const early: string[] = [];
    b.provider.awareness.on("change", ({ added, updated }: { added: number[]; updated: number[] }) => {
      if (![...added, ...updated].includes(a.doc.clientID)) return;
      const anchor = b.provider.awareness.getStates().get(a.doc.clientID)?.cursor?.anchor;
      if (!anchor) return;
      seen++;
      const pos = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(anchor), b.doc);
      if (!pos) early.push(`cursor ${seen} arrived before its character (B has "${b.text.toString()}")`);
    });
    for (let i = 0; i < 30; i++) {
      keystroke(a, Math.floor(Math.random() * (a.text.length + 1)), String.fromCharCode(97 + (i % 26)));
      if (i % 3 === 2) await new Promise((r) => setTimeout(r, 15)); // workload: bursts of keys
    }
    await waitFor(() => b.text.toString() === a.text.toString() && seen > 0, { message: "B has every key" });
    expect(early).toEqual([]);
  });

  it("loses nothing when the editor leaves with changes waiting for the window", async () => {
    const { docId, a, b } = await pair();
    await quiet(a);
    keystroke(a, 0, "a");
    keystroke(a, 1, "b"); // same tick: goes with "a"
    await Promise.resolve();
    keystroke(a, 2, "c"); // waits for the window
    a.provider.destroy();
    await waitFor(() => b.text.toString() === "abc", { message: "the waiting edit was sent on leaving" });
    await waitFor(() => !b.provider.awareness.getStates().has(a.doc.clientID), { message: "A's cursor is gone" });
    await waitFor(async () => (await env.loadFromDb(docId)) === "abc", { message: "and stored" });
  });

  it("loses nothing when the socket drops with changes waiting for the window", async () => {
    const { docId, a, b } = await pair();
    await quiet(a);
    keystroke(a, 0, "a");
    await Promise.resolve();
    keystroke(a, 1, "b"); // waits for the window
    expect(dropSocket(a.client)).toBe(true);
    await waitFor(() => a.provider.status !== "connected", { message: "A noticed the drop" });
    keystroke(a, 2, "c"); // typed while away
    await waitFor(() => a.provider.status === "connected", { timeout: 15_000, message: "A is back" });
    await waitFor(() => b.text.toString() === "abc", { message: "B has what A typed before and during the drop" });
    await a.provider.whenPersisted();
    expect(await env.loadFromDb(docId)).toBe("abc");
  });

  it("edits kept when the page went away (offline, the request never finished) are stored by the next session", async () => {
    const docId = uniq("unload");
    let kept: Uint8Array | null = null;
    const unsent: UnsentStore = { load: () => kept, save: (u) => void (kept = u) };
    const me = await mintJwt(env.stack);
    const stored = env.sqlPersistence({ sub: me.sub, role: "authenticated" });
    // The network as this page sees it: once it is gone, an append never completes.
    let online = true;
    const persistence = { ...stored, append: (...args: Parameters<typeof stored.append>) => (online ? stored.append(...args) : new Promise<void>(() => undefined)) };
    const first = await env.editor(docId, "A", { unsent, persistence, as: { user: me.sub, token: me.token } });
    const b = await env.editor(docId, "B");
    await waitFor(() => first.provider.synced && b.provider.synced);
    keystroke(first, 0, "online ");
    await waitFor(() => b.text.toString() === "online ");
    await first.provider.whenPersisted();
    expect(kept).toBeNull(); // nothing is kept while everything is stored

    // Offline: the channel is gone and no append completes; then the tab closes.
    online = false;
    await first.provider.disconnect();
    keystroke(first, 7, "offline");
    first.provider.flush(); // pagehide
    first.provider.destroy();
    expect(kept).not.toBeNull();
    expect(await env.loadFromDb(docId)).toBe("online ");

    // The same user opens the document again.
    const again = await env.editor(docId, "A", { unsent, as: { user: me.sub, token: me.token } });
    await waitFor(() => b.text.toString() === "online offline", { message: "the kept edit reached the peer" });
    await waitFor(async () => (await env.loadFromDb(docId)) === "online offline", { message: "and the database" });
    await waitFor(() => kept === null, { message: "the kept copy is dropped once stored" });
    expect(again.text.toString()).toBe("online offline");
  });

  it("tracks its presence at most once a second, however often it rejoins", async () => {
    const { a, b } = await pair();
    await waitFor(() => b.provider.userOf(a.doc.clientID) === a.user, { message: "A present" });
    for (let i = 0; i < 3; i++) {
      await a.provider.disconnect();
      a.provider.connect();
      await waitFor(() => a.provider.status === "connected", { message: "rejoined" });
    }
    await waitFor(() => b.provider.userOf(a.doc.clientID) === a.user, { message: "present again after the last rejoin" });
    await waitFor(() => a.tracks.length >= 2);
    for (let i = 1; i < a.tracks.length; i++) expect(a.tracks[i]! - a.tracks[i - 1]!).toBeGreaterThanOrEqual(995);
  });
});
