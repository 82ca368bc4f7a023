/**
 * The offline pairwise judge (task judge-pairwise). Each answer is scored on its own, so swapping A
 * and B swaps the verdict and the worker's two-order de-biasing has nothing to cancel. What it
 * rewards follows the judge prompt's rubric: covering the reference's facts (numbers count double),
 * answering the question, a first sentence that answers, actionable steps, concision when the rubric
 * asks for it, and compliance with any hard constraint the rubric states in words the offline model
 * understands (a word limit, a link, a language, a tone: see instructions.ts).
 */
import type { JudgeRubricVerdict, JudgeVerdict, RubricScale } from "@review/shared/llm/offline-protocol";
import { readTag } from "@review/shared/llm/offline-protocol";
import { buildRetrievalIndex, searchIndex, tokenize } from "@review/shared/llm/retrieval";
import { countSentences } from "./compose.ts";
import { parseInstructions, type Instructions } from "./instructions.ts";
import type { Language } from "./phrases.ts";
import { cosine, overlap, sentences, wordCount } from "./text.ts";

type Rubric = {
  concise: boolean;
  correct: boolean;
  resolves: boolean;
  direct: boolean;
  constraints: Instructions;
  checks: number;
};

const PROTOCOL_LINES = /^(?:TASK:|Judge on:|You compare two answers|Everything inside the tags|Respond with only one JSON|The order of A and B)/;

function rubricOf(system: string): Rubric {
  // The protocol's own boilerplate is how to judge, not a constraint on the answers.
  const own = system
    .split("\n")
    .filter((l) => !PROTOCOL_LINES.test(l.trim()))
    .join("\n");
  const parsed = parseInstructions(own.replace(/\b(?:answer|respond) with json only\b|\bjson\b[^.\n]*/gi, ""));
  // "Concise" is weighed as concision below; only a limit the rubric states in words is a hard requirement.
  const constraints = { ...parsed, maxWords: /\bwords?\b/i.test(own) ? parsed.maxWords : null };
  const checks =
    (constraints.maxWords !== null ? 1 : 0) +
    (constraints.maxSentences !== null ? 1 : 0) +
    constraints.links.length +
    constraints.mentions.length +
    (constraints.language !== "en" ? 1 : 0) +
    constraints.tones.filter((t) => t === "friendly" || t === "formal" || t === "empathetic").length;
  return {
    concise: /\b(?:concise|brief|short|succinct|to the point)\b/i.test(system),
    correct: /\b(?:correct\w*|accura\w*|facts?|factual)\b/i.test(system),
    resolves: /\b(?:resolv\w*|solves?|actionable|steps)\b/i.test(system),
    direct: /\bdirect\w*\b/i.test(system),
    constraints,
    checks,
  };
}

const REFUSAL = /\b(as an ai|i (?:cannot|can't|am unable to) help|i don'?t know|no idea|not sure)\b/i;
const PLEASANTRY = /^(?:thanks|thank you|good question|great question|happy to help|here is|hi\b|hello|i'm sorry|i am sorry|sorry|we're sorry|i understand|vielen dank|danke|merci|gracias|le agradecemos|nous vous remercions)/i;
const ACTION = /^\s*(?:\d+[.)]|[-*•])\s+\S|\b(?:open|go to|click|choose|select|enter|follow|use|check|reply with|contact|download|request|scan|turn on|sign in)\b/im;

/** Numbers as facts: "30-day" and "30 days" meet, list markers ("1.") are not facts. */
function numbers(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split("\n")) {
    const body = line.replace(/^\s*\d+[.)]\s+/, "");
    for (const m of body.matchAll(/\d+(?:[.,]\d+)?/g)) out.add(m[0].replace(",", "."));
  }
  return out;
}

