/**
 * Realtime benchmark (not a test): `npm run bench:realtime` (= tsx bench/realtime.bench.ts).
 *
 * The servers (Postgres + our realtime server, and @hocuspocus/server for comparison) run in a child
 * process so the clients' CPU does not share their event loop; this machine has 2 cores, so the
 * numbers are for "server and all clients on one small box". Each scenario runs RUNS times; the
 * README gets the medians.
 */
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type RealtimeChannel } from "@supabase/supabase-js";
import ws from "ws";
import * as Y from "yjs";
import { SignJWT } from "jose";
import { HocuspocusProvider } from "@hocuspocus/provider";
import { DEFAULT_SEND_WINDOW_MS, SupabaseYjsProvider, type SupabaseLike } from "@review/shared/yjs/index";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** `quota` runs only the co-editing-within-quotas scenario (and rewrites only its section of the README). */
const ONLY = process.env.BENCH_ONLY ?? "";
/** Send windows for the quota scenario's trade-off curve (ms); ours is a leading-edge window, Hocuspocus's flushDelay a fixed batch. */
const WINDOWS = (process.env.BENCH_WINDOWS ?? "0,100,260,500").split(",").map(Number);
const QUOTA_EDITORS = Number(process.env.BENCH_QUOTA_EDITORS ?? 10);
const QUOTA_KEYS = Number(process.env.BENCH_QUOTA_KEYS ?? 50);
const QUOTA_BEGIN = "<!-- quota:begin -->";
const QUOTA_END = "<!-- quota:end -->";
const self = fileURLToPath(import.meta.url);

type ServerInfo = { apiUrl: string; anonKey: string; jwtSecret: string; hocuspocusUrl: string };

// ---------------------------------------------------------------- child: the servers
if (process.argv.includes("--server")) {
  const { startStandalone, teardown } = await import("../tests/realtime/standalone-setup.ts");
  const info = await startStandalone({ limits: { maxEventsPerSecond: 100_000 }, heartbeatTimeoutMs: 120_000 });
  const { Server } = await import("@hocuspocus/server");
  const hocus = new Server({ port: 0, quiet: true } as never);
  await hocus.listen();
  const hp = (hocus as unknown as { address: { port: number } }).address.port;
  process.send!({ type: "ready", info: { apiUrl: info.apiUrl, anonKey: info.anonKey, jwtSecret: info.jwtSecret, hocuspocusUrl: `ws://127.0.0.1:${hp}` } });
  process.on("message", async (m: { type: string }) => {
    if (m.type === "mem") {
      global.gc?.();
      process.send!({ type: "mem", rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed });
    }
    if (m.type === "stop") {
      await hocus.destroy();
      await teardown();
      process.exit(0);
    }
  });
} else {
  await main();
}

