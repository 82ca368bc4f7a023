import { describe, expect, it } from "vitest";
import { bootstrapMeanCi, mean, pairedPermutationTest, quantile } from "../stats/index.ts";
import { DeterministicCheck, runDeterministic } from "./evaluators.ts";
import { parseCsv, parseDatasetFile, parseJsonl, toCsv, toJsonl } from "./import.ts";
import { holm, isRegression, summarizeExperiment, type ResultRow } from "./summary.ts";

describe("dataset import", () => {
  it("reports every bad JSONL row by line and field, and yields no items", () => {
    const file = [
      '{"query": "How do I get a refund?", "expected": "Open Orders."}',
      "",
      '{"query": ""}',
      "{not json",
      '{"query": "ok", "variables": [1, 2]}',
      '{"query": "ok", "colour": "red"}',
      '["an array"]',
      '{"query": "fine"}',
    ].join("\n");
    const r = parseJsonl(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.line, e.field])).toEqual([
      [3, "query"],
      [4, "(line)"],
      [5, "variables"],
      [6, "(row)"],
      [7, "(line)"],
    ]);
    expect(r.errors[0]!.message).toBe("query is required");
  });

  it("reports bad CSV rows (missing query, bad JSON cell, wrong field count) with their starting line", () => {
    const file = 'query,expected,metadata\r\n"Multi\nline question",answer,\r\n,missing query,\r\nok,x,{bad\r\nok,x\r\n"fine, with comma","He said ""hi""","{""k"":1}"\r\n';
    const r = parseCsv(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.line, e.field])).toEqual([
      [4, "query"],
      [5, "metadata"],
      [6, "(row)"],
    ]);
  });

  it("rejects unknown CSV columns in the header", () => {
    const r = parseCsv("question,answer\nq,a\n");
    expect(r).toMatchObject({ ok: false, errors: [{ line: 1, field: "(header)" }, { line: 1, message: "a query column is required" }] });
  });

  it("a good file round-trips through export, in both formats", () => {
    const src = [
      { query: "How do I reset my password?", context: null, variables: {}, expected: "Click Forgot password.", metadata: {} },
      { query: "  leading space, \"quotes\" and, commas\nand a newline", context: "ctx\r\nwith CRLF", variables: { tone: "formal", n: 3 }, expected: null, metadata: { feedbackId: "x", labels: ["a", "b"] } },
      { query: "ünïcødé ✓", context: null, variables: { nested: { a: [1, { b: null }] } }, expected: "ok", metadata: {} },
    ];
    for (const fmt of ["jsonl", "csv"] as const) {
      const text = fmt === "jsonl" ? toJsonl(src) : toCsv(src);
      const back = parseDatasetFile(`export.${fmt}`, text);
      expect(back).toEqual({ ok: true, items: src });
      const again = fmt === "jsonl" ? toJsonl((back as { items: typeof src }).items) : toCsv((back as { items: typeof src }).items);
      expect(again).toBe(text);
    }
  });
});

describe("deterministic evaluators", () => {
  const x = (output: string, expected: string | null = null, latencyMs: number | null = 100, costUsd: number | null = 0.001) => ({ output, expected, latencyMs, costUsd });
  const run = (c: unknown, s: ReturnType<typeof x>) => runDeterministic(DeterministicCheck.parse(c), s);
  it("scores each check", () => {
    expect(run({ type: "exact_match" }, x(" Open  Orders ", "open orders"))).toBe(1);
    expect(run({ type: "exact_match", caseSensitive: true }, x("Open Orders", "open orders"))).toBe(0);
    expect(run({ type: "exact_match" }, x("a"))).toBeNull();
    expect(run({ type: "contains" }, x("Please open orders now", "open orders"))).toBe(1);
    expect(run({ type: "contains", value: "refund" }, x("no"))).toBe(0);
    expect(run({ type: "regex", pattern: "\\d+ business days" }, x("within 5 business days"))).toBe(1);
    expect(run({ type: "json_valid" }, x('{"a": 1}'))).toBe(1);
    expect(run({ type: "json_valid", requiredKeys: ["a", "b"] }, x('```json\n{"a": 1}\n```'))).toBe(0);
    expect(run({ type: "json_valid" }, x("not json"))).toBe(0);
    expect(run({ type: "token_f1" }, x("the cat sat", "cat sat down"))).toBeCloseTo(0.8, 10);
    expect(run({ type: "rouge_l" }, x("x y z w", "x z w"))).toBeCloseTo((2 * 0.75 * 1) / 1.75, 10);
    expect(run({ type: "length", min: 2, max: 5 }, x("abcdef"))).toBe(0);
    expect(run({ type: "latency", maxMs: 50 }, x("a", null, 100))).toBe(0);
    expect(run({ type: "cost", maxUsd: 0.01 }, x("a", null, 1, 0.001))).toBe(1);
    expect(run({ type: "cost", maxUsd: 0.01 }, x("a", null, 1, null))).toBeNull();
  });
  it("refuses a regex that does not compile", () => {
    expect(DeterministicCheck.safeParse({ type: "regex", pattern: "(" }).success).toBe(false);
  });
});

