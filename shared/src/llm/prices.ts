/**
 * USD per 1M tokens, as published on anthropic.com/pricing (checked 2025-11). Dated model ids
 * (claude-sonnet-4-5-20250929) and `-latest` aliases resolve by longest prefix, so a new snapshot of a
 * known family is priced without a code change. Offline models cost nothing: they run in the gateway.
 */
export type ModelPrice = {
  inputPerMTok: number;
  outputPerMTok: number;
  /** Prompt-cache writes (5-minute TTL) and reads, per 1M tokens. */
  cacheWritePerMTok: number;
  cacheReadPerMTok: number;
};

const claude = (input: number, output: number): ModelPrice => ({
  inputPerMTok: input,
  outputPerMTok: output,
  cacheWritePerMTok: input * 1.25,
  cacheReadPerMTok: input * 0.1,
});

const free: ModelPrice = { inputPerMTok: 0, outputPerMTok: 0, cacheWritePerMTok: 0, cacheReadPerMTok: 0 };

export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  "claude-opus-4-6": claude(5, 25),
  "claude-sonnet-4-6": claude(3, 15),
  "claude-opus-4-5": claude(5, 25),
  "claude-opus-4-1": claude(15, 75),
  "claude-opus-4": claude(15, 75),
  "claude-sonnet-4-5": claude(3, 15),
  "claude-sonnet-4": claude(3, 15),
  "claude-3-7-sonnet": claude(3, 15),
  "claude-haiku-4-5": claude(1, 5),
  "claude-3-5-haiku": claude(0.8, 4),
  "claude-3-haiku": claude(0.25, 1.25),
  "offline-fast-1": free,
  "offline-strong-1": free,
  // Fine-tuned offline models are named offline-ft:<models.id>.
  "offline-ft:": free,
};

const keysByLength = Object.keys(MODEL_PRICES).sort((a, b) => b.length - a.length);

/** The price of a model id, or undefined when we do not know it (cost is then logged as unknown, not 0). */
export function priceFor(model: string): ModelPrice | undefined {
  const id = model.trim().toLowerCase();
  const key = keysByLength.find((k) => id === k || id.startsWith(k.endsWith(":") ? k : `${k}-`) || id.startsWith(`${k} `));
  return key ? MODEL_PRICES[key] : undefined;
}