// ---------------------------------------------------------------- parent: the clients
async function main() {
  const child = fork(self, ["--server"], { execArgv: ["--import", "tsx", "--expose-gc"], stdio: "inherit" });
  const info = await new Promise<ServerInfo>((resolve) => child.once("message", (m: { info: ServerInfo }) => resolve(m.info)));
  const results: Record<string, number[]> = {};
  const record = (k: string, v: number) => (results[k] ??= []).push(v);
  const quota: Record<string, QuotaResult[]> = {};
  try {
    for (let run = 0; run < RUNS; run++) {
      console.log(`run ${run + 1}/${RUNS}`);
      for (const cfg of quotaConfigs()) {
        const r = await typingAtQuota(info, cfg);
        console.log(`  quota ${cfg.label}: sent ${fmt(r.sentPerSec)}/s, delivered ${fmt(r.deliveredPerSec)}/s, p50 ${fmt(r.p50)} ms, p95 ${fmt(r.p95)} ms, max in 1 s ${r.maxInOneSecond}, cursor before edit ${r.cursorBeforeEdit}`);
        (quota[cfg.label] ??= []).push(r);
      }
      if (ONLY === "quota") continue;
      for (const n of [50, 200]) {
        // Paced: the latency a subscriber sees at a realistic rate (50 broadcasts/s), not queueing.
        const paced = await fanout(info, n, 100, 20);
        console.log(`  fanout ${n} paced: p50 ${fmt(paced.p50)} ms, p95 ${fmt(paced.p95)} ms`);
        record(`fanout ${n} paced (50 msg/s) p50 ms`, paced.p50);
        record(`fanout ${n} paced (50 msg/s) p95 ms`, paced.p95);
        record(`fanout ${n} paced (50 msg/s) p99 ms`, paced.p99);
        // Burst: throughput with the sender flat out; latency here is mostly time spent queued.
        const r = await fanout(info, n, 200, 0);
        console.log(`  fanout ${n} burst: p50 ${fmt(r.p50)} ms, ${fmt(r.rate)} deliveries/s`);
        record(`fanout ${n} burst p50 ms`, r.p50);
        record(`fanout ${n} burst p95 ms`, r.p95);
        record(`fanout ${n} burst deliveries/s`, r.rate);
      }
      const co = await coedit(info, 20, 100);
      console.log(`  co-edit: p50 ${fmt(co.p50)} ms`);
      record("co-edit 20 editors p50 ms", co.p50);
      record("co-edit 20 editors p95 ms", co.p95);
      const hc = await coeditHocuspocus(info, 20, 100);
      console.log(`  hocuspocus co-edit: p50 ${fmt(hc.p50)} ms`);
      record("hocuspocus co-edit 20 editors p50 ms", hc.p50);
      record("hocuspocus co-edit 20 editors p95 ms", hc.p95);
      record("presence 100 joiners all-see-all ms", await presence(info, 100));
    }
    if (ONLY !== "quota") {
      const mem = await memoryPerConnection(info, child, 500);
      record("memory per idle connection (server heap) KiB", mem.heap / 1024);
    }
  } finally {
    child.send({ type: "stop" });
  }
  const quotaTable = quotaMarkdown(quota);
  console.log(quotaTable);
  let table: string | null = null;
  if (ONLY !== "quota") {
    const rows = Object.entries(results).map(([k, v]) => `| ${k} | ${fmt(median(v))} | ${v.map(fmt).join(", ")} |`);
    table = ["| metric | median | runs |", "| --- | --- | --- |", ...rows].join("\n");
    console.log(table);
  }
  writeReadme(table, quotaTable);
  process.exit(0);
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(2);
}
function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
function pct(v: number[], p: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
async function until(cond: () => boolean, timeoutMs = 60_000, what = "bench condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} timed out`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function client(info: ServerInfo, token?: string) {
  const c = createClient(info.apiUrl, info.anonKey, { auth: { persistSession: false }, realtime: { transport: ws as never } });
  if (token) void c.realtime.setAuth(token);
  return c;
}
async function userToken(info: ServerInfo, sub: string = crypto.randomUUID()): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: "authenticated", sub })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(info.jwtSecret));
}
function joined(ch: RealtimeChannel): Promise<RealtimeChannel> {
  return new Promise((res, rej) => ch.subscribe((s, e) => (s === "SUBSCRIBED" ? res(ch) : s !== "CLOSED" && rej(e ?? new Error(s)))));
}

async function fanout(info: ServerInfo, subscribers: number, messages: number, intervalMs: number) {
  const topic = `bench-${crypto.randomUUID()}`;
  const lat: number[] = [];
  const clients = Array.from({ length: subscribers + 1 }, () => client(info));
  await Promise.all(clients.slice(1).map((c) => joined(c.channel(topic).on("broadcast", { event: "t" }, (m) => lat.push(performance.now() - (m.payload as { t: number }).t)))));
  const sender = await joined(clients[0]!.channel(topic));
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) {
    await sender.send({ type: "broadcast", event: "t", payload: { t: performance.now(), i } });
    if (intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
    else if (i % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  await until(() => lat.length === subscribers * messages);
  const secs = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.removeAllChannels()));
  clients.forEach((c) => c.realtime.disconnect());
  return { p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), rate: lat.length / secs };
}

