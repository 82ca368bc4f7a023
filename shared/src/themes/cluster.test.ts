import { describe, expect, it } from "vitest";
import { adjustedRandIndex, clusterAuto, clusterKeywords, embedLocal } from "./cluster.ts";
import { syntheticFeedback, SYNTHETIC_TOPICS } from "./synthetic.ts";

describe("adjusted Rand index", () => {
  it("is 1 for the same partition under any labels, and about 0 for an unrelated one", () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], ["b", "b", "a", "a", "c", "c"])).toBeCloseTo(1, 10);
    // Hubert & Arabie's worked example shape: a known value
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(0.24242, 4);
    const a = Array.from({ length: 2000 }, (_, i) => i % 4);
    const b = Array.from({ length: 2000 }, (_, i) => Math.floor(i / 7) % 5);
    expect(Math.abs(adjustedRandIndex(a, b))).toBeLessThan(0.02);
  });
});

describe("themes from feedback", () => {
  it("recovers known topics (ARI >= 0.7) and chooses the number of themes itself", () => {
    const items = syntheticFeedback(60, 11);
    const texts = items.map((i) => `${i.query} ${i.comment}`);
    const result = clusterAuto(embedLocal(texts), { maxK: 8, seed: 5 });
    expect(result.k).toBe(Object.keys(SYNTHETIC_TOPICS).length);
    const ari = adjustedRandIndex(items.map((i) => i.topic), result.labels);
    expect(ari).toBeGreaterThanOrEqual(0.7);
    // A topic's own words name its cluster.
    const keywords = clusterKeywords(texts, result.labels, result.k);
    const refundCluster = result.labels[items.findIndex((i) => i.topic === "refund")]!;
    expect(keywords[refundCluster]!.some((w) => /refund|charg|money|reimburs|billing|payment|credit/.test(w))).toBe(true);
  });

  it("is deterministic for the same input and seed", () => {
    const texts = syntheticFeedback(20, 3).map((i) => i.query);
    const a = clusterAuto(embedLocal(texts), { maxK: 6, seed: 9 });
    const b = clusterAuto(embedLocal(texts), { maxK: 6, seed: 9 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
  });

  it("handles tiny inputs without inventing themes", () => {
    expect(clusterAuto([], { maxK: 5, seed: 1 }).k).toBe(0);
    expect(clusterAuto(embedLocal(["one complaint"]), { maxK: 5, seed: 1 }).k).toBe(1);
  });
});
