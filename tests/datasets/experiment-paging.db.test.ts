import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { isRegression, summarizeExperiment, type ResultRow } from "@review/shared/datasets/summary";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { client, getStack } from "../helpers/stack.ts";

// The comparison view's server side (public.experiment_comparison_page, public.experiment_variant_stats)
// against a direct computation over the same stored rows: 130 items × 3 variants with failures, missing
// results (a run in progress), unscored outputs and ties, read by a manager through REST under RLS.
let stack: StackInfo;
let db: postgres.Sql;
let org: TestOrg;
let other: TestOrg;
let experimentId: string;
type Row = { item_id: string; variant: number; output: string; scores: Record<string, number | null>; cost_usd: number | null; latency_ms: number | null; error: string | null };
let rows: Row[];
let items: Array<{ id: string; position: number; query: string; expected: string | null }>;
const N = 130;
const VARIANTS = 3;

beforeAll(async () => {
  stack = await getStack();
  db = postgres(stack.dbUrl, { onnotice: () => {}, max: 4 });
  [org, other] = await Promise.all([createOrg(stack, "paging"), createOrg(stack, "paging-other")]);
  const { admin, curator } = org.users;
  const data = Array.from({ length: N }, (_, i) => ({
    query: i % 17 === 0 ? `Is the 50% discount on order ${i} refundable?` : `How do I return order ${i}?`,
    ...(i % 11 === 0 ? {} : { expected: `Returns for order ${i} take 5 days.` }),
  }));
  const imported = await curator.client.rpc("import_dataset_items", { p_org_id: org.id, p_name: "paging", p_items: data });
  expect(imported.error).toBeNull();
  await curator.client.rpc("publish_dataset_version", { p_version_id: imported.data.id });
  const ev = await curator.client.from("evaluators").insert({ org_id: org.id, name: "f1", kind: "deterministic", config: { type: "token_f1" } }).select("id").single();
  const ev2 = await curator.client.from("evaluators").insert({ org_id: org.id, name: "concise", kind: "deterministic", config: { type: "length", min: 1, max: 100 } }).select("id").single();
  const started = await admin.client.rpc("start_job", {
    p_org_id: org.id, p_kind: "experiment", p_name: "paging",
    p_config: { datasetVersionId: imported.data.id, variants: [{ model: "offline-fast-1" }, { model: "offline-strong-1" }, { model: "offline-fast-1", label: "third" }], evaluatorIds: [ev.data!.id, ev2.data!.id] },
  });
  expect(started.error).toBeNull();
  // No worker runs this one: its results are written below, as a run would have stored them.
  await db`update public.job_queue set task = ${`parked_${randomUUID().slice(0, 8)}`} where job_id = ${started.data.job.id}`;
  const [exp] = await db`select id from public.experiments where job_id = ${started.data.job.id}`;
  experimentId = exp!.id;
  items = (await db`select id::text, position, query, expected from public.dataset_items where version_id = ${imported.data.id} order by position`) as never;
  rows = [];
  items.forEach((item, i) => {
    for (let v = 0; v < VARIANTS; v++) {
      // Item 7k+3 of the last variant has no result yet; every 13th output failed; every 19th has no f1.
      if (v === 2 && i % 7 === 3) continue;
      const failed = (i + v) % 13 === 0;
      const f1 = (i * 37 + v * 11) % 10 / 10;
      rows.push({
        item_id: item.id, variant: v,
        output: failed ? "" : v === 1 && i % 5 === 0 ? `Send it back within 30 days (order ${i}), 100% refund` : `Answer ${v} for order ${i}`,
        scores: failed ? {} : i % 19 === 0 ? { f1: null, concise: 1 } : { f1, concise: (i + v) % 2 },
        cost_usd: failed ? null : Math.round((0.0001 * (v + 1) + i * 1e-7) * 1e8) / 1e8,
        latency_ms: failed ? null : 100 + ((i * 7 + v * 3) % 50),
        error: failed ? "llm_upstream_error: boom" : null,
      });
    }
  });
  await db`
    insert into public.experiment_results (org_id, experiment_id, item_id, variant, output, scores, cost_usd, latency_ms, error)
    select ${org.id}, ${experimentId}, item_id, variant, output, scores, cost_usd, latency_ms, error
      from jsonb_to_recordset(${db.json(rows as never)}) as x(item_id uuid, variant int, output text, scores jsonb, cost_usd numeric, latency_ms int, error text)`;
});

