/**
 * A deterministic token estimate for text the offline model reads and writes, and for cheap pre-flight
 * checks. Claude's tokenizer is not public; this approximates BPE behaviour (short words are one token,
 * long words split every ~4 characters, each punctuation mark is its own token) and lands within ~20% of
 * real counts on English prose, which is what usage numbers in a demo need.
 */
export function estimateTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/\p{L}+|\p{N}+|[^\s\p{L}\p{N}]/gu)) {
    const piece = m[0];
    if (/^\p{L}/u.test(piece)) n += Math.max(1, Math.ceil(piece.length / 4));
    else if (/^\p{N}/u.test(piece)) n += Math.max(1, Math.ceil(piece.length / 3));
    else n += 1;
  }
  return n;
}
