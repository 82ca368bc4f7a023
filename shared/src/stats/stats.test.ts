import { describe, expect, it } from "vitest";
import {
  bootstrapMeanCi,
  lcsLength,
  mean,
  pairedPermutationTest,
  psi,
  quantile,
  ratingHistogram,
  rougeL,
  seededRng,
  shuffled,
  signTest,
  tokenF1,
} from "./index.ts";

describe("token F1 (SQuAD definition)", () => {
  it("ignores case, punctuation and articles", () => {
    expect(tokenF1("The cat sat on the mat.", "cat sat on mat")).toBe(1);
  });
  it("scores partial overlap as the harmonic mean of precision and recall", () => {
    // p = [quick, brown, fox], r = [quick, fox, jumps]: 2 common → P = R = 2/3
    expect(tokenF1("a quick brown fox", "the quick fox jumps")).toBeCloseTo(2 / 3, 10);
    // p = [refund, takes, 5, days] r = [refunds, take, 5, business, days]: common {5, days} → P=1/2 R=2/5 → F1=4/9
    expect(tokenF1("refund takes 5 days", "refunds take 5 business days")).toBeCloseTo(4 / 9, 10);
  });
  it("counts repeated tokens at most as often as the reference has them", () => {
    // p = [yes, yes, yes], r = [yes, no]: common 1 → P = 1/3, R = 1/2 → F1 = 0.4
    expect(tokenF1("yes yes yes", "yes no")).toBeCloseTo(0.4, 10);
  });
  it("follows SQuAD for empty answers", () => {
    expect(tokenF1("", "")).toBe(1);
    expect(tokenF1("the", "cat")).toBe(0);
  });
});

describe("ROUGE-L", () => {
  it("matches Lin (2004)'s example ordering", () => {
    // After article removal: ref [police, killed, gunman]
    expect(rougeL("police kill the gunman", "police killed the gunman")).toBeCloseTo(2 / 3, 10);
    expect(rougeL("the gunman kill police", "police killed the gunman")).toBeCloseTo(1 / 3, 10);
  });
  it("uses the longest common subsequence", () => {
    expect(lcsLength(["a", "b", "c", "d", "e"], ["a", "c", "e", "x"])).toBe(3);
    // LCS 3 of 5 predicted and 4 reference tokens: P = 3/5, R = 3/4 → F = 2PR/(P+R) = 2/3
    expect(rougeL("w b c d e", "b x d e")).toBeCloseTo((2 * (3 / 5) * (3 / 4)) / (3 / 5 + 3 / 4), 10);
  });
});

describe("PSI", () => {
  it("matches a hand-computed value", () => {
    expect(psi([25, 25, 25, 25], [10, 20, 30, 40])).toBeCloseTo(0.228218, 5);
  });
  it("is 0 for identical distributions and symmetric", () => {
    expect(psi([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])).toBeCloseTo(0, 12);
    expect(psi([10, 20, 30, 40], [25, 25, 25, 25])).toBeCloseTo(psi([25, 25, 25, 25], [10, 20, 30, 40]), 12);
  });
  it("stays finite when a bin is empty", () => {
    const v = psi([50, 50, 0, 0, 0], [0, 0, 0, 50, 50]);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(5);
  });
  it("bins integer ratings", () => {
    expect(ratingHistogram([1, 1, 3, 5, 5, 5, 7, 0])).toEqual([2, 0, 1, 0, 3]);
  });
});

describe("sign test", () => {
  it("gives exact binomial two-sided p-values", () => {
    expect(signTest(9, 1).pValue).toBeCloseTo(22 / 1024, 12);
    expect(signTest(8, 2).pValue).toBeCloseTo(112 / 1024, 12);
    expect(signTest(5, 5).pValue).toBe(1);
    expect(signTest(0, 0).pValue).toBe(1);
    // 20-0: 2 / 2^20
    expect(signTest(20, 0).pValue).toBeCloseTo(2 / 2 ** 20, 15);
  });
});

describe("paired permutation test", () => {
  it("enumerates sign flips exactly for small n", () => {
    expect(pairedPermutationTest([1, 1, 1, 1, 1]).pValue).toBeCloseTo(2 / 32, 12);
    expect(pairedPermutationTest([1, 2, 3, 4, 5, 6]).pValue).toBeCloseTo(2 / 64, 12);
    // [1, -1]: every pattern has |sum| ≥ 0 → p = 1
    expect(pairedPermutationTest([1, -1]).pValue).toBe(1);
  });
  it("Monte Carlo agrees with exact enumeration", () => {
    const diffs = [0.3, -0.1, 0.2, 0.25, 0.05, -0.05, 0.4, 0.1, 0.15, -0.2, 0.3, 0.1, 0.05, 0.2];
    const exact = pairedPermutationTest(diffs);
    const mc = pairedPermutationTest(diffs, { exactUpTo: 0, resamples: 50_000, seed: 7 });
    expect(exact.method).toBe("paired-permutation-exact");
    expect(mc.pValue).toBeCloseTo(exact.pValue, 2);
  });
  it("is deterministic for a seed", () => {
    const diffs = Array.from({ length: 40 }, (_, i) => ((i * 37) % 11) / 10 - 0.4);
    expect(pairedPermutationTest(diffs, { seed: 3 }).pValue).toBe(pairedPermutationTest(diffs, { seed: 3 }).pValue);
  });
});

describe("bootstrap CI", () => {
  it("collapses to the value for constant data", () => {
    const ci = bootstrapMeanCi([0.3, 0.3, 0.3, 0.3]);
    expect(ci.lower).toBeCloseTo(0.3, 12);
    expect(ci.upper).toBeCloseTo(0.3, 12);
  });
  it("agrees with the normal approximation on a large sample", () => {
    const xs = Array.from({ length: 400 }, (_, i) => i % 100);
    const ci = bootstrapMeanCi(xs, { seed: 11, resamples: 5000 });
    // mean 49.5, sd 28.90 → se = 1.445 → ±1.96 se = ±2.83
    expect(ci.estimate).toBeCloseTo(49.5, 10);
    expect(ci.lower).toBeGreaterThan(49.5 - 2.83 - 0.3);
    expect(ci.lower).toBeLessThan(49.5 - 2.83 + 0.3);
    expect(ci.upper).toBeGreaterThan(49.5 + 2.83 - 0.3);
    expect(ci.upper).toBeLessThan(49.5 + 2.83 + 0.3);
  });
  it("is reproducible with a seed", () => {
    const xs = [0.1, 0.5, -0.2, 0.3, 0.9, 0];
    expect(bootstrapMeanCi(xs, { seed: 5 })).toEqual(bootstrapMeanCi(xs, { seed: 5 }));
  });
});

describe("helpers", () => {
  it("quantile uses linear interpolation (type 7)", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.9)).toBeCloseTo(46, 12);
    expect(mean([1, 2, 3])).toBe(2);
  });
  it("seeded shuffles are deterministic permutations", () => {
    const a = shuffled([1, 2, 3, 4, 5, 6, 7, 8], seededRng(42));
    expect(a).toEqual(shuffled([1, 2, 3, 4, 5, 6, 7, 8], seededRng(42)));
    expect(a.slice().sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
