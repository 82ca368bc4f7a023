/**
 * `npm run bench:experiment-view`: the experiment comparison view over a large experiment (issue 20:
 * "the comparison view over 5,000 items answers first page p95 < 200 ms").
 *
 * A published 5,000-item dataset and an experiment of 4 variants with one stored result per (item,
 * variant), 20,000 rows with outputs, two metrics' scores, cost, latency and ~1% errors (inserted as the
 * worker would have stored them; the run itself is bench:experiment's subject). A manager of the
 * organization then asks through REST, under RLS, what the view asks when it opens and when someone
 * filters: one page from public.experiment_comparison_page (plain, regressions only, text search, sorted
 * by the delta) and the per-variant figures (public.experiment_variant_stats); and, for comparison, what
 * the view loaded before: every result row, 1,000 per request. Sequential requests (one viewer), the
 * first ones as warm-up; p50/p95 in ms. `BENCH_ITEMS`, `BENCH_RUNS` change the setup.
 */
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import ws from "ws";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { freePort, createLogger, startStack, type Stack } from "@review/local-supabase";
import { quantile } from "@review/shared/stats/index";

const root = path.resolve(import.meta.dirname, "..");
const ITEMS = Number(process.env.BENCH_ITEMS ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 60);
const WARMUP = 10;
const VARIANTS = 4;

async function timed(label: string, runs: number, fn: () => Promise<void>) {
  const times: number[] = [];
  for (let i = 0; i < runs + WARMUP; i++) {
    const t = performance.now();
    await fn();
    if (i >= WARMUP) times.push(performance.now() - t);
  }
  return { query: label, runs, "p50 ms": quantile(times, 0.5).toFixed(1), "p95 ms": quantile(times, 0.95).toFixed(1) };
}

function check<T>(r: { data: T | null; error: { message: string } | null }, what: string): T {
  if (r.error || r.data === null) throw new Error(`${what}: ${r.error?.message ?? "no data"}`);
  return r.data;
}

