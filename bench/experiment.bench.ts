/**
 * `npm run bench:experiment`: experiment throughput against a provider's rate limit (issue 20).
 *
 * 1,000 items × 4 variants (four models of one OpenAI-compatible provider) run by the real worker and
 * experiment handler, through the OpenAI SDK, against a loopback server that admits N requests per
 * minute (a token bucket, 429 with Retry-After beyond it). The experiment is configured with the same
 * N for that provider. Throughput is answered calls per second over the run; the goal is ≥ 90% of N/60.
 * Also reported: 429s the server sent (each retried by the handler), the load average while it ran,
 * and the comparison view's first page (public.experiment_comparison_page, 50 items with their 4
 * results, as a manager reads it through REST under RLS). bench:experiment-view measures that view over
 * 5,000 items.
 */
import os from "node:os";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import postgres from "postgres";
import ws from "ws";
import { createClient } from "@supabase/supabase-js";
import { freePort, createLogger, startStack, type Stack } from "@review/local-supabase";
import { startWorker } from "@review/worker";
import { silentLogger } from "@review/worker/log";
import { quantile } from "@review/shared/stats/index";

const root = path.resolve(import.meta.dirname, "..");
const ITEMS = Number(process.env.BENCH_ITEMS ?? 1000);
const PER_MINUTE = Number(process.env.BENCH_RPM ?? 6000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

function limitedServer(perMinute: number) {
  let tokens = 8;
  let at = performance.now();
  const capacity = 8;
  let ok = 0;
  let limited = 0;
  let first = 0;
  let last = 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const now = performance.now();
    tokens = Math.min(capacity, tokens + ((now - at) / 60_000) * perMinute);
    at = now;
    if (tokens < 1) {
      limited++;
      res.writeHead(429, { "content-type": "application/json", "retry-after": String(((1 - tokens) * 60) / perMinute) });
      res.end(JSON.stringify({ error: { message: "rate limited", type: "rate_limit_exceeded", code: null, param: null } }));
      return;
    }
    tokens -= 1;
    await new Promise((r) => setTimeout(r, 20));
    if (!first) first = performance.now();
    ok++;
    last = performance.now();
    const user: string = body.messages.at(-1).content;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({
      id: "chatcmpl-bench", object: "chat.completion", created: 1, model: body.model,
      choices: [{ index: 0, message: { role: "assistant", content: `Answer to: ${user.slice(0, 80)}` }, finish_reason: "stop", logprobs: null }],
      usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 },
    }));
  });
  return {
    server,
    stats: () => ({ ok, limited, seconds: (last - first) / 1000 }),
  };
}

async function main() {
  const dataDir = path.join(root, ".data", "bench-experiment");
  fs.rmSync(dataDir, { recursive: true, force: true });
  const stack: Stack = await startStack({ dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger("bench", "warn") });
  const sql = postgres(stack.dbUrl, { onnotice: () => {}, max: 4 });
  const provider = limitedServer(PER_MINUTE);
  await new Promise<void>((r) => provider.server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(provider.server.address() as AddressInfo).port}`;
  try {
    const [org] = await sql`insert into public.organizations (name, slug) values ('bench', ${`bench-exp-${Date.now()}`}) returning id`;
    const items = Array.from({ length: ITEMS }, (_, i) => ({ query: `Question ${i}: how do I get a refund for order ${i}?`, expected: `Answer to: Question ${i}` }));
    const [v] = await sql`select (public.import_dataset_items(${org!.id}, 'bench', ${sql.json(items as never)})).id`;
    await sql`select public.publish_dataset_version(${v!.id})`;
    const [ev] = await sql`insert into public.evaluators (org_id, name, kind, config) values (${org!.id}, 'f1', 'deterministic', '{"type": "token_f1"}') returning id`;
    const worker = await startWorker({
      env: {
        DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl, SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
        OPENAI_API_KEY: "sk-bench", OPENAI_BASE_URL: `${url}/v1`, LLM_MAX_RETRIES: "0",
        WORKER_TASKS: "experiment", WORKER_SCHEDULER: "false", WORKER_POLL_MS: "200", LOG_LEVEL: "warn",
      },
      log: silentLogger,
    });
    const load0 = os.loadavg()[0]!;
    const t0 = performance.now();
    const [job] = await sql`select (j).id from private.enqueue_job(${org!.id}, 'experiment', 'bench', ${sql.json({
      datasetVersionId: v!.id,
      variants: ["m1", "m2", "m3", "m4"].map((m) => ({ model: `openai:${m}` })),
      evaluatorIds: [ev!.id],
      providerLimits: { openai: { concurrency: CONCURRENCY, requestsPerMinute: PER_MINUTE } },
    } as never)}) as r(j, created)`;
    for (;;) {
      const [j] = await sql`select status, error from public.jobs where id = ${job!.id}`;
      if (j!.status === "completed" || j!.status === "failed") {
        if (j!.status === "failed") throw new Error(`bench experiment failed: ${j!.error}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const wall = (performance.now() - t0) / 1000;
    const load1 = os.loadavg()[0]!;
    await worker.stop(1000);
    const s = provider.stats();
    const limit = PER_MINUTE / 60;
    const perSecond = s.ok / s.seconds;

    console.log(`throughput: ${s.ok} calls in ${s.seconds.toFixed(1)} s = ${perSecond.toFixed(1)}/s against ${limit.toFixed(1)}/s (${Math.round((perSecond / limit) * 100)}%), ${s.limited} 429s, load average ${load0.toFixed(1)} → ${load1.toFixed(1)}`);
    // The comparison view's first page, as a manager (REST, RLS).
    const [exp] = await sql`select id from public.experiments where job_id = ${job!.id}`;
    const email = `bench-${Date.now()}@bench.example.com`;
    const admin = createClient(stack.apiUrl, stack.serviceRoleKey, { auth: { persistSession: false }, realtime: { transport: ws as never } });
    const created = await admin.auth.admin.createUser({ email, password: "bench-password-1", email_confirm: true });
    await sql`insert into public.memberships (org_id, user_id, role) values (${org!.id}, ${created.data.user!.id}, 'manager')`;
    const client = createClient(stack.apiUrl, stack.anonKey, { auth: { persistSession: false }, realtime: { transport: ws as never } });
    await client.auth.signInWithPassword({ email, password: "bench-password-1" });
    const times: number[] = [];
    for (let i = 0; i < 60; i++) {
      const t = performance.now();
      const r = await client.rpc("experiment_comparison_page", { p_experiment_id: exp!.id, p_variant: 1, p_metric: "f1", p_limit: 50 });
      if (r.error || r.data.length !== 50) throw new Error(`first page: ${r.error?.message ?? r.data.length}`);
      if (i >= 10) times.push(performance.now() - t);
    }
    console.table([{
      items: ITEMS, variants: 4, "limit req/min": PER_MINUTE, "answered calls": s.ok, "429s sent": s.limited,
      "calls/s": perSecond.toFixed(1), "limit/s": limit.toFixed(1), "% of limit": `${Math.round((perSecond / limit) * 100)}%`, "wall s": wall.toFixed(1),
      "load avg (1 min) before / after": `${load0.toFixed(1)} / ${load1.toFixed(1)}`,
      "first page p50 ms": quantile(times, 0.5).toFixed(1), "first page p95 ms": quantile(times, 0.95).toFixed(1),
    }]);
  } finally {
    provider.server.close();
    await sql.end({ timeout: 2 });
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