afterAll(async () => {
  await db?.end({ timeout: 1 });
});

type PageRow = { item_id: string; item_position: number; query: string; expected: string | null; delta: number | null; results: Array<Row & { variant: number }>; total: number };
const page = async (args: Record<string, unknown>, who = org.users.manager) => {
  const r = await who.client.rpc("experiment_comparison_page", { p_experiment_id: experimentId, ...args });
  expect(r.error).toBeNull();
  return r.data as PageRow[];
};
/** Every page, in order, 50 at a time. */
async function all(args: Record<string, unknown>) {
  const out: PageRow[] = [];
  for (let offset = 0; ; offset += 50) {
    const p = await page({ ...args, p_limit: 50, p_offset: offset });
    out.push(...p);
    if (p.length < 50) return out;
  }
}
const toResult = (r: Row): ResultRow => ({ itemId: r.item_id, variant: r.variant, scores: r.scores, costUsd: r.cost_usd, latencyMs: r.latency_ms, error: r.error });
const find = (itemId: string, v: number) => rows.find((r) => r.item_id === itemId && r.variant === v);

describe("the comparison view's pages, filters and figures come from the database", () => {
  it("pages the items in dataset order with every variant's result, and counts them", async () => {
    const first = await page({ p_variant: 1, p_metric: "f1", p_limit: 50 });
    expect(first).toHaveLength(50);
    expect(first.every((r) => r.total === N)).toBe(true);
    expect(first.map((r) => r.item_id)).toEqual(items.slice(0, 50).map((i) => i.id));
    const everything = await all({ p_variant: 1, p_metric: "f1" });
    expect(everything.map((r) => r.item_position)).toEqual(items.map((i) => i.position));
    for (const r of everything) {
      const expected = rows.filter((x) => x.item_id === r.item_id).sort((a, b) => a.variant - b.variant);
      expect(r.results.map((x) => ({ ...x, cost_usd: x.cost_usd === null ? null : Number(x.cost_usd) }))).toEqual(
        expected.map(({ item_id: _, ...x }) => x),
      );
    }
  });

  it("the regressions filter gives exactly the items the client-side filter (isRegression) gave, for each variant and metric", async () => {
    for (const variant of [1, 2]) {
      for (const metric of ["f1", "concise"]) {
        const direct = items.filter((i) => isRegression(find(i.id, 0) && toResult(find(i.id, 0)!), find(i.id, variant) && toResult(find(i.id, variant)!), metric)).map((i) => i.id);
        expect(direct.length).toBeGreaterThan(5);
        const served = await all({ p_variant: variant, p_metric: metric, p_regressions: true });
        expect(served.map((r) => r.item_id)).toEqual(direct);
        expect(served.every((r) => r.total === direct.length)).toBe(true);
      }
    }
  });

  it("searches inputs, expected answers and both compared outputs, with % and _ taken literally", async () => {
    const hits = await all({ p_variant: 1, p_metric: "f1", p_q: "50%" });
    expect(hits.map((r) => r.item_id)).toEqual(items.filter((i) => i.query.includes("50%")).map((i) => i.id));
    const refunds = await all({ p_variant: 1, p_metric: "f1", p_q: "100% REFUND" });
    expect(refunds.map((r) => r.item_id)).toEqual(items.filter((i) => find(i.id, 1)?.output.includes("100% refund")).map((i) => i.id));
    // The same text in a variant not compared is not searched.
    expect(await all({ p_variant: 2, p_metric: "f1", p_q: "100% refund" })).toEqual([]);
    expect(await all({ p_variant: 1, p_metric: "f1", p_q: "order_1" })).toEqual([]);
  });

  it("sorts by the paired difference (worst first, unscored last, ties in dataset order), by latency and by cost", async () => {
    const delta = (i: { id: string }) => {
      const b = find(i.id, 0);
      const v = find(i.id, 1);
      const a = b && !b.error ? b.scores.f1 : null;
      const c = v && !v.error ? v.scores.f1 : null;
      return typeof a === "number" && typeof c === "number" ? c - a : null;
    };
    const expected = [...items].sort((x, y) => {
      const dx = delta(x);
      const dy = delta(y);
      if (dx === null || dy === null) return dx === dy ? x.position - y.position : dx === null ? 1 : -1;
      return dx - dy || x.position - y.position;
    });
    const served = await all({ p_variant: 1, p_metric: "f1", p_sort: "delta" });
    expect(served.map((r) => r.item_id)).toEqual(expected.map((i) => i.id));
    expect(served.map((r) => r.delta)).toEqual(expected.map(delta));
    const slow = await page({ p_variant: 2, p_metric: "f1", p_sort: "latency", p_limit: 10 });
    const latencies = slow.map((r) => r.results.find((x) => x.variant === 2)?.latency_ms ?? -1);
    expect(latencies).toEqual([...latencies].sort((a, b) => b - a));
    expect(latencies[0]).toBe(Math.max(...rows.filter((r) => r.variant === 2).map((r) => r.latency_ms ?? -1)));
    const dear = await page({ p_variant: 2, p_metric: "f1", p_sort: "cost", p_limit: 1 });
    expect(Number(dear[0]!.results.find((x) => x.variant === 2)!.cost_usd)).toBeCloseTo(Math.max(...rows.filter((r) => r.variant === 2).map((r) => r.cost_usd ?? 0)), 12);
  });

  it("per-variant figures equal the summary's means, counts, costs and paired differences over the same rows", async () => {
    const r = await org.users.manager.client.rpc("experiment_variant_stats", { p_experiment_id: experimentId });
    expect(r.error).toBeNull();
    const stats = r.data as Array<{ variant: number; n: number; errors: number; cost_usd: number; latency_p50: number; metrics: Record<string, { n: number; mean: number }>; vs_baseline: Record<string, { n: number; meanDiff: number }> }>;
    const direct = summarizeExperiment(rows.map(toResult), { variants: ["a", "b", "c"], metrics: ["f1", "concise"], baseline: 0, items: N, resamples: 10 });
    expect(stats.map((s) => s.variant)).toEqual([0, 1, 2]);
    for (const s of stats) {
      const d = direct.variants[s.variant]!;
      expect(s.n).toBe(d.n);
      expect(s.errors).toBe(d.errors);
      expect(Number(s.cost_usd)).toBeCloseTo(d.costUsd, 8);
      for (const m of ["f1", "concise"]) {
        expect(s.metrics[m]!.n).toBe(d.metrics[m]!.n);
        expect(s.metrics[m]!.mean).toBeCloseTo(d.metrics[m]!.mean!, 5);
        if (s.variant === 0) continue;
        const c = direct.comparisons.find((x) => x.variant === s.variant && x.metric === m)!;
        expect(s.vs_baseline[m]!.n).toBe(c.n);
        expect(s.vs_baseline[m]!.meanDiff).toBeCloseTo(c.meanDiff!, 5);
      }
    }
  });

  it("another organization's people, and a caller without a session, get nothing for this experiment's id", async () => {
    for (const who of [other.users.admin, other.users.manager]) {
      const p = await who.client.rpc("experiment_comparison_page", { p_experiment_id: experimentId, p_variant: 1, p_metric: "f1" });
      expect(p.error).toBeNull();
      expect(p.data).toEqual([]);
      const f = await who.client.rpc("experiment_comparison_page", { p_experiment_id: experimentId, p_variant: 1, p_metric: "f1", p_regressions: true, p_q: "order" });
      expect(f.data).toEqual([]);
      const s = await who.client.rpc("experiment_variant_stats", { p_experiment_id: experimentId });
      expect(s.error).toBeNull();
      expect(s.data).toEqual([]);
    }
    const a = await client(stack).rpc("experiment_comparison_page", { p_experiment_id: experimentId });
    expect(a.data ?? []).toEqual([]);
    expect(a.error?.code ?? "42501").toBe("42501");
  });
});
