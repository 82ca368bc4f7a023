// Pure, isomorphic statistics for evaluation, promotion gates and drift (no Node or DOM APIs).
export * from "./rng.ts";
export * from "./describe.ts";
export * from "./inference.ts";
export * from "./psi.ts";
export * from "./text.ts";
export * from "./winrate.ts";
export * from "./agreement.ts";
export * from "./binomial.ts";
