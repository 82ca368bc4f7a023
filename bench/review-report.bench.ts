/**
 * `npx tsx bench/review-report.bench.ts`: the queue report's computation (shared/src/review/report.ts)
 * over 100,000 scores — 20 reviewers, 3 rubrics (ordinal, boolean, numeric), two reviewers per item —
 * with the bootstrap the web uses (300 resamples) and without. In-process only: fetching the rows over
 * REST is not part of it. Knobs: BENCH_SCORES, BENCH_ITERATIONS, BENCH_RESAMPLES.
 */
import os from "node:os";
import { queueReport, type Rubric, type ScoreRow } from "@review/shared/review/report";
import { seededRng } from "@review/shared/stats/rng";

const target = Number(process.env.BENCH_SCORES ?? 100_000);
const iterations = Number(process.env.BENCH_ITERATIONS ?? 10);
const rubrics: Rubric[] = [
  { id: "r1", name: "Quality", version: 1, kind: "ordinal", levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: String(v) })) },
  { id: "r2", name: "Escalate", version: 1, kind: "boolean" },
  { id: "r3", name: "Score", version: 1, kind: "numeric", min_value: 0, max_value: 10, step: 1 },
];
const rng = seededRng(1);
const reviewers = Array.from({ length: 20 }, (_, i) => `reviewer-${i}`);
const scores: ScoreRow[] = [];
let items = 0;
while (scores.length < target) {
  items++;
  const truth = 1 + Math.floor(rng() * 5);
  const a = Math.floor(rng() * 20);
  const b = (a + 1 + Math.floor(rng() * 19)) % 20;
  for (const r of [reviewers[a]!, reviewers[b]!]) {
    const noise = rng() < 0.7 ? 0 : rng() < 0.5 ? 1 : -1;
    scores.push({ item_id: `item-${items}`, reviewer_id: r, score_config_id: "r1", value: Math.max(1, Math.min(5, truth + noise)) });
    scores.push({ item_id: `item-${items}`, reviewer_id: r, score_config_id: "r2", value: truth <= 2 ? rng() > 0.1 : rng() < 0.1 });
    scores.push({ item_id: `item-${items}`, reviewer_id: r, score_config_id: "r3", value: Math.max(0, Math.min(10, truth * 2 + noise)) });
  }
}

const pct = (xs: number[], q: number) => xs.slice().sort((x, y) => x - y)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;
console.log("| what | p50 | p95 | max | CPU p50 | load after |");
console.log(`${scores.length} scores, ${items} items, 20 reviewers, 3 rubrics; load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} CPUs`);
// Both modes interleaved, run by run, after three warm-up runs each: whichever ran first would otherwise
// pay the collection of the generated rows and the compiler's warm-up alone.
const modes = [Number(process.env.BENCH_RESAMPLES ?? 300), 0];
for (let w = 0; w < 3; w++) for (const resamples of modes) queueReport(rubrics, scores, [], { resamples, seed: "warm-up" });
const times = modes.map(() => [] as number[]);
const cpu = modes.map(() => [] as number[]);
for (let i = 0; i < iterations; i++) {
  modes.forEach((resamples, m) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    queueReport(rubrics, scores, [], { resamples, seed: "bench" });
    times[m]!.push(performance.now() - t0);
    // Process CPU time (this thread plus the GC's helpers): what the run cost, apart from waiting for a
    // core on a shared machine.
    const c = process.cpuUsage(c0);
    cpu[m]!.push((c.user + c.system) / 1000);
  });
}
modes.forEach((resamples, m) => {
  const t = times[m]!;
  console.log(`| report, ${resamples} bootstrap resamples (n=${iterations}) | ${pct(t, 0.5).toFixed(0)} ms | ${pct(t, 0.95).toFixed(0)} ms | ${Math.max(...t).toFixed(0)} ms | ${pct(cpu[m]!, 0.5).toFixed(0)} ms | load ${os.loadavg()[0]!.toFixed(1)} |`);
});
