/**
 * The review queue report live, over a 100,000-score queue (20 reviewers, 3 rubrics, 2 per item), on a
 * private embedded stack with the worker:
 *   (r)  reading the rows, side by side, interleaved: as the worker reads them (readQueueRows: 100,000
 *        result rows) and as one json_agg row (tried and measured slower; kept here to show it);
 *   (b0) the worker's recomputation alone (storeQueueReport: read every row, queueReport with the
 *        report's 300 resamples, write the row, then the finals if they changed), called directly,
 *        n = BENCH_RECOMPUTES, with the finals unchanged (skipped) and changed (the stored digest
 *        cleared first, as when an item completes);
 *   (b)  a reviewer submits one item's scores → the manager's supabase-js client receives the
 *        postgres_changes event of the stored report (review_reports) that includes them: trigger →
 *        review_report task → worker → row → Realtime;
 *   (b') the same, for the submission that completes its item (a second reviewer's: the finals change
 *        and are rewritten after the report's change went out);
 *   (c)  the same submission → another reviewer's client receives the progress change (the
 *        review_assignments UPDATE to 'submitted' the progress bars follow), the issue's
 *        "scoring an item → the other reviewers' progress bars update, p95 < 300 ms".
 * Both (b) and (c) are timed from just before the submit_scores call, n = BENCH_LIVE_ITERATIONS.
 *
 *   npx tsx bench/review-report-live.bench.ts
 *   BENCH_SCORES=100000 BENCH_LIVE_ITERATIONS=20 BENCH_RECOMPUTES=5   # knobs (defaults shown)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { freePort, createLogger, startStack } from "@review/local-supabase";
import { readQueueRows, storeQueueReport } from "../worker/src/features/review-report/handler.ts";
import { startWorker } from "../worker/src/index.ts";
import { createOrg } from "../tests/helpers/org.ts";
import { createUser } from "../tests/helpers/stack.ts";

const SCORES = Number(process.env.BENCH_SCORES ?? 100_000);
const ITERATIONS = Number(process.env.BENCH_LIVE_ITERATIONS ?? 20);
const RECOMPUTES = Number(process.env.BENCH_RECOMPUTES ?? 5);
const ITEMS = Math.ceil(SCORES / 6);
const LIVE_ITEMS = 2 * ITERATIONS + 5;

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.join(root, ".data", "bench-review-report");
fs.rmSync(dataDir, { recursive: true, force: true });
const stack = await startStack({ root, dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger("bench-review-report", "warn") });
const db = postgres(stack.dbUrl, { onnotice: () => {}, max: 4 });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(" ");
const row = (label: string, xs: number[]) => `| ${label} (n=${xs.length}) | ${pct(xs, 0.5).toFixed(0)} ms | ${pct(xs, 0.95).toFixed(0)} ms | ${Math.max(...xs).toFixed(0)} ms |`;

let stopWorker: (() => Promise<void>) | null = null;
try {
  const org = await createOrg(stack, "bench-rr");
  const bulk = await Promise.all(Array.from({ length: 20 }, (_, i) => createUser(stack, `bench-rr-${i}`)));
  const people = bulk.map((u) => u.id);
  const [quality, escalate, score] = await db`
    insert into public.score_configs (org_id, name, version, kind, levels, min_value, max_value, step) values
      (${org.id}, 'Quality', 1, 'ordinal', ${db.json([1, 2, 3, 4, 5].map((v) => ({ value: v, label: String(v) })))}, null, null, null),
      (${org.id}, 'Escalate', 1, 'boolean', '[]', null, null, null),
      (${org.id}, 'Score', 1, 'numeric', '[]', 0, 10, 1)
    returning id`;
  const rubricIds = [quality!.id, escalate!.id, score!.id] as string[];
  const [q] = await db`
    insert into public.review_queues (org_id, name, source_kind, source, score_config_ids, overlap)
    values (${org.id}, 'Bench queue', 'feedback', '{}', ${rubricIds}::uuid[], 2) returning id`;
  const queueId = q!.id as string;
  const t0 = performance.now();
  // Items 1..ITEMS fully scored by two of the 20 reviewers; the last LIVE_ITEMS are open for the live part.
  await db`
    insert into public.review_items (org_id, queue_id, position, source_kind, source_id, query, status, submitted_count)
    select ${org.id}, ${queueId}, g, 'feedback', 'bench-' || g, 'question ' || g,
           case when g <= ${ITEMS} then 'complete' else 'open' end, case when g <= ${ITEMS} then 2 else 0 end
    from generate_series(1, ${ITEMS + LIVE_ITEMS}) g`;
  await db`
    insert into public.review_assignments (org_id, queue_id, item_id, reviewer_id, slot, status, submitted_at)
    select i.org_id, i.queue_id, i.id,
           (${people}::uuid[])[1 + case when s = 1 then i.position % 20 else (i.position % 20 + 1 + (i.position * 7) % 19) % 20 end],
           s, 'submitted', now()
    from public.review_items i cross join generate_series(1, 2) s
    where i.queue_id = ${queueId} and i.position <= ${ITEMS}`;
  await db`
    insert into public.scores (org_id, queue_id, item_id, assignment_id, reviewer_id, score_config_id, value)
    select a.org_id, a.queue_id, a.item_id, a.id, a.reviewer_id, c.id,
           case c.kind
             when 'ordinal' then to_jsonb(greatest(1, least(5, t.truth + t.noise)))
             when 'boolean' then to_jsonb((t.truth <= 2) <> (abs(hashtext(a.id::text || 'e')) % 10 = 0))
             else to_jsonb(greatest(0, least(10, t.truth * 2 + t.noise)))
           end
    from public.review_assignments a
    join public.review_items i on i.id = a.item_id
    cross join lateral (select 1 + abs(hashtext(i.id::text)) % 5 as truth,
                               (array[0, 0, 0, 0, 0, 0, 0, 1, -1, 0])[1 + abs(hashtext(a.id::text)) % 10] as noise) t
    cross join public.score_configs c
    where a.queue_id = ${queueId} and c.id = any (${rubricIds}::uuid[])`;
  const [{ n }] = (await db`select count(*)::int as n from public.scores where queue_id = ${queueId}`) as unknown as [{ n: number }];
  console.log(`queue: ${n.toLocaleString()} scores, ${ITEMS.toLocaleString()} complete items (+${LIVE_ITEMS} open), 20 reviewers, 3 rubrics; loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s; load average ${load()} on ${os.cpus().length} CPUs`);
  console.log("| what | p50 | p95 | max |");
  console.log("| --- | ---: | ---: | ---: |");

  // (r) reading the rows: as result rows (the previous read) and as one JSON row, interleaved.
  const readRows: number[] = [];
  const readPacked: number[] = [];
  for (let i = 0; i < RECOMPUTES + 1; i++) {
    const t1 = performance.now();
    await readQueueRows(db, queueId);
    const t2 = performance.now();
    await packedRead(db, queueId);
    const t3 = performance.now();
    if (i === 0) continue;
    readRows.push(t2 - t1);
    readPacked.push(t3 - t2);
  }
  console.log(`${row("(r) reading the rows as 100k result rows (readQueueRows)", readRows)} load ${load()}`);
  console.log(`${row("(r) reading the scores as one json_agg row (not used)", readPacked)}`);

  // (b0) the recomputation alone, finals unchanged (the write skipped) and changed (digest cleared).
  for (const changed of [false, true]) {
    const recompute: number[] = [];
    const parts = { readMs: [] as number[], computeMs: [] as number[], writeMs: [] as number[], finalsMs: [] as number[] };
    for (let i = 0; i < RECOMPUTES + 1; i++) {
      if (changed) await db`update public.review_reports set finals_digest = null where queue_id = ${queueId}`;
      const r = await storeQueueReport(db, queueId);
      if (r.finalsWritten !== (changed || i === 0)) throw new Error(`finals written: ${r.finalsWritten}, expected ${changed}`);
      if (i === 0) continue;
      recompute.push(r.ms);
      for (const k of ["readMs", "computeMs", "writeMs", "finalsMs"] as const) parts[k].push(r.parts[k]);
    }
    const what = changed ? "finals changed: rewritten" : "finals unchanged: not rewritten";
    console.log(`${row(`(b0) worker recomputation, ${what}`, recompute)} load ${load()}`);
    console.log(`${row("  of which reading the rows", parts.readMs)}`);
    console.log(`${row("  of which queueReport", parts.computeMs)}`);
    console.log(`${row("  of which writing the report (then it commits: the live change)", parts.writeMs)}`);
    console.log(`${row("  then the finals (digest; write if changed), after the change went out", parts.finalsMs)}`);
  }

  const worker = await startWorker({ env: { DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl, SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey, WORKER_SCHEDULER: "false", WORKER_TASKS: "review_report", LOG_LEVEL: "warn" } });
  stopWorker = () => worker.stop(5000);
  // Whatever the load queued is computed first.
  for (;;) {
    const [w] = await db`select count(*)::int as n from public.job_queue where task = 'review_report' and state in ('queued', 'running')`;
    if (w!.n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  // Watchers: the manager on the report, the curator (another reviewer) on the slots.
  let onReport: ((count: number) => void) | null = null;
  let onSubmitted: ((assignmentId: string) => void) | null = null;
  const subscribed = (ch: ReturnType<typeof org.users.manager.client.channel>) =>
    new Promise<void>((resolve, reject) => ch.subscribe((s, err) => (s === "SUBSCRIBED" ? resolve() : s === "CHANNEL_ERROR" || s === "TIMED_OUT" ? reject(err ?? new Error(s)) : undefined)));
  const reportCh = org.users.manager.client.channel(`bench-report-${queueId}`)
    .on("postgres_changes", { event: "*", schema: "public", table: "review_reports", filter: `queue_id=eq.${queueId}` }, (m) => onReport?.(Number((m.new as { scores_count?: number }).scores_count)));
  const slotsCh = org.users.curator.client.channel(`bench-slots-${queueId}`)
    .on("postgres_changes", { event: "UPDATE", schema: "public", table: "review_assignments", filter: `queue_id=eq.${queueId}` }, (m) => {
      const a = m.new as { id: string; status: string };
      if (a.status === "submitted") onSubmitted?.(a.id);
    });
  await Promise.all([subscribed(reportCh), subscribed(slotsCh)]);

  const toReport: number[] = [];
  const toReportCompleting: number[] = [];
  const toProgress: number[] = [];
  let count = n;
  for (let i = 0; i < 2 * ITERATIONS; i++) {
    // The reviewer's submission leaves its item open (1 of 2); the admin's then completes it.
    const reviewer = i % 2 === 0 ? org.users.reviewer.client : org.users.admin.client;
    const claimed = await reviewer.rpc("claim_next_review_item", { p_queue: queueId });
    if (claimed.error || !claimed.data) throw claimed.error ?? new Error("nothing to claim");
    const { assignment, item } = claimed.data as { assignment: { id: string }; item: { id: string } };
    const want = (count += 3);
    const reportSeen = new Promise<number>((resolve) => (onReport = (c) => c >= want && resolve(performance.now())));
    const progressSeen = new Promise<number>((resolve) => (onSubmitted = (id) => id === assignment.id && resolve(performance.now())));
    const start = performance.now();
    const sub = await reviewer.rpc("submit_scores", { p_item: item.id, p_scores: { [rubricIds[0]!]: 1 + (i % 5), [rubricIds[1]!]: i % 2 === 0, [rubricIds[2]!]: i % 11 } });
    if (sub.error) throw sub.error;
    const [p, r] = await Promise.all([progressSeen, reportSeen]);
    const [{ status }] = (await db`select status from public.review_items where id = ${item.id}`) as unknown as [{ status: string }];
    toProgress.push(p - start);
    (status === "complete" ? toReportCompleting : toReport).push(r - start);
  }
  console.log(`${row("(b) submit one item's 3 scores, item stays open → the manager receives the recomputed report's change", toReport)} load ${load()}`);
  console.log(`${row("(b') submit, item completes (finals change) → the manager receives the report's change", toReportCompleting)} load ${load()}`);
  console.log(`${row("(c) submit → another reviewer receives the progress change (review_assignments)", toProgress)} load ${load()}`);
  await Promise.all([org.users.manager.client.removeAllChannels(), org.users.curator.client.removeAllChannels()]);
} finally {
  await stopWorker?.();
  await db.end({ timeout: 5 });
  await stack.stop();
  process.exit(0);
}

/** The scores as one row of JSON ([item, reviewer, rubric, value] in id order), parsed: the read tried, for (r). */
async function packedRead(sql: postgres.Sql, queueId: string) {
  const [packed] = await sql<{ rows: string }[]>`
    select coalesce(json_agg(json_build_array(item_id, reviewer_id, score_config_id, value) order by id), '[]')::text as rows
      from public.scores where queue_id = ${queueId}`;
  return (JSON.parse(packed!.rows) as Array<[string, string, string, unknown]>).map(([item_id, reviewer_id, score_config_id, value]) => ({ item_id, reviewer_id, score_config_id, value }));
}
