/**
 * npm run bench:rest — REST (gateway → fast path or @supabase/lite → Postgres) against the same queries
 * through a raw `pg` pool, side by side in one run, at 1 and 16 concurrent clients; then cold/warm start.
 * REST is measured with three clients: supabase-js, as the app calls it; plain `fetch` (request, then
 * the JSON parsed), which leaves out supabase-js's own per-request work (session lookup, query builder);
 * and node:http with a keep-alive agent, a lean client as `pg` is one, so the ratio is the REST layer's
 * and not the client library's. Each request's CPU is split between the benchmark's own process, the
 * gateway and Postgres (Linux /proc), since all three share this machine's cores. Medians of several
 * rounds; Markdown tables on stdout.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createClient } from "@supabase/supabase-js";
import pg from "pg";
import ws from "ws";
import { freePort, viaSocket } from "@review/local-supabase";
import { fmt, load, median, type LoadResult } from "./lib.ts";
import { serverCpu } from "./process-cpu.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
// Quicker looks while working on the gateway: BENCH_CLIENTS=1, BENCH_QUERIES=select, BENCH_COLD_START=0.
const CLIENTS = (process.env.BENCH_CLIENTS ?? "1,16").split(",").map(Number);
const QUERIES = process.env.BENCH_QUERIES ?? "select,insert";
const COLD_START = process.env.BENCH_COLD_START !== "0";
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1500);

// A lean HTTP client for the REST side, as `pg` is one for the raw side: keep-alive sockets, the body
// read as one string. Node's fetch costs the client 0.15-0.2 ms more CPU per request here (bench/README.md).
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function lean(method: string, url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

// The gateway runs in its own process, as `npm start` runs it: in-process, the benchmark's own clients
// would share its event loop and the numbers would measure both.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-rest-"));
const gateway = await startGatewayProcess(dataDir);
const stack = gateway.info;
try {
  const admin = createClient(stack.apiUrl, stack.serviceRoleKey, { auth: { persistSession: false }, realtime: { transport: ws as never } });
  const email = `bench-${Date.now()}@bench.example.com`;
  await admin.auth.admin.createUser({ email, password: "bench-password-1", email_confirm: true });
  const user = createClient(stack.apiUrl, stack.anonKey, { auth: { persistSession: false }, realtime: { transport: ws as never } });
  await user.auth.signInWithPassword({ email, password: "bench-password-1" });
  const org = await user.from("organizations").insert({ name: "Bench", slug: `bench-${Date.now()}` }).select("id").single();
  const orgId = org.data!.id as string;
  // The raw side reaches Postgres the way the gateway does: over the embedded Postgres's Unix socket
  // (or DATABASE_URL as given), so the ratio is not flattered by a slower transport on the raw side.
  const raw = new pg.Pool({ connectionString: process.env.DATABASE_URL ? stack.dbUrl : viaSocket(stack.dbUrl), max: 16 });
  // Connections the gateway's Postgres closes as it stops (after a failure here) must not crash the report.
  raw.on("error", () => {});
  await raw.query(
    `insert into public.feedback (org_id, rating, query, response, status, created_at)
     select $1, 1 + (i % 5), 'How do I reset my password? #' || i, 'Use the reset link.', (array['new','triaged','dismissed'])[1 + i % 3]::public.feedback_status,
            now() - (i || ' minutes')::interval
     from generate_series(1, 5000) i`,
    [orgId],
  );
  await raw.query("analyze public.feedback");

  const token = (await user.auth.getSession()).data.session!.access_token;
  const headers = { apikey: stack.anonKey, authorization: `Bearer ${token}`, "x-client-info": "bench-rest" };
  const selectUrl = `${stack.apiUrl}/rest/v1/feedback?select=id,rating,query,status,created_at&org_id=eq.${orgId}&status=eq.new&rating=lte.3&order=created_at.desc&limit=50`;
  const insertUrl = `${stack.apiUrl}/rest/v1/feedback?select=id,created_at`;

  const restSelect = async () => {
    const r = await user.from("feedback").select("id, rating, query, status, created_at").eq("org_id", orgId).eq("status", "new").lte("rating", 3).order("created_at", { ascending: false }).limit(50);
    if (r.error || r.data.length !== 50) throw new Error(`select failed: ${r.error?.message}`);
  };
  const fetchSelect = async () => {
    const res = await fetch(selectUrl, { headers: { ...headers, accept: "application/json" } });
    const rows = (await res.json()) as unknown[];
    if (res.status !== 200 || rows.length !== 50) throw new Error(`select failed: ${res.status}`);
  };
  const httpSelect = async () => {
    const res = await lean("GET", selectUrl, { ...headers, accept: "application/json" });
    const rows = JSON.parse(res.body) as unknown[];
    if (res.status !== 200 || rows.length !== 50) throw new Error(`select failed: ${res.status}`);
  };
  const rawSelect = async () => {
    const r = await raw.query(
      "select id, rating, query, status, created_at from public.feedback where org_id = $1 and status = 'new' and rating <= 3 order by created_at desc limit 50",
      [orgId],
    );
    if (r.rowCount !== 50) throw new Error("raw select failed");
  };
  const restInsert = async (i: number) => {
    const r = await user.from("feedback").insert({ org_id: orgId, rating: 2, query: `bench insert ${i}`, response: "r" }).select("id, created_at").single();
    if (r.error) throw new Error(r.error.message);
  };
  const insertHeaders = { ...headers, accept: "application/vnd.pgrst.object+json", "content-type": "application/json", prefer: "return=representation" };
  const fetchInsert = async (i: number) => {
    const res = await fetch(insertUrl, {
      method: "POST",
      headers: insertHeaders,
      body: JSON.stringify({ org_id: orgId, rating: 2, query: `bench fetch insert ${i}`, response: "r" }),
    });
    const row = (await res.json()) as { id?: string };
    if (res.status !== 201 || !row.id) throw new Error(`insert failed: ${res.status}`);
  };
  const httpInsert = async (i: number) => {
    const res = await lean("POST", insertUrl, insertHeaders, JSON.stringify({ org_id: orgId, rating: 2, query: `bench http insert ${i}`, response: "r" }));
    const row = JSON.parse(res.body) as { id?: string };
    if (res.status !== 201 || !row.id) throw new Error(`insert failed: ${res.status}`);
  };
  const rawInsert = async (i: number) => {
    await raw.query("insert into public.feedback (org_id, rating, query, response) values ($1, 2, $2, 'r') returning id, created_at", [orgId, `raw insert ${i}`]);
  };

  const sides = ["rest", "fetch", "http", "raw"] as const;
  type Side = (typeof sides)[number];
  const labels: Record<Side, string> = { rest: "supabase-js", fetch: "fetch", http: "node:http", raw: "pg" };
  const cpuOf = serverCpu(gateway.pid);
  const latencyRows: string[] = [];
  const cpuRows: string[] = [];
  const queries = [
    ["select", "filtered 50-row select", { rest: restSelect, fetch: fetchSelect, http: httpSelect, raw: rawSelect }],
    ["insert", "insert, return=representation", { rest: restInsert, fetch: fetchInsert, http: httpInsert, raw: rawInsert }],
  ] as const;
  for (const [, name, run] of queries.filter(([key]) => QUERIES.includes(key))) {
    for (const c of CLIENTS) {
      // Warm-up to steady state: the gateway's JIT needs a thousand-odd requests (its CPU per request
      // falls from ~3.7 to ~1.7 ms over the first three rounds of 1,000); a server runs warm.
      for (const side of sides) await load(run[side], WARMUP, c);
      const runs = Object.fromEntries(sides.map((side) => [side, [] as LoadResult[]])) as Record<Side, LoadResult[]>;
      // CPU ms summed over the rounds, per side: the benchmark's own process, the gateway, Postgres.
      const cpu = Object.fromEntries(sides.map((side) => [side, { client: 0, gateway: 0, postgres: 0 }])) as Record<Side, { client: number; gateway: number; postgres: number }>;
      for (let r = 0; r < ROUNDS; r++) {
        for (const side of sides) {
          const server0 = cpuOf?.();
          const client0 = process.cpuUsage();
          runs[side].push(await load(run[side], REQUESTS, c));
          const client = process.cpuUsage(client0);
          const server1 = cpuOf?.();
          cpu[side].client += (client.user + client.system) / 1000;
          if (server0 && server1) {
            cpu[side].gateway += server1.gateway - server0.gateway;
            cpu[side].postgres += server1.postgres - server0.postgres;
          }
        }
      }
      const m = (side: Side, k: keyof LoadResult) => median(runs[side].map((x) => x[k]));
      const cells = (side: Side) => `${fmt(m(side, "p50"))} | ${fmt(m(side, "p95"))} | ${fmt(m(side, "rps"), 0)}`;
      const ratio = (side: Side) => `${fmt(m(side, "p50") / m("raw", "p50"), 1)}×`;
      latencyRows.push(`| ${name} | ${c} | ${sides.map(cells).join(" | ")} | ${ratio("rest")} | ${ratio("fetch")} | ${ratio("http")} |`);
      if (cpuOf) {
        const perRequest = (ms: number) => fmt(ms / (ROUNDS * REQUESTS), 3);
        for (const side of sides) {
          const { client, gateway: gw, postgres } = cpu[side];
          const server = side === "raw" ? postgres : gw + postgres;
          cpuRows.push(`| ${name} | ${c} | ${labels[side]} | ${perRequest(client)} | ${side === "raw" ? "—" : perRequest(gw)} | ${perRequest(postgres)} | ${perRequest(server)} | ${perRequest(client + server)} |`);
        }
      }
    }
  }
  await raw.end();
  console.log(`\nREST vs raw pg (${ROUNDS} rounds × ${REQUESTS} requests, medians; ms)\n`);
  console.log(`| query | clients | ${sides.map((side) => `${labels[side]} p50 | p95 | req/s`).join(" | ")} | ratio, supabase-js | ratio, fetch | ratio, node:http |`);
  console.log(`|---|---|${"---|".repeat(3 * sides.length + 3)}`);
  for (const r of latencyRows) console.log(r);
  if (cpuRows.length) {
    // The raw side's server is Postgres alone; REST's is the gateway and Postgres.
    console.log(`\nCPU per request by process (ms, over all rounds)\n`);
    console.log("| query | clients | through | benchmark process | gateway | Postgres | server | total |");
    console.log("|---|---|---|---|---|---|---|---|");
    for (const r of cpuRows) console.log(r);
  }
} finally {
  await gateway.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

// Cold start: `npm start`'s entry point to the first healthy answer, on a fresh and on an existing data dir.
if (COLD_START) {
  const startDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-start-"));
  const fresh: number[] = [];
  const warm: number[] = [];
  for (let r = 0; r < 3; r++) {
    fs.rmSync(startDir, { recursive: true, force: true });
    fresh.push(await timeToHealthy(startDir));
    warm.push(await timeToHealthy(startDir));
  }
  fs.rmSync(startDir, { recursive: true, force: true });
  console.log(`\nstart to first healthy /health (median of 3): fresh data dir ${fmt(median(fresh) / 1000, 1)} s, existing ${fmt(median(warm) / 1000, 1)} s`);
}

async function startGatewayProcess(dir: string) {
  const apiPort = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "dev/start.ts"], {
    env: { ...process.env, LOCAL_SUPABASE_DATA_DIR: dir, LOCAL_SUPABASE_API_PORT: String(apiPort), LOCAL_SUPABASE_DB_PORT: String(await freePort()), LOCAL_SUPABASE_WORKER: "off", LOCAL_SUPABASE_WEB: "off", LOG_LEVEL: "error" },
    stdio: "ignore",
  });
  const file = path.join(dir, "local-supabase.json");
  const t0 = performance.now();
  for (;;) {
    try {
      if (fs.existsSync(file) && (await fetch(`http://127.0.0.1:${apiPort}/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (performance.now() - t0 > 60_000) throw new Error("the gateway did not start within 60 s");
    await new Promise((res) => setTimeout(res, 50));
  }
  const info = JSON.parse(fs.readFileSync(file, "utf8")) as { apiUrl: string; dbUrl: string; anonKey: string; serviceRoleKey: string };
  return {
    info,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((res) => child.once("exit", res));
      child.kill("SIGINT");
      await exited;
    },
  };
}

async function timeToHealthy(dir: string): Promise<number> {
  const apiPort = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "dev/start.ts"], {
    env: { ...process.env, LOCAL_SUPABASE_DATA_DIR: dir, LOCAL_SUPABASE_API_PORT: String(apiPort), LOCAL_SUPABASE_DB_PORT: String(await freePort()), LOG_LEVEL: "error" },
    stdio: "ignore",
  });
  try {
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${apiPort}/health`);
        if (r.ok) return performance.now() - t0;
      } catch {
        /* not listening yet */
      }
      if (performance.now() - t0 > 60_000) throw new Error("no healthy answer within 60 s");
      await new Promise((res) => setTimeout(res, 20));
    }
  } finally {
    const exited = new Promise((res) => child.once("exit", res));
    child.kill("SIGINT");
    await exited;
  }
}


