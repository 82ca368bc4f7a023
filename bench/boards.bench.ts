/**
 * Board queries at scale: 1M ai_requests and 200k feedback rows in one organization, then p50/p95 of
 * what the boards call (through supabase-js, as a manager) against the naive aggregation over the raw
 * table (same run, same data, as the same role under RLS).
 *
 *   npm run bench:boards                       # private embedded stack in .data/bench-boards (fresh)
 *   DATABASE_URL=postgres://… npm run bench:boards   # or any Postgres the gateway can migrate
 *   BENCH_REQUESTS=1000000 BENCH_FEEDBACK=200000 BENCH_ITERATIONS=40   # knobs (defaults shown)
 */
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { createClient } from "@supabase/supabase-js";
import postgres from "postgres";
import ws from "ws";
import { freePort, createLogger, startStack } from "@review/local-supabase";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000_000);
const FEEDBACK = Number(process.env.BENCH_FEEDBACK ?? 200_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 40);
const WARMUP = 5;
const BATCH = 100_000;

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.join(root, ".data", "bench-boards");
if (!process.env.DATABASE_URL) fs.rmSync(dataDir, { recursive: true, force: true });

const log = createLogger("bench-boards", "warn");
const stack = await startStack({ root, dataDir, apiPort: 0, dbPort: await freePort(), databaseUrl: process.env.DATABASE_URL, log });
const db = postgres(stack.dbUrl, { onnotice: () => {}, max: 4 });

const mk = (key = stack.anonKey) =>
  createClient(stack.apiUrl, key, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: ws as never } });