/** Weighted share of the reference's informative terms and numbers that the answer contains. */
export function referenceRecall(answer: string, reference: string): number {
  const refTerms = new Set(tokenize(reference).filter((t) => t.length >= 3 && !/^\d/.test(t)));
  const refNums = numbers(reference);
  const total = refTerms.size + 2 * refNums.size;
  if (!total) return 0;
  const ansTerms = new Set(tokenize(answer));
  const ansNums = numbers(answer);
  let hit = 0;
  for (const t of refTerms) if (ansTerms.has(t)) hit++;
  for (const n of refNums) if (ansNums.has(n)) hit += 2;
  return hit / total;
}

// Function words: frequent, short and distinctive enough to tell four languages apart in a sentence or two.
const LANG_MARKERS: Record<Language, RegExp> = {
  en: /\b(?:the|and|you|your|to|is|with|we|of|for|it|this|can|on|are|will)\b/gi,
  de: /\b(?:der|die|das|den|dem|des|und|sie|ihr\w*|mit|wir|nicht|ist|sind|auf|für|bis|zu|ein|eine\w*|oder|wird|werden|bitte|ihnen)\b/gi,
  fr: /\b(?:le|la|les|et|vous|votre|vos|avec|nous|est|pour|une?|des|du|dans|sur|pas|ce|cette|sont)\b/gi,
  es: /\b(?:el|la|los|las|y|usted|su|sus|con|para|es|que|una?|del|en|por|puede|está|esto)\b/gi,
};

export function detectLanguage(text: string): Language {
  let best: Language = "en";
  let n = -1;
  for (const [lang, re] of Object.entries(LANG_MARKERS) as Array<[Language, RegExp]>) {
    const c = text.match(re)?.length ?? 0;
    if (c > n) {
      n = c;
      best = lang;
    }
  }
  return best;
}

