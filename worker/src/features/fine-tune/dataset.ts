import { createHash } from "node:crypto";
import { estimateTokens } from "@review/shared/llm/tokens";
import { seededRng, shuffled } from "@review/shared/stats/index";

export type Example = { id: string; query: string; answer: string; tags: string[]; created_at?: Date | string };

export type DatasetOptions = {
  seed: number;
  validationFraction: number;
  minSamples: number;
  maxTokensPerExample: number;
  systemPrompt: string;
};

export type DatasetSnapshot = {
  /** sha256 of the canonical train + validation content: equal hashes mean the same training data. */
  contentHash: string;
  seed: number;
  validationFraction: number;
  tags: string[];
  counts: { matched: number; duplicates: number; tooLong: number; used: number; train: number; validation: number };
  tokens: { train: number; validation: number; maxExample: number };
  trainIds: string[];
  validationIds: string[];
};

export type Dataset = { train: Example[]; validation: Example[]; snapshot: DatasetSnapshot };

export class DatasetTooSmallError extends Error {
  override readonly name = "DatasetTooSmallError";
}

/** Questions that differ only in case, spacing or punctuation are the same question. */
export function dedupeKey(query: string): string {
  return query.toLowerCase().normalize("NFKC").replace(/[\p{P}\p{S}]+/gu, " ").replace(/\s+/g, " ").trim();
}

export function exampleTokens(e: Pick<Example, "query" | "answer">, systemPrompt: string): number {
  // Chat framing costs a few tokens per message, as in the providers' accounting.
  return estimateTokens(systemPrompt) + estimateTokens(e.query) + estimateTokens(e.answer) + 3 * 4;
}

/**
 * Approved examples → a validated, deterministic train/validation split. Deterministic means: the same
 * examples and seed give the same split on any machine, whatever order the database returned and
 * whatever ids the rows have (the content hash also covers the ids, so it identifies the exact rows).
 * Duplicates keep the most recently approved answer (curators' latest word on the question).
 */
export function buildDataset(examples: readonly Example[], tags: readonly string[], opts: DatasetOptions): Dataset {
  const byNewest = examples.slice().sort((a, b) => time(b) - time(a) || (a.id < b.id ? -1 : 1));
  const seen = new Set<string>();
  let duplicates = 0;
  let tooLong = 0;
  const kept: Example[] = [];
  for (const e of byNewest) {
    const key = dedupeKey(e.query);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    if (exampleTokens(e, opts.systemPrompt) > opts.maxTokensPerExample) {
      tooLong++;
      continue;
    }
    kept.push(e);
  }
  if (kept.length < opts.minSamples) {
    throw new DatasetTooSmallError(
      `Only ${kept.length} usable approved example${kept.length === 1 ? "" : "s"} match${tags.length ? ` the tags ${tags.join(", ")}` : ""} ` +
        `(${examples.length} matched, ${duplicates} duplicate question${duplicates === 1 ? "" : "s"}, ${tooLong} over ${opts.maxTokensPerExample} tokens); ` +
        `at least ${opts.minSamples} are needed. Approve more answers or lower minSamples.`,
    );
  }
  // Ordered by content before the seeded shuffle (queries are unique after dedupe), so the split depends
  // on what the examples say and the seed, not on row ids: a re-imported dataset splits the same way.
  const byContent = (e: Example) => `${dedupeKey(e.query)}\u0000${e.answer}`;
  const ordered = shuffled(
    kept.slice().sort((a, b) => (byContent(a) < byContent(b) ? -1 : byContent(a) > byContent(b) ? 1 : 0)),
    seededRng(opts.seed),
  );
  const nVal = Math.min(ordered.length - 1, Math.max(1, Math.round(ordered.length * opts.validationFraction)));
  const validation = ordered.slice(0, nVal);
  const train = ordered.slice(nVal);
  const tok = (xs: Example[]) => xs.reduce((s, e) => s + exampleTokens(e, opts.systemPrompt), 0);
  const canonical = JSON.stringify({
    system: opts.systemPrompt,
    train: train.map((e) => [e.id, e.query, e.answer]),
    validation: validation.map((e) => [e.id, e.query, e.answer]),
  });
  return {
    train,
    validation,
    snapshot: {
      contentHash: createHash("sha256").update(canonical).digest("hex"),
      seed: opts.seed,
      validationFraction: opts.validationFraction,
      tags: [...tags],
      counts: { matched: examples.length, duplicates, tooLong, used: kept.length, train: train.length, validation: validation.length },
      tokens: { train: tok(train), validation: tok(validation), maxExample: Math.max(0, ...kept.map((e) => exampleTokens(e, opts.systemPrompt))) },
      trainIds: train.map((e) => e.id),
      validationIds: validation.map((e) => e.id),
    },
  };
}

function time(e: Example): number {
  return e.created_at ? new Date(e.created_at).getTime() : 0;
}

/** OpenAI chat fine-tuning format: one {"messages": [...]} object per line. */
export function toChatJsonl(examples: readonly Example[], systemPrompt: string): string {
  return examples
    .map((e) =>
      JSON.stringify({
        messages: [
          ...(systemPrompt ? [{ role: "system", content: systemPrompt }] : []),
          { role: "user", content: e.query },
          { role: "assistant", content: e.answer },
        ],
      }),
    )
    .join("\n") + (examples.length ? "\n" : "");
}
