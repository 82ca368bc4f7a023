/**
 * Reference-based text metrics, as used for QA evaluation:
 * - token F1: SQuAD's official definition (lower-case, strip punctuation and articles a/an/the, split on
 *   whitespace; F1 of the token multisets);
 * - ROUGE-L: F-measure of the longest common subsequence of tokens (Lin 2004) with β = 1, on the same
 *   normalized tokens.
 */
export function normalizeAnswer(s: string): string {
  return s
    .toLowerCase()
    .normalize("NFKC")
    .replace(/[\p{P}\p{S}]/gu, " ")
    .replace(/\b(a|an|the)\b/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export function answerTokens(s: string): string[] {
  const n = normalizeAnswer(s);
  return n ? n.split(" ") : [];
}

export function tokenF1(prediction: string, reference: string): number {
  const p = answerTokens(prediction);
  const r = answerTokens(reference);
  // SQuAD: if either is empty, F1 is 1 when both are, else 0.
  if (!p.length || !r.length) return p.length === r.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of r) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      common++;
      counts.set(t, c - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / r.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Length of the longest common subsequence, O(n·m) time and O(min) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length < b.length) [a, b] = [b, a];
  let prev = new Array<number>(b.length + 1).fill(0);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

export function rougeL(prediction: string, reference: string, beta = 1): number {
  const p = answerTokens(prediction);
  const r = answerTokens(reference);
  if (!p.length || !r.length) return p.length === r.length ? 1 : 0;
  const lcs = lcsLength(p, r);
  if (lcs === 0) return 0;
  const precision = lcs / p.length;
  const recall = lcs / r.length;
  return ((1 + beta ** 2) * precision * recall) / (recall + beta ** 2 * precision);
}
