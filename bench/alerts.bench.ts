/**
 * Alert evaluation and themes at scale (issue "Watching the system"):
 *   1. every default rule of 100 organizations over 1M ai_requests (+ ratings): one evaluation cycle, the
 *      worker's own evaluateAlerts(), p50/p95 over several cycles; goal < 1 s per cycle;
 *   2. themes over 50,000 low-rated feedback rows of one organization, offline (local embedding, the dev
 *      LLM naming each theme), the worker's own themes job end to end; goal < 60 s.
 *
 *   npm run bench:alerts          # private embedded stack in .data/bench-alerts (fresh)
 *   BENCH_ORGS=100 BENCH_REQUESTS=1000000 BENCH_THEME_ITEMS=50000 BENCH_CYCLES=10   # knobs (defaults shown)
 */
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { freePort, createLogger, startStack } from "@review/local-supabase";
import { syntheticFeedback } from "@review/shared/themes/synthetic";
import { evaluateAlerts } from "../worker/src/features/alerts/evaluate.ts";
import { startWorker } from "../worker/src/index.ts";

const ORGS = Number(process.env.BENCH_ORGS ?? 100);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000_000);
const THEME_ITEMS = Number(process.env.BENCH_THEME_ITEMS ?? 50_000);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 10);
const BATCH = 100_000;

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.join(root, ".data", "bench-alerts");
fs.rmSync(dataDir, { recursive: true, force: true });
const stack = await startStack({ root, dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger("bench-alerts", "warn") });
const db = postgres(stack.dbUrl, { onnotice: () => {}, max: 4 });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

try {
  const orgs = (await db`insert into public.organizations (name, slug) select 'Bench ' || g, 'bench-alerts-' || g from generate_series(1, ${ORGS}) g returning id`).map((r) => r.id as string);
  const t0 = performance.now();
  for (let start = 1; start <= REQUESTS; start += BATCH) {
    const end = Math.min(REQUESTS, start + BATCH - 1);
    await db`
      insert into public.ai_requests (org_id, function_name, model, input_tokens, output_tokens, cost_usd, latency_ms, status, created_at)
      select (${orgs}::uuid[])[1 + g % ${ORGS}],
             (array['create-improvement-case','regenerate-suggestion','ab-eval:generate','ab-eval:judge'])[1 + (g * 7) % 4],
             (array['offline-strong-1','offline-fast-1','claude-haiku-4-5'])[1 + (g * 13) % 3],
             400 + (g * 31) % 2000, 50 + (g * 17) % 500, ((g * 31) % 2000) * 0.000003,
             (20 + exp(4 + ((g::bigint * 7919) % 1000) / 250.0))::int,
             case when (g * 11) % 100 < 3 then 'error' else 'ok' end,
             now() - ((g * 37) % 2880) * interval '1 minute'
      from generate_series(${start}::int, ${end}::int) g`;
  }
  await db`
    insert into public.feedback (org_id, rating, query, response, created_at)
    select (${orgs}::uuid[])[1 + g % ${ORGS}], 1 + (g * 7) % 5, 'question ' || g, 'answer', now() - ((g * 41) % 2880) * interval '1 minute'
    from generate_series(1, 100000) g`;
  const loadS = (performance.now() - t0) / 1000;
  const [{ rules, hourly }] = (await db`select (select count(*) from public.alert_rules where enabled)::int as rules,
                                               (select count(*) from private.ai_usage_hourly)::int as hourly`) as unknown as [{ rules: number; hourly: number }];

  const times: number[] = [];
  let last = null as Awaited<ReturnType<typeof evaluateAlerts>> | null;
  for (let i = 0; i < CYCLES + 2; i++) {
    const s = performance.now();
    last = await evaluateAlerts({ sql: db });
    if (i >= 2) times.push(performance.now() - s);
  }
  console.log(`alerts: ${ORGS} orgs, ${rules} enabled rules, ${REQUESTS.toLocaleString()} ai_requests (${hourly.toLocaleString()} hourly rollup rows), loaded in ${loadS.toFixed(1)} s`);
  console.log(`  evaluation cycle p50 ${pct(times, 0.5).toFixed(0)} ms, p95 ${pct(times, 0.95).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms; last cycle: ${JSON.stringify(last)}`);

  // ---- themes over 50k low-rated rows ---------------------------------------------------------
  const [themeOrg] = await db`insert into public.organizations (name, slug) values ('Bench themes', 'bench-themes') returning id`;
  const items = syntheticFeedback(Math.ceil(THEME_ITEMS / 5), 7).slice(0, THEME_ITEMS);
  for (let i = 0; i < items.length; i += 10_000) {
    const chunk = items.slice(i, i + 10_000);
    await db`insert into public.feedback (org_id, rating, query, response, comment)
             select ${themeOrg!.id}, r, q, 'answer', c from unnest(${chunk.map((x) => x.rating)}::int[], ${chunk.map((x) => x.query)}::text[], ${chunk.map((x) => x.comment)}::text[]) as u(r, q, c)`;
  }
  const worker = await startWorker({ env: { DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl, SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey, WORKER_SCHEDULER: "false", WORKER_TASKS: "themes", LOG_LEVEL: "warn" } });
  const s = performance.now();
  const [job] = await db`select (e.job).id as id from private.enqueue_job(${themeOrg!.id}, 'themes', 'bench themes', ${db.json({ maxItems: THEME_ITEMS })}) e`;
  let row;
  for (;;) {
    [row] = await db`select status, result, error from public.jobs where id = ${job!.id}`;
    if (["completed", "failed"].includes(row!.status)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const wall = (performance.now() - s) / 1000;
  await worker.stop(1000);
  if (row!.status !== "completed") throw new Error(`themes job failed: ${row!.error}`);
  console.log(`themes: ${row!.result.items.toLocaleString()} low-rated items → ${row!.result.k} themes (silhouette ${row!.result.silhouette}) in ${wall.toFixed(1)} s wall (job timings ${JSON.stringify(row!.result.timingsMs)})`);
} finally {
  await db.end({ timeout: 5 });
  await stack.stop();
}
