import { describe, expect, it } from "vitest";
import { quantile } from "./describe.ts";
import { seededRng } from "./rng.ts";
import { cohenKappa, cohenKappaCi, fleissKappa, fleissKappaCi, itemDisagreement, krippendorffAlpha, krippendorffAlphaCi, toCategoryCounts } from "./index.ts";

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers × 12 units,
// values 1–5, "." = missing. Listed here by unit (A, B, C, D).
const _ = null;
const KRIPPENDORFF_2011 = [
  [1, 1, _, 1],
  [2, 2, 3, 2],
  [3, 3, 3, 3],
  [3, 3, 3, 3],
  [2, 2, 2, 2],
  [1, 2, 3, 4],
  [4, 4, 4, 4],
  [1, 1, 2, 1],
  [2, 2, 2, 2],
  [_, 5, 5, 5],
  [_, _, 1, 1],
  [_, 3, _, _],
];

// Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories → κ = 0.210.
const FLEISS_WIKIPEDIA = [
  [0, 0, 0, 0, 14],
  [0, 2, 6, 4, 2],
  [0, 0, 3, 5, 6],
  [0, 3, 9, 2, 0],
  [2, 2, 8, 1, 1],
  [7, 7, 0, 0, 0],
  [3, 2, 6, 3, 0],
  [2, 5, 3, 2, 2],
  [6, 5, 2, 1, 0],
  [0, 2, 2, 3, 7],
];

// Wikipedia, "Cohen's kappa": 50 grant proposals, two readers: yes/yes 20, A yes B no 5, A no B yes 10,
// no/no 15 → p_o = 0.7, p_e = 0.5, κ = 0.4.
function cohenExample() {
  const a: string[] = [];
  const b: string[] = [];
  const add = (x: string, y: string, n: number) => {
    for (let i = 0; i < n; i++) (a.push(x), b.push(y));
  };
  add("yes", "yes", 20);
  add("yes", "no", 5);
  add("no", "yes", 10);
  add("no", "no", 15);
  return { a, b };
}

describe("Krippendorff's alpha against Krippendorff (2011)", () => {
  it("nominal = 0.743 with missing data and 2–4 ratings per unit (unit 12 is not pairable)", () => {
    expect(krippendorffAlpha(KRIPPENDORFF_2011, "nominal")).toBeCloseTo(0.743, 3);
  });
  it("ordinal = 0.815, interval = 0.849, ratio = 0.797", () => {
    expect(krippendorffAlpha(KRIPPENDORFF_2011, "ordinal")).toBeCloseTo(0.815, 3);
    expect(krippendorffAlpha(KRIPPENDORFF_2011, "interval")).toBeCloseTo(0.849, 3);
    expect(krippendorffAlpha(KRIPPENDORFF_2011, "ratio")).toBeCloseTo(0.797, 3);
  });
  it("is 1 for perfect agreement and does not depend on the order of raters within a unit", () => {
    expect(krippendorffAlpha([[1, 1], [2, 2, 2], [3, 3]], "nominal")).toBe(1);
    const shuffledUnits = KRIPPENDORFF_2011.map((u) => u.slice().reverse());
    expect(krippendorffAlpha(shuffledUnits, "interval")).toBeCloseTo(krippendorffAlpha(KRIPPENDORFF_2011, "interval"), 12);
  });
  it("has a seeded bootstrap CI around the estimate that is the same on every run", () => {
    const ci = krippendorffAlphaCi(KRIPPENDORFF_2011, "nominal", { seed: 7, resamples: 500 });
    expect(ci.estimate).toBeCloseTo(0.743, 3);
    expect(ci.lower).toBeLessThan(ci.estimate);
    expect(ci.upper).toBeGreaterThanOrEqual(ci.estimate);
    expect(ci.upper).toBeLessThanOrEqual(1);
    expect(krippendorffAlphaCi(KRIPPENDORFF_2011, "nominal", { seed: 7, resamples: 500 })).toEqual(ci);
  });
});

describe("Fleiss' kappa", () => {
  it("reproduces Wikipedia's worked example (κ = 0.210)", () => {
    expect(fleissKappa(FLEISS_WIKIPEDIA)).toBeCloseTo(0.21, 3);
  });
  it("refuses items with different numbers of raters", () => {
    expect(() => fleissKappa([[1, 1], [2, 1]])).toThrow(/same number/);
  });
  it("builds the count matrix from raw ratings and agrees with the matrix form", () => {
    const units = FLEISS_WIKIPEDIA.map((row) => row.flatMap((n, j) => Array<number>(n).fill(j + 1)));
    expect(fleissKappa(toCategoryCounts(units))).toBeCloseTo(fleissKappa(FLEISS_WIKIPEDIA), 12);
  });
  it("has a seeded bootstrap CI", () => {
    const ci = fleissKappaCi(FLEISS_WIKIPEDIA, { seed: 3, resamples: 300 });
    expect(ci.lower).toBeLessThan(0.21);
    expect(ci.upper).toBeGreaterThan(0.21);
  });
});

