/** Small, deterministic text helpers the offline model composes with. */
import { tokenize } from "@review/shared/llm/retrieval";

export function sentences(text: string): string[] {
  return text
    .replace(/\r/g, "")
    .split(/(?<=[.!?])\s+(?=[A-Z0-9"“(])|\n+/)
    .map((s) => s.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, "").trim())
    .filter((s) => s.length > 0);
}

export function ensurePeriod(s: string): string {
  const t = s.trim();
  return /[.!?:]$/.test(t) ? t : `${t}.`;
}

export function capitalize(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** "How do I reset my password?" → "how to reset your password"; null when the question has another shape. */
export function howTo(query: string): string | null {
  const first = (sentences(query)[0] ?? query).replace(/[?!.]+$/, "");
  const m = first.match(/^(?:how\s+(?:do|can|should|could|would)\s+(?:i|we)|how\s+to|is\s+there\s+a\s+way\s+to|can\s+(?:i|we))\s+(.+)$/i);
  if (!m) return null;
  const rest = m[1]!.replace(/\bmy\b/gi, "your").replace(/\bmine\b/gi, "yours").replace(/\b(?:i|me)\b/gi, "you").replace(/\bour\b/gi, "your").replace(/\bwe\b/gi, "you");
  return `how to ${rest}`;
}

/** A short noun-phrase-like summary of a question: its first sentence, without the question mark. */
export function topicOf(query: string, maxWords = 12): string {
  const first = sentences(query)[0] ?? query;
  const words = first.replace(/[?!.]+$/, "").split(/\s+/).filter(Boolean);
  const cut = words.slice(0, maxWords).join(" ");
  return words.length > maxWords ? `${cut}…` : cut;
}

// Instruction verbs say what to do, not what it is about.
const NOT_SUBJECT = new Set(
  "write create generate make give draft produce need want help please like tell explain describe list summarize summarise build design suggest provide improve rewrite find show new good best".split(" "),
);

/** The longest run of content words in the first sentence ("the new running shoes" → "new running shoes"). */
export function subjectPhrase(text: string, maxWords = 4): string {
  const first = sentences(text)[0] ?? text;
  let best: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length && run.length >= best.length) best = run.slice(0, maxWords);
    run = [];
  };
  for (const m of first.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’-]*|[^\s\p{L}\p{N}]+/gu)) {
    const w = m[0];
    const content = /^[\p{L}\p{N}]/u.test(w) && tokenize(w).length > 0 && !NOT_SUBJECT.has(w.toLowerCase());
    if (content) run.push(w.toLowerCase());
    else flush();
  }
  flush();
  return best.join(" ");
}

/** Distinct informative terms of a text in first-seen order (stemmed, stopwords removed). */
export function keyTerms(text: string, limit = 5): string[] {
  const seen = new Set<string>();
  for (const t of tokenize(text)) {
    if (t.length < 3 || /^\d+$/.test(t)) continue;
    seen.add(t);
    if (seen.size >= limit) break;
  }
  return [...seen];
}

/** The original (unstemmed) words of a text that carry its key terms, for readable output. */
export function keyWords(text: string, limit = 3): string[] {
  const terms = new Set(keyTerms(text, 50));
  const out: string[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu)) {
    const w = m[0];
    const t = tokenize(w)[0];
    if (!t || !terms.has(t) || NOT_SUBJECT.has(w.toLowerCase())) continue;
    terms.delete(t);
    out.push(w.toLowerCase());
    if (out.length >= limit) break;
  }
  return out;
}

export function overlap(a: string, b: string): number {
  const ta = new Set(tokenize(a));
  if (!ta.size) return 0;
  let n = 0;
  for (const t of new Set(tokenize(b))) if (ta.has(t)) n++;
  return n / ta.size;
}

/** Cosine similarity of term-count vectors. */
export function cosine(a: string, b: string): number {
  const va = counts(a);
  const vb = counts(b);
  let dot = 0;
  for (const [t, n] of va) dot += n * (vb.get(t) ?? 0);
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, n) => s + n * n, 0));
  const d = norm(va) * norm(vb);
  return d ? dot / d : 0;
}

function counts(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tokenize(text)) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/** FNV-1a: a stable small hash so phrasing choices (phrases.ts) vary with the input but never between runs. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}


export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

export function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
