// TEMP (helper, to be deleted): co-edit only, quick iteration. ROUNDS env.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient } from "@supabase/supabase-js";
import ws from "ws";
import * as Y from "yjs";
import { SignJWT } from "jose";
import { HocuspocusProvider } from "@hocuspocus/provider";
import { SupabaseYjsProvider, type SupabaseLike } from "@review/shared/yjs/index";
const self = fileURLToPath(import.meta.url);
type ServerInfo = { apiUrl: string; anonKey: string; jwtSecret: string; hocuspocusUrl: string };
if (process.argv.includes("--server")) {
  const { startStandalone, teardown } = await import("../tests/realtime/standalone-setup.ts");
  const info = await startStandalone({ limits: { maxEventsPerSecond: 100_000 }, heartbeatTimeoutMs: 120_000 });
  const { Server } = await import("@hocuspocus/server");
  const hocus = new Server({ port: 0, quiet: true } as never);
  await hocus.listen();
  const hp = (hocus as unknown as { address: { port: number } }).address.port;
  process.send!({ type: "ready", info: { apiUrl: info.apiUrl, anonKey: info.anonKey, jwtSecret: info.jwtSecret, hocuspocusUrl: `ws://127.0.0.1:${hp}` } });
  process.on("message", async (m: { type: string }) => { if (m.type === "stop") { await hocus.destroy(); await teardown(); process.exit(0); } });
} else {
  const serverArgs = process.env.SERVER_PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof-server"] : [];
  const child = fork(self, ["--server"], { execArgv: ["--import", "tsx", ...serverArgs], stdio: "inherit" });
  const info = await new Promise<ServerInfo>((resolve) => child.once("message", (m: { info: ServerInfo }) => resolve(m.info)));
  const rounds = Number(process.env.ROUNDS ?? 3);
  const ours: number[][] = [], hp: number[][] = [];
  for (let i = 0; i < rounds; i++) {
    const a = await coedit(info, 20, 100); ours.push([a.p50, a.p95]);
    if (!process.env.NO_HP) { const b = await coeditHocuspocus(info, 20, 100); hp.push([b.p50, b.p95]); }
    console.log(`round ${i}: ours ${ours[i]!.map((x) => x.toFixed(2))}  hp ${hp[i]?.map((x) => x.toFixed(2))}`);
  }
  const med = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
  console.log(`MEDIAN ours p50 ${med(ours.map((x) => x[0]!)).toFixed(2)} p95 ${med(ours.map((x) => x[1]!)).toFixed(2)} | hp p50 ${hp.length ? med(hp.map((x) => x[0]!)).toFixed(2) : "-"} p95 ${hp.length ? med(hp.map((x) => x[1]!)).toFixed(2) : "-"}`);
  child.send({ type: "stop" });
  await new Promise((r) => child.once("exit", r));
  process.exit(0);
}
function pct(v: number[], p: number) { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; }
async function until(cond: () => boolean, timeoutMs = 60_000) { const end = Date.now() + timeoutMs; while (!cond()) { if (Date.now() > end) throw new Error("timeout"); await new Promise((r) => setTimeout(r, 5)); } }
function client(info: ServerInfo, token?: string) { const c = createClient(info.apiUrl, info.anonKey, { auth: { persistSession: false }, realtime: { transport: ws as never } }); if (token) void c.realtime.setAuth(token); return c; }
async function userToken(info: ServerInfo) { const now = Math.floor(Date.now() / 1000); return new SignJWT({ role: "authenticated", sub: crypto.randomUUID() }).setProtectedHeader({ alg: "HS256" }).setIssuedAt(now).setExpirationTime(now + 3600).sign(new TextEncoder().encode(info.jwtSecret)); }
async function coedit(info: ServerInfo, editors: number, keystrokes: number) {
  const docId = crypto.randomUUID();
  const eds = await Promise.all(Array.from({ length: editors }, async () => { const c = client(info, await userToken(info)); const doc = new Y.Doc(); const provider = new SupabaseYjsProvider(doc, c as unknown as SupabaseLike, { id: docId, persistence: false, batchMs: 0 }); return { c, doc, provider }; }));
  await until(() => eds.every((e) => e.provider.synced));
  return measureTyping(eds.map((e) => e.doc), keystrokes, async () => { eds.forEach((e) => e.provider.destroy()); eds.forEach((e) => e.c.realtime.disconnect()); });
}
async function coeditHocuspocus(info: ServerInfo, editors: number, keystrokes: number) {
  const name = crypto.randomUUID();
  const eds = Array.from({ length: editors }, () => { const doc = new Y.Doc(); const provider = new HocuspocusProvider({ url: info.hocuspocusUrl, name, document: doc, WebSocketPolyfill: ws } as never); return { doc, provider }; });
  await until(() => eds.every((e) => (e.provider as unknown as { isSynced: boolean }).isSynced), 30_000);
  return measureTyping(eds.map((e) => e.doc), keystrokes, async () => eds.forEach((e) => e.provider.destroy()));
}
const LAT: number[][] = [];
async function measureTyping(docs: Y.Doc[], keystrokes: number, cleanup: () => Promise<void>) {
  const a = docs[0]!.getText("t"); const b = docs[1]!.getText("t"); const sentAt: number[] = []; const lat: number[] = [];
  b.observe(() => { while (lat.length < b.length && lat.length < sentAt.length) lat.push(performance.now() - sentAt[lat.length]!); });
  for (let i = 0; i < keystrokes; i++) { sentAt.push(performance.now()); a.insert(a.length, "k"); await new Promise((r) => setTimeout(r, 20)); }
  await until(() => lat.length === keystrokes && docs.every((d) => d.getText("t").length === keystrokes), 30_000);
  if (process.env.SHOW) console.log(lat.map((x) => x.toFixed(1)).join(" "));
  await cleanup(); return { p50: pct(lat, 50), p95: pct(lat, 95) };
}