/** Keystrokes typed by editor 0 every 20 ms; latency until editor 1 has the character. */
async function coedit(info: ServerInfo, editors: number, keystrokes: number) {
  const docId = crypto.randomUUID();
  const eds = await Promise.all(
    Array.from({ length: editors }, async () => {
      const c = client(info, await userToken(info));
      const doc = new Y.Doc();
      const provider = new SupabaseYjsProvider(doc, c as unknown as SupabaseLike, { id: docId, persistence: false, sendWindowMs: 0 });
      return { c, doc, provider };
    }),
  );
  await until(() => eds.every((e) => e.provider.synced));
  return measureTyping(eds.map((e) => e.doc), keystrokes, async () => {
    eds.forEach((e) => e.provider.destroy());
    eds.forEach((e) => e.c.realtime.disconnect());
  });
}

async function coeditHocuspocus(info: ServerInfo, editors: number, keystrokes: number) {
  const name = crypto.randomUUID();
  const eds = Array.from({ length: editors }, () => {
    const doc = new Y.Doc();
    const provider = new HocuspocusProvider({ url: info.hocuspocusUrl, name, document: doc, WebSocketPolyfill: ws } as never);
    return { doc, provider };
  });
  await until(() => eds.every((e) => (e.provider as unknown as { isSynced: boolean }).isSynced), 30_000, "hocuspocus sync");
  return measureTyping(eds.map((e) => e.doc), keystrokes, async () => eds.forEach((e) => e.provider.destroy()));
}

async function measureTyping(docs: Y.Doc[], keystrokes: number, cleanup: () => Promise<void>) {
  const a = docs[0]!.getText("t");
  const b = docs[1]!.getText("t");
  const sentAt: number[] = [];
  const lat: number[] = [];
  b.observe(() => {
    while (lat.length < b.length && lat.length < sentAt.length) lat.push(performance.now() - sentAt[lat.length]!);
  });
  for (let i = 0; i < keystrokes; i++) {
    sentAt.push(performance.now());
    a.insert(a.length, "k");
    await new Promise((r) => setTimeout(r, 20));
  }
  await until(() => lat.length === keystrokes && docs.every((d) => d.getText("t").length === keystrokes), 30_000, "typing propagation");
  await cleanup();
  return { p50: pct(lat, 50), p95: pct(lat, 95) };
}

async function presence(info: ServerInfo, joiners: number): Promise<number> {
  const topic = `pres-${crypto.randomUUID()}`;
  const clients = Array.from({ length: joiners }, () => client(info));
  const t0 = performance.now();
  const chans = await Promise.all(
    clients.map(async (c, i) => {
      const ch = await joined(c.channel(topic, { config: { presence: { key: `u${i}` } } }).on("presence", { event: "sync" }, () => undefined));
      await ch.track({ i });
      return ch;
    }),
  );
  await until(() => chans.every((ch) => Object.keys(ch.presenceState()).length === joiners));
  const ms = performance.now() - t0;
  await Promise.all(clients.map((c) => c.removeAllChannels()));
  clients.forEach((c) => c.realtime.disconnect());
  return ms;
}

async function memoryPerConnection(info: ServerInfo, child: ChildProcess, n: number) {
  const mem = () => new Promise<{ rss: number; heap: number }>((r) => (child.once("message", r as never), child.send({ type: "mem" })));
  const before = await mem();
  const url = `${info.apiUrl.replace("http", "ws")}/realtime/v1/websocket?apikey=${info.anonKey}&vsn=2.0.0`;
  const sockets: ws[] = [];
  for (let i = 0; i < n; i++) {
    const s = new ws(url);
    await new Promise((r) => s.once("open", r));
    s.send(JSON.stringify(["1", "1", `realtime:idle-${i % 50}`, "phx_join", { config: { broadcast: {}, presence: { key: "" } } }]));
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 500));
  const after = await mem();
  sockets.forEach((s) => s.terminate());
  return { rss: (after.rss - before.rss) / n, heap: (after.heap - before.heap) / n };
}

