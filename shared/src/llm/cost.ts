import { priceFor, type ModelPrice } from "./prices.ts";

export type TokenUsage = {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens?: number;
  cacheReadInputTokens?: number;
};

export type CostBreakdown = { input: number; output: number; total: number };

/** ai_requests.cost_usd is numeric(12,6)-like: keep micro-dollars so sums over millions of rows stay exact enough. */
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

export function costBreakdown(price: ModelPrice, usage: TokenUsage): CostBreakdown {
  // Anthropic reports cached tokens separately from input_tokens; they are billed at their own rates.
  const input =
    (usage.inputTokens * price.inputPerMTok +
      (usage.cacheCreationInputTokens ?? 0) * price.cacheWritePerMTok +
      (usage.cacheReadInputTokens ?? 0) * price.cacheReadPerMTok) /
    1e6;
  const output = (usage.outputTokens * price.outputPerMTok) / 1e6;
  return { input: round6(input), output: round6(output), total: round6(input + output) };
}

/** USD cost of one call, or null when the model's price is unknown (so a board never shows a false 0). */
export function costUsd(model: string, usage: TokenUsage): number | null {
  const price = priceFor(model);
  return price ? costBreakdown(price, usage).total : null;
}