describe("experiment summary", () => {
  it("Holm's adjustment matches the textbook example", () => {
    // m = 4, sorted p: .01 .02 .03 .04 → 4·.01, 3·.02, 2·.03 (max-accumulated), 1·.04
    expect(holm([0.03, 0.01, 0.04, 0.02]).map((p) => +p.toFixed(6))).toEqual([0.06, 0.04, 0.06, 0.06]);
    expect(holm([0.5, 0.9])).toEqual([1, 1]);
    expect(holm([0.01, 0.9])).toEqual([0.02, 0.9]);
  });

  it("equals a direct computation of means, CIs, percentiles, paired differences and Holm", () => {
    const rows: ResultRow[] = [];
    const n = 40;
    for (let i = 0; i < n; i++) {
      for (let v = 0; v < 3; v++) {
        const base = (i % 7) / 7;
        const s = Math.min(1, Math.max(0, base + (v === 1 ? 0.2 : v === 2 ? ((i % 3) - 1) * 0.05 : 0)));
        rows.push({ itemId: `i${i}`, variant: v, scores: { f1: s }, costUsd: 0.001 * (v + 1), latencyMs: 100 + i * (v + 1), error: v === 2 && i === 5 ? "boom" : null });
      }
    }
    const s = summarizeExperiment(rows, { variants: ["A", "B", "C"], metrics: ["f1"], baseline: 0, items: n, seed: 3, resamples: 1000 });
    const scoresOf = (v: number) => rows.filter((r) => r.variant === v && !r.error).map((r) => r.scores.f1 as number);
    for (const v of [0, 1, 2]) {
      const ci = bootstrapMeanCi(scoresOf(v), { seed: 3, resamples: 1000 });
      expect(s.variants[v]!.metrics.f1!.mean).toBeCloseTo(mean(scoresOf(v)), 6);
      expect(s.variants[v]!.metrics.f1!.lower).toBeCloseTo(ci.lower, 6);
      expect(s.variants[v]!.metrics.f1!.upper).toBeCloseTo(ci.upper, 6);
      const lat = rows.filter((r) => r.variant === v && !r.error).map((r) => r.latencyMs!);
      expect(s.variants[v]!.latencyMs.p90).toBe(Math.round(quantile(lat, 0.9)));
      expect(s.variants[v]!.costPerItemUsd).toBeCloseTo(0.001 * (v + 1), 10);
    }
    expect(s.variants[2]!.errors).toBe(1);
    const diffs = (v: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const a = rows.find((r) => r.variant === 0 && r.itemId === `i${i}`)!;
        const b = rows.find((r) => r.variant === v && r.itemId === `i${i}`)!;
        if (!b.error) out.push((b.scores.f1 as number) - (a.scores.f1 as number));
      }
      return out;
    };
    const p1 = pairedPermutationTest(diffs(1), { seed: 3 }).pValue;
    const p2 = pairedPermutationTest(diffs(2), { seed: 3 }).pValue;
    const [h1, h2] = holm([p1, p2]);
    const c1 = s.comparisons.find((c) => c.variant === 1)!;
    const c2 = s.comparisons.find((c) => c.variant === 2)!;
    expect(c1).toMatchObject({ n: 40, pValue: p1, pHolm: h1, significant: true });
    expect(c1.meanDiff).toBeCloseTo(mean(diffs(1)), 6);
    expect(c2).toMatchObject({ n: 39, pValue: p2, pHolm: h2 });
    expect(c2.significant).toBe(h2! < 0.05);
  });

  it("flags regressions: lower than the baseline, or an error where the baseline answered", () => {
    const row = (score: number | null, error: string | null = null): ResultRow => ({ itemId: "i", variant: 0, scores: { f1: score }, costUsd: 0, latencyMs: 1, error });
    expect(isRegression(row(0.8), row(0.5), "f1")).toBe(true);
    expect(isRegression(row(0.5), row(0.8), "f1")).toBe(false);
    expect(isRegression(row(0.5), row(null, "429"), "f1")).toBe(true);
    expect(isRegression(row(null, "x"), row(0.1), "f1")).toBe(false);
  });
});

describe("version diff", () => {
  it("matches items by their input and reports added, removed and changed fields", async () => {
    const { diffVersions } = await import("./diff.ts");
    const v1: Array<{ query: string; expected: string | null; variables?: Record<string, number> }> = [{ query: "Refund?", expected: "30 days" }, { query: "Shipping time?", expected: "3-5 days" }, { query: "Dark mode?", expected: null, variables: { a: 1, b: 2 } }];
    const v2: typeof v1 = [{ query: "refund? ", expected: "30 days" }, { query: "Dark mode?", expected: "Settings", variables: { b: 2, a: 1 } }, { query: "Invoices?", expected: "Billing" }];
    const d = diffVersions(v1, v2);
    expect(d.added.map((i) => i.query)).toEqual(["Invoices?"]);
    expect(d.removed.map((i) => i.query)).toEqual(["Shipping time?"]);
    expect(d.changed.map((c) => [c.after.query, c.fields])).toEqual([["refund? ", ["query"]], ["Dark mode?", ["expected"]]]);
    expect(d.unchanged).toBe(0);
  });
});
