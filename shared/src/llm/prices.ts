/**
 * USD per 1M tokens. Claude: as published on anthropic.com/pricing (checked 2025-11). OpenAI: as
 * published on openai.com/api/pricing, standard tier (checked 2025-11), including the inference
 * prices of fine-tuned models, which are higher than their base models'. Dated model ids
 * (claude-sonnet-4-5-20250929, gpt-4o-mini-2024-07-18) and `-latest` aliases resolve by longest
 * prefix, so a new snapshot of a known family is priced without a code change. Offline models cost
 * nothing: they run in the gateway. Other providers' models are unknown here (OpenRouter reports the
 * cost of each call itself, which the client prefers); unknown means no cost, never a false 0.
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

/** OpenAI bills no cache writes; cached prompt tokens are read at `cached`. */
const gpt = (input: number, output: number, cached = input): ModelPrice => ({
  inputPerMTok: input,
  outputPerMTok: output,
  cacheWritePerMTok: input,
  cacheReadPerMTok: cached,
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

export const OPENAI_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  "gpt-5.1": gpt(1.25, 10, 0.125),
  "gpt-5": gpt(1.25, 10, 0.125),
  "gpt-5-mini": gpt(0.25, 2, 0.025),
  "gpt-5-nano": gpt(0.05, 0.4, 0.005),
  "gpt-5-pro": gpt(15, 120),
  "gpt-4.1": gpt(2, 8, 0.5),
  "gpt-4.1-mini": gpt(0.4, 1.6, 0.1),
  "gpt-4.1-nano": gpt(0.1, 0.4, 0.025),
  "gpt-4o": gpt(2.5, 10, 1.25),
  "gpt-4o-2024-05-13": gpt(5, 15),
  "gpt-4o-mini": gpt(0.15, 0.6, 0.075),
  "o1": gpt(15, 60, 7.5),
  "o1-pro": gpt(150, 600),
  "o1-mini": gpt(1.1, 4.4, 0.55),
  "o3": gpt(2, 8, 0.5),
  "o3-pro": gpt(20, 80),
  "o3-mini": gpt(1.1, 4.4, 0.55),
  "o4-mini": gpt(1.1, 4.4, 0.275),
  "gpt-4-turbo": gpt(10, 30),
  "gpt-4": gpt(30, 60),
  "gpt-3.5-turbo": gpt(0.5, 1.5),
};

/** Inference on a fine-tuned model (`ft:<base>:<org>:<suffix>:<id>`), by base model family. */
export const OPENAI_FINE_TUNED_PRICES: Readonly<Record<string, ModelPrice>> = {
  "gpt-4.1": gpt(3, 12, 0.75),
  "gpt-4.1-mini": gpt(0.8, 3.2, 0.2),
  "gpt-4.1-nano": gpt(0.2, 0.8, 0.05),
  "gpt-4o": gpt(3.75, 15, 1.875),
  "gpt-4o-mini": gpt(0.3, 1.2, 0.15),
  "gpt-3.5-turbo": gpt(3, 6),
};

function lookup(table: Readonly<Record<string, ModelPrice>>, id: string): ModelPrice | undefined {
  const key = Object.keys(table)
    .sort((a, b) => b.length - a.length)
    .find((k) => id === k || id.startsWith(k.endsWith(":") ? k : `${k}-`) || id.startsWith(`${k} `));
  return key ? table[key] : undefined;
}

function openAiPrice(id: string): ModelPrice | undefined {
  if (id.startsWith("ft:")) return lookup(OPENAI_FINE_TUNED_PRICES, id.slice(3).split(":")[0]!);
  return lookup(OPENAI_MODEL_PRICES, id);
}

/**
 * The price of a model reference (providers.ts) or a provider's own model id, or undefined when we do
 * not know it (cost is then logged as unknown, not 0). A bare id is an Anthropic or offline model.
 */
export function priceFor(model: string): ModelPrice | undefined {
  const id = model.trim().toLowerCase();
  if (id.startsWith("offline-")) return lookup(MODEL_PRICES, id);
  const colon = id.indexOf(":");
  if (colon === -1) return lookup(MODEL_PRICES, id);
  const provider = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  switch (provider) {
    case "anthropic":
      return lookup(MODEL_PRICES, rest);
    case "openai":
      return openAiPrice(rest);
    case "openrouter": {
      // OpenRouter passes providers' list prices through: `vendor/model[:variant]`.
      const [slug, variant] = rest.split(":");
      if (variant === "free") return free;
      const [vendor, name] = slug!.split("/");
      if (!name) return undefined;
      if (vendor === "openai") return openAiPrice(name);
      // OpenRouter spells Claude versions with dots (claude-sonnet-4.5).
      if (vendor === "anthropic") return lookup(MODEL_PRICES, name.replace(/(\d)\.(\d)/g, "$1-$2"));
      return undefined;
    }
    default:
      return undefined;
  }
}