async function main() {
  const dataDir = path.join(root, ".data", "bench-experiment-view");
  fs.rmSync(dataDir, { recursive: true, force: true });
  const stack: Stack = await startStack({ dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger("bench", "warn") });
  const sql = postgres(stack.dbUrl, { onnotice: () => {}, max: 4 });
  try {
    const [org] = await sql`insert into public.organizations (name, slug) values ('bench', ${`bench-view-${Date.now()}`}) returning id`;
    const items = Array.from({ length: ITEMS }, (_, i) => ({ query: `Question ${i}: how do I get a refund for order ${i}?`, expected: `Refunds for order ${i} go back to the card within 5 days.` }));
    const [v] = await sql`select (public.import_dataset_items(${org!.id}, 'bench', ${sql.json(items as never)})).id`;
    await sql`select public.publish_dataset_version(${v!.id})`;
    const [f1] = await sql`insert into public.evaluators (org_id, name, kind, config) values (${org!.id}, 'f1', 'deterministic', '{"type": "token_f1"}') returning id`;
    const [concise] = await sql`insert into public.evaluators (org_id, name, kind, config) values (${org!.id}, 'concise', 'deterministic', '{"type": "length", "min": 20, "max": 900}') returning id`;
    const [job] = await sql`select (j).id from private.enqueue_job(${org!.id}, 'experiment', 'bench view', ${sql.json({
      datasetVersionId: v!.id,
      variants: Array.from({ length: VARIANTS }, (_, i) => ({ model: `openai:m${i + 1}`, label: `V${i + 1}` })),
      evaluatorIds: [f1!.id, concise!.id],
    } as never)}) as r(j, created)`;
    const [exp] = await sql`select id from public.experiments where job_id = ${job!.id}`;
    // Scores spread per (item, variant) by a hash, so about half of each variant's items score below
    // the baseline; 1% of outputs failed.
    await sql`
      insert into public.experiment_results (org_id, experiment_id, item_id, variant, output, scores, cost_usd, latency_ms, input_tokens, output_tokens, error)
      select ${org!.id}, ${exp!.id}, i.id, g.v,
             case when abs(hashtext(i.id::text || g.v)) % 100 = 0 then '' else 'Answer ' || g.v || ' to item ' || i.position || ': refunds go back to the card within ' || (3 + g.v) || ' days.' end,
             case when abs(hashtext(i.id::text || g.v)) % 100 = 0 then '{}'::jsonb
                  else jsonb_build_object('f1', (abs(hashtext('f1' || i.id::text || g.v)) % 1000) / 1000.0, 'concise', (abs(hashtext('c' || i.id::text || g.v)) % 2)) end,
             0.00001 * (1 + g.v), 200 + abs(hashtext('l' || i.id::text || g.v)) % 800, 50, 20,
             case when abs(hashtext(i.id::text || g.v)) % 100 = 0 then 'llm_upstream_error: boom' end
        from public.dataset_items i cross join generate_series(0, ${VARIANTS - 1}) g(v)
       where i.version_id = ${v!.id}`;
    await sql`analyze public.experiment_results`;
    await sql`analyze public.dataset_items`;

    const email = `bench-${Date.now()}@bench.example.com`;
    const admin = createClient(stack.apiUrl, stack.serviceRoleKey, { auth: { persistSession: false }, realtime: { transport: ws as never } });
    const created = await admin.auth.admin.createUser({ email, password: "bench-password-1", email_confirm: true });
    await sql`insert into public.memberships (org_id, user_id, role) values (${org!.id}, ${created.data.user!.id}, 'manager')`;
    const client: SupabaseClient = createClient(stack.apiUrl, stack.anonKey, { auth: { persistSession: false }, realtime: { transport: ws as never } });
    await client.auth.signInWithPassword({ email, password: "bench-password-1" });

    const page = (args: Record<string, unknown>, expectRows: (n: number) => boolean) => async () => {
      const rows = check(await client.rpc("experiment_comparison_page", { p_experiment_id: exp!.id, p_variant: 1, p_metric: "f1", p_limit: 50, ...args }), "page") as Array<{ total: number }>;
      if (!expectRows(rows.length)) throw new Error(`unexpected page size ${rows.length}`);
    };
    const [{ regressions }] = await sql`
      select count(*)::int as regressions from public.experiment_results b join public.experiment_results v on v.experiment_id = b.experiment_id and v.item_id = b.item_id and v.variant = 1
       where b.experiment_id = ${exp!.id} and b.variant = 0 and b.error is null and (v.error is not null or (v.scores ->> 'f1')::float8 < (b.scores ->> 'f1')::float8)`;
    const results = [
      await timed("first page (50 items × 4 variants)", RUNS, page({}, (n) => n === 50)),
      await timed("first page, regressions only (V2 vs V1 on f1)", RUNS, page({ p_regressions: true }, (n) => n === 50)),
      await timed("first page, text search", RUNS, page({ p_q: "order 12" }, (n) => n > 0)),
      await timed("first page, sorted by Δ f1 (worst first)", RUNS, page({ p_sort: "delta" }, (n) => n === 50)),
      await timed("page 40 (offset 2,000)", RUNS, page({ p_offset: 2000 }, (n) => n === 50)),
      await timed("per-variant figures (experiment_variant_stats)", RUNS, async () => {
        const rows = check(await client.rpc("experiment_variant_stats", { p_experiment_id: exp!.id }), "stats") as unknown[];
        if (rows.length !== VARIANTS) throw new Error("stats");
      }),
      await timed(`before: every result row (${ITEMS * VARIANTS}, 1,000 per request)`, Math.max(3, Math.round(RUNS / 12)), async () => {
        let n = 0;
        for (let from = 0; ; from += 1000) {
          const rows = check(await client.from("experiment_results").select("id, item_id, variant, output, scores, cost_usd, latency_ms, error").eq("experiment_id", exp!.id).order("id").range(from, from + 999), "rows");
          n += rows.length;
          if (rows.length < 1000) break;
        }
        if (n !== ITEMS * VARIANTS) throw new Error(`all rows: ${n}`);
      }),
    ];
    console.log(`${ITEMS} items × ${VARIANTS} variants (${ITEMS * VARIANTS} result rows, ${regressions} regressions of V2 vs V1 on f1), as a manager through REST + RLS`);
    console.table(results);
  } finally {
    await sql.end({ timeout: 2 });
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