describe("Cohen's kappa", () => {
  it("reproduces the textbook 50-item example (κ = 0.4)", () => {
    const { a, b } = cohenExample();
    expect(cohenKappa(a, b)).toBeCloseTo(0.4, 10);
  });
  it("is 1 for identical labels, and 0 when agreement is what chance gives", () => {
    expect(cohenKappa([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(cohenKappa(["a", "a", "b", "b"], ["a", "b", "a", "b"])).toBeCloseTo(0, 12);
  });
  it("has a seeded bootstrap CI containing the estimate", () => {
    const { a, b } = cohenExample();
    const ci = cohenKappaCi(a, b, { seed: 11, resamples: 500 });
    expect(ci.lower).toBeLessThan(0.4);
    expect(ci.upper).toBeGreaterThan(0.4);
    expect(cohenKappaCi(a, b, { seed: 11, resamples: 500 })).toEqual(ci);
  });
  it("Krippendorff's nominal alpha of two raters with no missing data is close to Cohen's kappa (it corrects for sample size)", () => {
    const { a, b } = cohenExample();
    const alpha = krippendorffAlpha(a.map((x, i) => [x, b[i]!]), "nominal");
    expect(Math.abs(alpha - 0.4)).toBeLessThan(0.02);
  });
});

describe("item disagreement", () => {
  it("is the share of disagreeing pairs (nominal) or the mean scaled distance", () => {
    expect(itemDisagreement(["a", "a"], "nominal")).toBe(0);
    expect(itemDisagreement(["a", "b"], "nominal")).toBe(1);
    expect(itemDisagreement([1, 5], "interval", 4)).toBe(1);
    expect(itemDisagreement([2, 3], "ordinal", 4)).toBe(0.25);
  });
});

describe("Krippendorff's alpha bootstrap: both paths are the plain resampling", () => {
  // The plain definition: draw N units with the seeded generator, alpha of the drawn units, percentiles.
  // (It lays each resample's matrix out anew, so sums run in another order: equal to ~1e-15, not bitwise.)
  function plainCi(units: Array<Array<number | string | null>>, level: "nominal" | "ordinal" | "interval" | "ratio", resamples: number, seed: number) {
    const pairable = units.filter((u) => u.filter((v) => v != null).length >= 2);
    const rng = seededRng(seed);
    const draws: number[] = [];
    for (let r = 0; r < resamples; r++) draws.push(krippendorffAlpha(pairable.map(() => pairable[Math.floor(rng() * pairable.length)]!), level));
    const finite = draws.filter(Number.isFinite);
    return { estimate: krippendorffAlpha(units, level), lower: quantile(finite, 0.025), upper: quantile(finite, 0.975), level: 0.95, resamples };
  }
  const LEVELS = ["nominal", "ordinal", "interval", "ratio"] as const;

  // Many distinct patterns (5 ratings of 4 values, or continuous values): units are drawn one by one
  // with the same stream as the definition, so the numbers are the definition's.
  it("draws unit by unit, with the definition's numbers, when the units do not fall into few patterns", () => {
    const rng = seededRng(5);
    const many = Array.from({ length: 400 }, () => Array.from({ length: 5 }, () => (rng() < 0.05 ? null : 1 + Math.floor(rng() * 4))));
    const continuous = Array.from({ length: 150 }, () => [1 + Math.round(rng() * 40) / 10, 1 + Math.round(rng() * 40) / 10, rng() < 0.3 ? null : 1 + Math.round(rng() * 40) / 10]);
    for (const units of [many, continuous]) {
      for (const level of LEVELS) {
        const fast = krippendorffAlphaCi(units, level, { resamples: 60, seed: 7 });
        const plain = plainCi(units, level, 60, 7);
        expect(fast.estimate).toBe(plain.estimate);
        expect(fast.lower).toBeCloseTo(plain.lower, 12);
        expect(fast.upper).toBeCloseTo(plain.upper, 12);
      }
    }
  });

  // Few patterns: per-pattern counts are drawn as one multinomial per resample, another random stream
  // for the same distribution. With 3,000 resamples each, the percentiles agree to Monte Carlo error
  // (a percentile's standard error here is ~1.5% of the interval's width; allowed: 8%).
  for (const raters of [2, 3]) {
    it(`draws per-pattern counts with ${raters} ratings per unit, and gives the definition's interval`, () => {
      const rng = seededRng(raters);
      const units = Array.from({ length: 400 }, () => Array.from({ length: raters }, () => (rng() < 0.05 ? null : 1 + Math.floor(rng() * 4))));
      for (const level of LEVELS) {
        const fast = krippendorffAlphaCi(units, level, { resamples: 3000, seed: 7 });
        const plain = plainCi(units, level, 3000, 11);
        const width = plain.upper - plain.lower;
        expect(fast.estimate).toBe(plain.estimate);
        expect(Math.abs(fast.lower - plain.lower)).toBeLessThan(0.08 * width);
        expect(Math.abs(fast.upper - plain.upper)).toBeLessThan(0.08 * width);
        // Seeded: the same numbers on every run.
        expect(krippendorffAlphaCi(units, level, { resamples: 3000, seed: 7 })).toEqual(fast);
      }
    });
  }
});