// ---------------------------------------------------------------- co-editing within hosted Realtime quotas

type QuotaConfig = { label: string; kind: "ours" | "hocuspocus"; windowMs: number | false };
type QuotaResult = { sentPerSec: number; deliveredPerSec: number; maxInOneSecond: number; p50: number; p95: number; cursorBeforeEdit: number };
type Counts = { sent: number[]; received: number };

function quotaConfigs(): QuotaConfig[] {
  const out: QuotaConfig[] = [];
  for (const w of WINDOWS) out.push({ label: `ours, window ${w} ms${w === DEFAULT_SEND_WINDOW_MS ? " (default)" : ""}`, kind: "ours", windowMs: w });
  out.push({ label: "hocuspocus, no batching (default)", kind: "hocuspocus", windowMs: false });
  for (const w of WINDOWS.filter((w) => w > 0)) out.push({ label: `hocuspocus, flushDelay ${w} ms`, kind: "hocuspocus", windowMs: w });
  return out;
}

/** A key as an editor makes it: the text changes, then (same tick, as y-codemirror does) the cursor moves. */
function keystroke(doc: Y.Doc, awareness: { setLocalStateField(k: string, v: unknown): void }, ch: string): void {
  const t = doc.getText("t");
  t.insert(t.length, ch);
  // anchored to the character just typed (assoc -1), so a peer can place it only once it has that character
  awareness.setLocalStateField("cursor", { anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(t, t.length, -1)) });
}

/**
 * One editor of QUOTA_EDITORS types QUOTA_KEYS keys at 5 a second, each followed by a cursor move, as in
 * a browser. Messages the typist sends (what hosted Realtime counts as sent by the client) and messages
 * the other editors receive (delivered), per second of typing; propagation until editor 1 has each key;
 * and how many of editor 1's cursor updates arrived before the character they point at.
 */