try {
  // ---- tenant and reader ---------------------------------------------------------------------
  const tag = randomUUID().slice(0, 8);
  const email = `bench-manager-${tag}@bench.example.com`;
  const password = `pw-${randomUUID()}`;
  const created = await mk(stack.serviceRoleKey).auth.admin.createUser({ email, password, email_confirm: true });
  if (created.error) throw created.error;
  const userId = created.data.user!.id;
  const [org] = await db`insert into public.organizations (name, slug) values (${`Bench ${tag}`}, ${`bench-${tag}`}) returning id`;
  const orgId = org!.id as string;
  await db`insert into public.memberships (org_id, user_id, role) values (${orgId}, ${userId}, 'manager')`;
  const manager = mk();
  const signed = await manager.auth.signInWithPassword({ email, password });
  if (signed.error) throw signed.error;

  // ---- data: generate_series in SQL, in batches (the rollup triggers run per statement) ---------
  const t0 = performance.now();
  for (let start = 1; start <= REQUESTS; start += BATCH) {
    const end = Math.min(REQUESTS, start + BATCH - 1);
    await db`
      insert into public.ai_requests (org_id, function_name, model, input_tokens, output_tokens, cost_usd, latency_ms, status, created_at)
      select ${orgId},
             (array['create-improvement-case','regenerate-suggestion','ab-eval:generate','ab-eval:judge','prompt-builder','classify-feedback'])[1 + (g * 7) % 6],
             (array['offline-strong-1','offline-fast-1','claude-haiku-4-5','claude-sonnet-4-5','offline-ft:bench'])[1 + (g * 13) % 5],
             400 + (g * 31) % 2000, 50 + (g * 17) % 500, ((g * 31) % 2000) * 0.000003,
             (20 + exp(4 + ((g::bigint * 7919) % 1000) / 250.0))::int,
             case when g % 50 = 0 then 'error' else 'ok' end,
             now() - ((g::bigint * 104729) % 2592000) * interval '1 second'
      from generate_series(${start}::int, ${end}::int) g`;
  }
  const tRequests = performance.now() - t0;
  const t1 = performance.now();
  for (let start = 1; start <= FEEDBACK; start += BATCH) {
    const end = Math.min(FEEDBACK, start + BATCH - 1);
    await db`
      insert into public.feedback (org_id, rating, query, response, status, labels, model, created_at)
      select ${orgId}, (array[1,1,2,3,4,4,5,5,5,5])[1 + (g * 7) % 10],
             'Question ' || g, 'Answer ' || g,
             (array['new','new','triaged','dismissed'])[1 + (g * 11) % 4]::public.feedback_status,
             array[(array['billing','refunds','shipping','account','api'])[1 + (g * 3) % 5]],
             'offline-strong-1', now() - ((g::bigint * 7919) % 2592000) * interval '1 second'
      from generate_series(${start}::int, ${end}::int) g`;
  }
  // 5% of the low-rated feedback becomes a case, 80% of those decided hours to days later.
  await db`
    with picked as (
      select id, query, response, created_at, row_number() over (order by id) as n
      from public.feedback where org_id = ${orgId} and rating <= 2 and (hashtext(id::text) % 10) = 0
    )
    insert into public.improvement_cases (org_id, feedback_id, query, bad_response, suggested_response, status, decided_at, created_at)
    select ${orgId}, id, query, response, 'better', (array['approved','approved','approved','rejected','pending'])[1 + n % 5]::public.case_status,
           case when n % 5 = 4 then null else created_at + ((n % 72) + 1) * interval '1 hour' end, created_at + interval '10 minutes'
    from picked`;
  await db`analyze public.ai_requests, public.feedback, public.improvement_cases, public.ai_usage_daily, public.feedback_daily`;
  const tFeedback = performance.now() - t1;
  const [counts] = await db`
    select (select count(*) from public.ai_requests where org_id = ${orgId})::int as requests,
           (select count(*) from public.feedback where org_id = ${orgId})::int as feedback,
           (select count(*) from public.improvement_cases where org_id = ${orgId})::int as cases,
           (select count(*) from public.ai_usage_daily where org_id = ${orgId})::int as rollup_rows`;

  // ---- queries ---------------------------------------------------------------------------------
  const day = (offset: number) => new Date(Date.now() - offset * 864e5).toISOString().slice(0, 10);
  const range = { p_org: orgId, p_from: day(29), p_to: day(0) };
  const inboxCols = "id, rating, query, response, status, labels, claimed_by, case_id, model, created_at";
  const check = <T extends { error: unknown }>(r: T) => {
    if (r.error) throw new Error(JSON.stringify(r.error));
    return r;
  };

  // The naive version runs as the same signed-in manager (role authenticated + JWT claims, so RLS
  // applies exactly as through the API), straight over the raw rows.
  const claims = JSON.stringify({ sub: userId, role: "authenticated" });
  const asManager = async (q: (tx: postgres.TransactionSql) => Promise<unknown>) =>
    db.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${claims}, true), set_config('role', 'authenticated', true)`;
      return q(tx);
    });

  const cases: Array<[string, () => Promise<unknown>]> = [
    ["cost board: board_cost() rpc, 30 days (rollup)", async () => check(await manager.rpc("board_cost", range))],
    ["quality board: board_quality() rpc, 30 days (rollup)", async () => check(await manager.rpc("board_quality", range))],
    ["inbox first page: status=new, rating<=2, newest 50 (REST)", async () =>
      check(await manager.from("feedback").select(inboxCols).eq("org_id", orgId).eq("status", "new").lte("rating", 2)
        .order("created_at", { ascending: false }).order("id", { ascending: false }).limit(50))],
    ["inbox first page: label billing, newest 50 (REST)", async () =>
      check(await manager.from("feedback").select(inboxCols).eq("org_id", orgId).contains("labels", ["billing"])
        .order("created_at", { ascending: false }).order("id", { ascending: false }).limit(50))],
    ["inbox first page: no filter, newest 50 (REST)", async () =>
      check(await manager.from("feedback").select(inboxCols).eq("org_id", orgId)
        .order("created_at", { ascending: false }).order("id", { ascending: false }).limit(50))],
    ["NAIVE cost: group by day/model/function over ai_requests + percentile_cont", () =>
      asManager((tx) => tx`
        select (created_at at time zone 'UTC')::date as day, model, function_name, count(*), count(*) filter (where status = 'error'),
               sum(input_tokens), sum(output_tokens), sum(cost_usd),
               percentile_cont(0.5) within group (order by latency_ms), percentile_cont(0.95) within group (order by latency_ms)
        from public.ai_requests
        where org_id = ${orgId} and created_at >= ${day(29)}::date and created_at < ${day(-1)}::date
        group by 1, 2, 3`)],
    ["NAIVE quality: avg rating + low share per day over feedback", () =>
      asManager((tx) => tx`
        select (created_at at time zone 'UTC')::date, avg(rating), avg((rating <= 2)::int), count(*)
        from public.feedback where org_id = ${orgId} and created_at >= ${day(29)}::date group by 1`)],
  ];

  const results: Array<{ name: string; p50: number; p95: number; max: number }> = [];
  for (const [name, run] of cases) {
    const naive = name.startsWith("NAIVE");
    const n = naive ? Math.min(ITERATIONS, 5) : ITERATIONS;
    for (let i = 0; i < (naive ? 1 : WARMUP); i++) await run();
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await run();
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
    results.push({ name: `${name} (n=${n})`, p50: q(0.5), p95: q(0.95), max: times[times.length - 1]! });
  }

  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  const lines = [
    `Data: ${counts!.requests.toLocaleString("en")} ai_requests (${(tRequests / 1000).toFixed(1)} s to insert, rollup triggers included), ` +
      `${counts!.feedback.toLocaleString("en")} feedback + ${counts!.cases.toLocaleString("en")} cases (${(tFeedback / 1000).toFixed(1)} s), ` +
      `${counts!.rollup_rows} rows in ai_usage_daily.`,
    "",
    "| query | p50 | p95 | max |",
    "| --- | ---: | ---: | ---: |",
    ...results.map((r) => `| ${r.name} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.max)} |`),
  ];
  process.stdout.write(lines.join("\n") + "\n");
  const slow = results.filter((r) => !r.name.startsWith("NAIVE") && r.p95 >= 100);
  if (slow.length) {
    process.stdout.write(`\nOver the 100 ms p95 goal: ${slow.map((r) => r.name).join("; ")}\n`);
    process.exitCode = 1;
  }
} finally {
  await db.end({ timeout: 5 });
  await stack.stop();
}