function compliance(text: string, c: Instructions): { passed: number; total: number } {
  let passed = 0;
  let total = 0;
  const check = (ok: boolean) => {
    total++;
    if (ok) passed++;
  };
  if (c.maxWords !== null) check(wordCount(text) <= c.maxWords);
  if (c.maxSentences !== null) check(countSentences(text) <= c.maxSentences);
  for (const l of c.links) check(text.includes(l));
  for (const m of c.mentions) check(overlap(m.replace(/^that\s+/i, ""), text) >= 0.6);
  if (c.language !== "en") check(detectLanguage(text) === c.language);
  if (c.tones.includes("friendly")) check(/!|\b(?:happy to help|glad|great|don't|you're|we'll|it's)\b/i.test(text));
  if (c.tones.includes("formal")) check(!/!|\b\w+'(?:t|re|ll|m|s)\b/i.test(text.replace(/\b(?:Let's|let's)\b/g, "")));
  if (c.tones.includes("empathetic")) check(/\b(?:sorry|understand|frustrat\w*|apolog\w*)\b/i.test(text));
  return { passed, total };
}

type Score = { relevance: number; recall: number; cos: number; direct: boolean; resolves: boolean; words: number; refusal: boolean; complied: number; total: number; unsupported: number };

export function judgePairwise(system: string, user: string): JudgeVerdict {
  const query = readTag(user, "query") ?? "";
  const a = readTag(user, "answer_a") ?? "";
  const b = readTag(user, "answer_b") ?? "";
  // An evaluation template may render an empty <reference></reference>: that is no reference.
  const reference = readTag(user, "reference")?.trim() || null;
  const rubric = rubricOf(system);
  const index = buildRetrievalIndex([
    { id: "A", query: "", answer: a },
    { id: "B", query: "", answer: b },
  ]);
  const hits = new Map(searchIndex(index, query, { limit: 2 }).map((h) => [h.id, h.coverage]));
  const refWords = reference ? wordCount(reference) : 0;
  const refNums = reference ? numbers(reference) : new Set<string>();

  const score = (id: "A" | "B", text: string): Score => {
    const relevance = hits.get(id) ?? 0;
    const recall = reference ? referenceRecall(text, reference) : 0;
    const cos = reference ? cosine(text, reference) : 0;
    const first = sentences(text)[0] ?? "";
    const direct = !PLEASANTRY.test(first) && (reference ? overlap(reference, first) > 0.12 : overlap(query, first) > 0.25);
    const resolves = ACTION.test(text) || /\bnext step\b/i.test(text);
    const words = wordCount(text);
    const refusal = REFUSAL.test(text);
    const c = compliance(text, rubric.constraints);
    // Figures the reference does not have: an answer that invents a price or a deadline is not correct.
    const unsupported = reference && refNums.size ? [...numbers(text)].filter((n) => !refNums.has(n)).length : 0;
    let total: number;
    if (reference) {
      const wRecall = 0.45 + (rubric.correct ? 0.1 : 0);
      total = 0.15 * relevance + wRecall * recall + 0.1 * cos;
    } else {
      total = 0.6 * relevance;
    }
    total += (direct ? 0.08 + (rubric.direct ? 0.04 : 0) : 0) + (resolves ? 0.06 + (rubric.resolves ? 0.04 : 0) : 0);
    // A rubric's explicit requirements ("must be in German", "under 25 words") weigh like a rule, not a hint.
    if (c.total) total += 0.35 * (c.passed / c.total);
    // An answer in another language than the one required does not serve its reader, however relevant its words.
    if (rubric.constraints.language !== "en" && detectLanguage(text) !== rubric.constraints.language) total -= 0.3;
    const limit = rubric.concise ? Math.max(60, 2 * refWords || 120) : 400;
    if (words > limit) total -= Math.min(rubric.concise ? 0.2 : 0.1, (0.2 * (words - limit)) / limit);
    total -= Math.min(0.12, 0.04 * unsupported);
    if (refusal) total -= 0.3;
    if (words < 8) total -= 0.2;
    return { relevance, recall, cos, direct, resolves, words, refusal, complied: c.total ? c.passed / c.total : 1, total, unsupported };
  };

  const sa = score("A", a);
  const sb = score("B", b);
  const margin = sa.total - sb.total;
  const pct = (n: number) => `${Math.round(n * 100)}%`;
  if (Math.abs(margin) < 0.03) {
    return {
      winner: "tie",
      reason: `Both answers are about equally good: they cover ${pct(sa.relevance)} and ${pct(sb.relevance)} of the question${reference ? ` and ${pct(sa.recall)} vs ${pct(sb.recall)} of the reference's facts` : ""}.`,
    };
  }
  const [w, win, lose] = margin > 0 ? (["A", sa, sb] as const) : (["B", sb, sa] as const);
  const why: string[] = [];
  if (reference && win.recall > lose.recall + 0.02) why.push(`covers more of the reference's facts (${pct(win.recall)} vs ${pct(lose.recall)})`);
  if (win.relevance > lose.relevance + 0.02) why.push(`addresses more of the question (${pct(win.relevance)} vs ${pct(lose.relevance)})`);
  if (win.direct && !lose.direct) why.push("its first sentence answers the question");
  if (win.resolves && !lose.resolves) why.push("it gives concrete steps");
  if (rubric.checks && win.complied > lose.complied) why.push(`it follows more of the rubric's requirements (${pct(win.complied)} vs ${pct(lose.complied)})`);
  if (rubric.concise && win.words < lose.words - 10) why.push(`it is more concise (${win.words} vs ${lose.words} words)`);
  if (lose.unsupported > win.unsupported) why.push("the other answer states figures the reference does not support");
  if (lose.refusal) why.push("the other answer deflects instead of answering");
  if (lose.words < 8) why.push("the other answer is too short to help");
  if (!why.length) why.push("it is clearer and more actionable overall");
  return { winner: w, reason: `Answer ${w}: ${why.join("; ")}.` };
}

// ---- judge-rubric ----------------------------------------------------------------------------------

/** A rubric question that asks whether something is wrong ("needs escalation?"): yes for poor answers. */
const DEFECT_QUESTION = /\b(?:escalat\w*|wrong|harm\w*|unsafe|problem\w*|fail\w*|incorrect|complain\w*|follow[ -]?up|hallucinat\w*|risk\w*|violat\w*)\b/i;

/** How well one answer serves its question, in [0, 1], from the same signals the pairwise judge uses. */
export function answerQuality(query: string, answer: string): { quality: number; relevance: number; direct: boolean; resolves: boolean; refusal: boolean; words: number } {
  const index = buildRetrievalIndex([{ id: "x", query: "", answer }]);
  const relevance = searchIndex(index, query, { limit: 1 })[0]?.coverage ?? 0;
  const first = sentences(answer)[0] ?? "";
  const direct = !PLEASANTRY.test(first) && overlap(query, first) > 0.25;
  const resolves = ACTION.test(answer) || /\bnext step\b/i.test(answer);
  const refusal = REFUSAL.test(answer);
  const words = wordCount(answer);
  let q = 0.15 + 0.45 * relevance + (direct ? 0.15 : 0) + (resolves ? 0.2 : 0);
  if (refusal) q -= 0.3;
  if (words < 8) q -= 0.2;
  if (words > 400) q -= 0.1;
  return { quality: Math.max(0, Math.min(1, q)), relevance, direct, resolves, refusal, words };
}

/**
 * The offline rubric judge (task judge-rubric): one answer, one rubric, one value the rubric's scale
 * allows. The answer's quality (coverage of the question, a first sentence that answers, steps, no
 * refusal) is placed on the scale: an ordinal level or a number in proportion, a yes/no by the rubric's
 * question (a question about a defect is answered yes for a poor answer), the category the answer
 * mentions most. Deterministic, like every offline answer.
 */
export function judgeRubric(user: string): JudgeRubricVerdict {
  const query = readTag(user, "query") ?? "";
  const answer = readTag(user, "answer") ?? "";
  const rubric = readTag(user, "rubric") ?? "";
  let scale: RubricScale;
  try {
    scale = JSON.parse(readTag(user, "scale") ?? "") as RubricScale;
  } catch {
    scale = { kind: "boolean" };
  }
  const s = answerQuality(query, answer);
  const pct = (n: number) => `${Math.round(n * 100)}%`;
  const why = [`the answer covers ${pct(s.relevance)} of the question`];
  if (s.direct) why.push("its first sentence answers it");
  if (s.resolves) why.push("it gives concrete steps");
  if (s.refusal) why.push("it deflects instead of answering");
  if (s.words < 8) why.push("it is too short to help");
  const reason = `${why.join("; ")} (overall ${pct(s.quality)}).`;
  switch (scale.kind) {
    case "ordinal": {
      const levels = [...(scale.levels ?? [])].sort((a, b) => Number(a.value) - Number(b.value));
      const level = levels[Math.round(s.quality * (levels.length - 1))] ?? levels[0];
      return { value: level ? Number(level.value) : 0, reason: `${level ? `${level.label}: ` : ""}${reason}` };
    }
    case "numeric": {
      const min = Number(scale.min ?? 0);
      const max = Number(scale.max ?? 1);
      const step = scale.step ? Number(scale.step) : null;
      let v = min + s.quality * (max - min);
      if (step) v = Math.min(max, min + Math.round((v - min) / step) * step);
      return { value: Number(v.toFixed(6)), reason };
    }
    case "boolean": {
      const defect = DEFECT_QUESTION.test(rubric);
      const value = defect ? s.quality < 0.5 : s.quality >= 0.5;
      return { value, reason: `${value ? "Yes" : "No"}: ${reason}` };
    }
    case "categorical": {
      const cats = scale.categories ?? [];
      const best = [...cats].map((c, i) => ({ c, i, o: overlap(c, answer) })).sort((a, b) => b.o - a.o || a.i - b.i)[0]?.c ?? cats[0] ?? "";
      return { value: scale.multi ? [best] : best, reason: `"${best}": ${reason}` };
    }
    case "preference":
      return { value: "tie", reason: "One answer alone: there is nothing to prefer it to." };
    case "text":
      return { value: reason, reason };
  }
}