async function typingAtQuota(info: ServerInfo, cfg: QuotaConfig): Promise<QuotaResult> {
  const counts: Counts[] = Array.from({ length: QUOTA_EDITORS }, () => ({ sent: [], received: 0 }));
  const docs: Y.Doc[] = [];
  const awarenesses: import("y-protocols/awareness").Awareness[] = [];
  let cleanup: () => Promise<void>;
  if (cfg.kind === "ours") {
    const docId = crypto.randomUUID();
    const eds = await Promise.all(
      counts.map(async (n) => {
        const sub = crypto.randomUUID();
        const c = client(info, await userToken(info, sub));
        const doc = new Y.Doc();
        const provider = new SupabaseYjsProvider(doc, countingClient(c, n), { id: docId, persistence: false, userId: sub, sendWindowMs: cfg.windowMs as number });
        provider.awareness.setLocalStateField("user", { name: sub.slice(0, 6) });
        return { c, doc, provider };
      }),
    );
    await until(() => eds.every((e) => e.provider.synced && e.provider.awareness.getStates().size === QUOTA_EDITORS), 60_000, "our editors in the room");
    docs.push(...eds.map((e) => e.doc));
    awarenesses.push(...eds.map((e) => e.provider.awareness));
    cleanup = async () => {
      eds.forEach((e) => e.provider.destroy());
      await new Promise((r) => setTimeout(r, 50));
      eds.forEach((e) => e.c.realtime.disconnect());
    };
  } else {
    const name = crypto.randomUUID();
    const eds = counts.map((n) => {
      const doc = new Y.Doc();
      const provider = new HocuspocusProvider({
        url: info.hocuspocusUrl,
        name,
        document: doc,
        WebSocketPolyfill: countingWs(n),
        ...(cfg.windowMs ? { flushDelay: cfg.windowMs } : {}),
      } as never);
      provider.awareness!.setLocalStateField("user", { name: "h" });
      return { doc, provider };
    });
    await until(() => eds.every((e) => e.provider.isSynced && e.provider.awareness!.getStates().size === QUOTA_EDITORS), 60_000, "hocuspocus editors in the room");
    docs.push(...eds.map((e) => e.doc));
    awarenesses.push(...eds.map((e) => e.provider.awareness!));
    cleanup = async () => eds.forEach((e) => e.provider.destroy());
  }
  // Let the joins' traffic settle before counting.
  await new Promise((r) => setTimeout(r, 600));

  const typist = docs[0]!;
  const watcher = docs[1]!.getText("t");
  const typedAt: number[] = [];
  const lat: number[] = [];
  watcher.observe(() => {
    while (lat.length < watcher.length && lat.length < typedAt.length) lat.push(performance.now() - typedAt[lat.length]!);
  });
  let cursorBeforeEdit = 0;
  const typistId = typist.clientID;
  awarenesses[1]!.on("change", ({ added, updated }: { added: number[]; updated: number[] }) => {
    if (![...added, ...updated].includes(typistId)) return;
    const anchor = awarenesses[1]!.getStates().get(typistId)?.cursor?.anchor;
    if (anchor && !Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(anchor), docs[1]!)) cursorBeforeEdit++;
  });
  const sentBefore = counts[0]!.sent.length;
  const receivedBefore = counts.slice(1).reduce((a, n) => a + n.received, 0);
  const t0 = performance.now();
  for (let i = 0; i < QUOTA_KEYS; i++) {
    // 5 keys a second, on a schedule rather than after a fixed sleep, so a late timer does not slow the typist
    const due = t0 + i * 200;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    typedAt.push(performance.now());
    keystroke(typist, awarenesses[0]!, "k");
  }
  await until(() => docs.every((d) => d.getText("t").length === QUOTA_KEYS), 30_000, "every key everywhere");
  // what a window still holds (a trailing cursor) goes out within it
  await new Promise((r) => setTimeout(r, (cfg.windowMs || 0) + 300));
  const typingSeconds = (QUOTA_KEYS * 200) / 1000;
  const sent = counts[0]!.sent.slice(sentBefore);
  const delivered = counts.slice(1).reduce((a, n) => a + n.received, 0) - receivedBefore;
  let maxInOneSecond = 0;
  for (const at of sent) maxInOneSecond = Math.max(maxInOneSecond, sent.filter((x) => x >= at && x < at + 1000).length);
  await cleanup();
  return { sentPerSec: sent.length / typingSeconds, deliveredPerSec: delivered / typingSeconds, maxInOneSecond, p50: pct(lat, 50), p95: pct(lat, 95), cursorBeforeEdit };
}

/** supabase-js as the provider uses it, counting the broadcasts each editor sends and receives. */
function countingClient(c: ReturnType<typeof client>, n: Counts): SupabaseLike {
  return {
    rpc: c.rpc.bind(c) as never,
    removeChannel: (ch) => c.removeChannel(ch as never),
    channel: (topic, opts) => {
      const ch = c.channel(topic, opts as never);
      const send = ch.send.bind(ch);
      ch.send = ((m: { type: string }) => {
        if (m.type === "broadcast") n.sent.push(performance.now());
        return send(m as never);
      }) as never;
      const on = ch.on.bind(ch) as (...a: unknown[]) => RealtimeChannel;
      ch.on = ((type: string, filter: unknown, cb: (m: unknown) => void) =>
        on(type, filter, type === "broadcast" ? (m: unknown) => (n.received++, cb(m)) : cb)) as never;
      return ch as never;
    },
  };
}

/** A WebSocket class for one HocuspocusProvider that counts the frames it sends and receives. */
function countingWs(n: Counts) {
  return class extends ws {
    constructor(...args: ConstructorParameters<typeof ws>) {
      super(...args);
      this.on("message", () => n.received++);
    }
    override send(...args: unknown[]): void {
      n.sent.push(performance.now());
      (super.send as (...a: unknown[]) => void)(...args);
    }
  };
}

