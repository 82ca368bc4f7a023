/**
 * What online evaluation's sampling trigger costs on the hot path (issue 20, item 4): ai_requests
 * inserts per second, side by side in the same run, in four conditions:
 *   off      the trigger disabled (the table as it was before online evaluation);
 *   no text  the trigger on, a rule at rate 1, rows without text (the seed's history, bulk loads): the
 *            trigger's WHEN clause skips them;
 *   no rule  the trigger on, the organization has no online evaluator (every organization's default);
 *   rate 0.1 one enabled rule matching every call, sampling 10% (a queue entry per sample, text kept);
 *   rate 1   one enabled rule sampling every call.
 * Two shapes: one row per statement over one connection (how the worker and the functions log a call;
 * in one transaction, so the commit's disk wait does not drown the statement's cost)
 * and one 5,000-row statement (a bulk load, where the per-row trigger shows most). Rounds interleave the
 * conditions so load on the shared machine hits them alike; medians are reported.
 *
 *   npm run bench:online-eval        # private embedded stack in .data/bench-online-eval (fresh)
 *   BENCH_SINGLE=2000 BENCH_BULK=5000 BENCH_ROUNDS=7   # knobs (defaults shown)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { freePort, createLogger, startStack } from "@review/local-supabase";

const SINGLE = Number(process.env.BENCH_SINGLE ?? 2000);
const BULK = Number(process.env.BENCH_BULK ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.join(root, ".data", "bench-online-eval");
fs.rmSync(dataDir, { recursive: true, force: true });
const stack = await startStack({ root, dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger("bench-online-eval", "warn") });
const db = postgres(stack.dbUrl, { onnotice: () => {}, max: 1 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const OUTPUT = "Open Orders, choose the order and click Request refund. Refunds go back to the original payment method within 5 business days. ".repeat(4);

type Condition = { name: string; org: string; trigger: boolean; text?: false };
try {
  const org = async (name: string) => (await db`insert into public.organizations (name, slug) values (${name}, ${`bench-oe-${name.replace(/\W/g, "")}`}) returning id`)[0]!.id as string;
  const [off, none, tenth, all] = [await org("off"), await org("none"), await org("tenth"), await org("all")];
  for (const [o, rate] of [[tenth, 0.1], [all, 1]] as const) {
    const [e] = await db`insert into public.evaluators (org_id, name, kind, config) values (${o}, 'concise', 'deterministic', '{"type": "length", "min": 20, "max": 900}') returning id`;
    await db`insert into public.online_evaluators (org_id, evaluator_id, sampling_rate) values (${o}, ${e!.id}, ${rate})`;
  }
  const conditions: Condition[] = [
    { name: "off", org: off, trigger: false },
    { name: "no text", org: all, trigger: true, text: false },
    { name: "no rule", org: none, trigger: true },
    { name: "rate 0.1", org: tenth, trigger: true },
    { name: "rate 1", org: all, trigger: true },
  ];
  const single: Record<string, number[]> = {};
  const bulk: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round, so no condition always runs first or last.
    const order = conditions.map((_, i) => conditions[(i + round) % conditions.length]!);
    for (const c of order) {
      await db.unsafe(`alter table public.ai_requests ${c.trigger ? "enable" : "disable"} trigger ai_requests_online_eval`);
      // In one transaction: each statement's own cost (the trigger's included) without waiting for a
      // commit to reach the disk, which on this shared machine is most of a lone insert's time and noise.
      let t = performance.now();
      await db.begin(async (tx) => {
        for (let i = 0; i < SINGLE; i++) {
          await tx`insert into public.ai_requests (org_id, function_name, model, input_tokens, output_tokens, cost_usd, latency_ms, status, input_text, output_text)
                   values (${c.org}, 'suggest-answer', 'offline-fast-1', 400, 120, 0.0004, 900, 'ok', ${c.text === false ? null : "How do I get a refund?"}, ${c.text === false ? null : OUTPUT})`;
        }
      });
      (single[c.name] ??= []).push(SINGLE / ((performance.now() - t) / 1000));
      t = performance.now();
      await db`insert into public.ai_requests (org_id, function_name, model, input_tokens, output_tokens, cost_usd, latency_ms, status, input_text, output_text)
               select ${c.org}, 'suggest-answer', 'offline-fast-1', 400, 120, 0.0004, 900, 'ok', ${c.text === false ? null : "How do I get a refund?"}::text, ${c.text === false ? null : OUTPUT}::text
               from generate_series(1, ${BULK})`;
      (bulk[c.name] ??= []).push(BULK / ((performance.now() - t) / 1000));
      // Nothing consumes the queue here; keep it the same size for every round.
      await db`delete from public.job_queue where task = 'online_eval'`;
    }
  }
  await db.unsafe("alter table public.ai_requests enable trigger ai_requests_online_eval");
  const base = { single: median(single.off!), bulk: median(bulk.off!) };
  console.log(`\nai_requests inserts per second (medians of ${ROUNDS} rounds; ${SINGLE} single-row statements, one ${BULK}-row statement; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")})`);
  console.log("| condition | single-row inserts/s | vs off | bulk rows/s | vs off |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const c of conditions) {
    const s = median(single[c.name]!);
    const b = median(bulk[c.name]!);
    const addedUs = (x: number, b0: number) => Math.round(1e6 / x - 1e6 / b0);
    console.log(`| ${c.name} | ${Math.round(s)} | ${(s / base.single).toFixed(2)}× (${addedUs(s, base.single)} µs/row) | ${Math.round(b)} | ${(b / base.bulk).toFixed(2)}× (${addedUs(b, base.bulk)} µs/row) |`);
  }
} finally {
  await db.end({ timeout: 1 });
  await stack.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