function quotaMarkdown(quota: Record<string, QuotaResult[]>): string {
  const m = (rs: QuotaResult[], f: (r: QuotaResult) => number) => fmt(median(rs.map(f)));
  const all = (rs: QuotaResult[], f: (r: QuotaResult) => number) => rs.map((r) => fmt(f(r))).join(", ");
  const rows = Object.entries(quota).map(
    ([label, rs]) =>
      `| ${label} | ${m(rs, (r) => r.sentPerSec)} | ${m(rs, (r) => r.maxInOneSecond)} | ${m(rs, (r) => r.deliveredPerSec)} | ${m(rs, (r) => r.p50)} | ${m(rs, (r) => r.p95)} | ${rs.reduce((a, r) => a + r.cursorBeforeEdit, 0)} | ${all(rs, (r) => r.sentPerSec)} / ${all(rs, (r) => r.p95)} |`,
  );
  return [
    `| provider, window | sent/s per typing editor | most sent in any 1 s | delivered/s (to ${QUOTA_EDITORS - 1} peers) | p50 ms | p95 ms | cursors before their edit (all runs) | runs: sent/s / p95 |`,
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

function writeReadme(table: string | null, quotaTable: string) {
  const file = path.join(path.dirname(self), "README-realtime.md");
  const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const quota = `${QUOTA_BEGIN}
## Co-editing within hosted Realtime quotas

\`BENCH_ONLY=quota npm run bench:realtime\` (also part of the full run), measured ${new Date().toISOString().slice(0, 10)}: ${QUOTA_EDITORS} editors in one
document, one of them types ${QUOTA_KEYS} keys at 5 a second, each followed by a cursor move in the same tick (as y-codemirror does).
Sent: broadcasts (ours) or websocket frames (Hocuspocus) the typist sends while typing, per second of typing. Delivered: what the
other ${QUOTA_EDITORS - 1} editors receive, per second. Propagation: key typed → editor 1 has it. Cursors before their edit: editor 1's
cursor updates for the typist that pointed at a character it did not have yet. Ours: a leading-edge send window (a change after a
quiet spell goes at once; while typing goes on, one message per window with the edits and the cursor). Hocuspocus 4.8's
\`flushDelay\`: a fixed batch (the first change waits too), edits and awareness as two messages. Medians of ${RUNS} runs.

${quotaTable}
${QUOTA_END}`;
  if (table === null) {
    // quota only: keep the rest of the file as it is
    const i = old.indexOf(QUOTA_BEGIN);
    const j = old.indexOf(QUOTA_END);
    const next = i >= 0 && j > i ? old.slice(0, i) + quota + old.slice(j + QUOTA_END.length) : `${old.trimEnd()}\n\n${quota}\n`;
    fs.writeFileSync(file, next);
    return;
  }
  const text = `## Realtime

\`npm run bench:realtime\` (\`tsx bench/realtime.bench.ts\`), measured ${new Date().toISOString().slice(0, 10)} on this 2-core box with
server (Postgres + realtime server, and @hocuspocus/server for the comparison, in one child process) and all clients (supabase-js /
HocuspocusProvider over \`ws\`) on the same machine. Medians of ${RUNS} runs (per-run values after). Latencies are send → receive in ms.

- fan-out: 1 sender, N subscribers each on its own socket (all in one client process). Paced: 100 broadcasts, one every 20 ms
  (latency as a subscriber sees it). Burst: 200 broadcasts back to back (deliveries/s = all receipts / wall time; latency is queueing).
- co-edit: 20 editors on one doc, editor A types one character every 20 ms (100 keystrokes), latency until editor B has it;
  ours = SupabaseYjsProvider over a private channel (sendWindowMs 0, no persistence), hocuspocus = HocuspocusProvider, same workload.
- presence: 100 sockets join one topic and track; time until every one of them sees all 100.
- memory: 500 idle sockets each joined to a channel; server heap growth (after a forced GC) divided by 500
  (RSS growth was within noise at this count, so it is not reported).

${table}

${quota}
`;
  fs.writeFileSync(file, text);
}
