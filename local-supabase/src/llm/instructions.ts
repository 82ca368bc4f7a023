/**
 * What the offline model understands of a prompt's instructions. Read from the system prompt, from the
 * template's own words outside the data tags, and from a "Curator instructions:" section (the case
 * room's regenerate box); never from the data itself (the customer's question, the rated answer, a
 * user comment), which the offline protocol declares to be data. Later text wins a conflict, so a
 * curator's "make it formal" overrides a template's "friendly".
 *
 * Deliberately a small set of English patterns (README.md in this folder lists them): the point is a
 * model whose answers visibly and deterministically change with the prompt, not language understanding.
 */
import { tokenize } from "@review/shared/llm/retrieval";
import type { Language } from "./phrases.ts";

export type Tone = "friendly" | "formal" | "empathetic" | "concise" | "plain";

export type Instructions = {
  /** Upper bound on the answer's words (inclusive). */
  maxWords: number | null;
  maxSentences: number | null;
  tones: Tone[];
  /** The first sentence is the answer: no greeting or acknowledgement before it. */
  directFirst: boolean;
  steps: "numbered" | "bullets" | "prose" | null;
  /** End with the next step the customer should take. */
  nextStep: boolean;
  /** Invite a follow-up (true), never (false), or the model's default (null). */
  followUp: boolean | null;
  /** Links the answer must contain. */
  links: string[];
  /** Things the answer must mention, as written in the prompt ("the refund window", "that refunds take 5 days"). */
  mentions: string[];
  /** Exact closing line asked for ("sign off with 'The Acme team'"). */
  closing: string | null;
  /** Statements of fact in the prompt (policies, prices, timings), the model's knowledge besides retrieval. */
  facts: string[];
  language: Language;
};

export const NO_INSTRUCTIONS: Instructions = {
  maxWords: null,
  maxSentences: null,
  tones: [],
  directFirst: false,
  steps: null,
  nextStep: false,
  followUp: null,
  links: [],
  mentions: [],
  closing: null,
  facts: [],
  language: "en",
};

/** Whether anything was understood; with nothing, the model answers in its default shape. */
export function hasInstructions(i: Instructions): boolean {
  return (
    i.maxWords !== null ||
    i.maxSentences !== null ||
    i.tones.length > 0 ||
    i.directFirst ||
    i.steps !== null ||
    i.nextStep ||
    i.followUp !== null ||
    i.links.length > 0 ||
    i.mentions.length > 0 ||
    i.closing !== null ||
    i.facts.length > 0 ||
    i.language !== "en"
  );
}

/** A compact description of what was understood, for the x-offline-instructions header and logs. */
export function describeInstructions(i: Instructions): string {
  const parts: string[] = [];
  if (i.maxWords !== null) parts.push(`max_words=${i.maxWords}`);
  if (i.maxSentences !== null) parts.push(`max_sentences=${i.maxSentences}`);
  if (i.tones.length) parts.push(`tone=${i.tones.join("+")}`);
  if (i.directFirst) parts.push("direct_first");
  if (i.steps) parts.push(`steps=${i.steps}`);
  if (i.nextStep) parts.push("next_step");
  if (i.followUp !== null) parts.push(`follow_up=${i.followUp}`);
  if (i.links.length) parts.push(`links=${i.links.join(",")}`);
  if (i.mentions.length) parts.push(`mentions=${i.mentions.length}`);
  if (i.closing) parts.push("closing");
  if (i.facts.length) parts.push(`facts=${i.facts.length}`);
  if (i.language !== "en") parts.push(`language=${i.language}`);
  return parts.join("; ") || "none";
}

// ---- where instructions are --------------------------------------------------------------------------

const TAGGED = /<([a-z_]+)>[\s\S]*?<\/\1>/g;
const CURATOR = /^[ \t]*(?:curator|reviewer|regenerate)?[ \t]*instructions?[ \t]*:[ \t]*(.*)$/im;

/**
 * The instruction-bearing text of a request: the system prompt without its TASK line, the user
 * message's own words around the data tags, and a "Curator instructions:" section. A user message
 * without tags is the question itself (a chat, or a template of labelled sections), so only its
 * curator section counts there.
 */
export function instructionText(system: string, user: string): string {
  const sys = system
    .split("\n")
    .filter((l) => !/^\s*TASK:/i.test(l))
    .join("\n");
  const tagged = /<([a-z_]+)>[\s\S]*?<\/\1>/.test(user);
  const curator = curatorSection(user);
  let around = "";
  if (tagged) {
    around = user
      .replace(TAGGED, "\n")
      .split("\n")
      // An end user's comment can sit outside tags in a notes block; it is data, not an instruction.
      .filter((l) => !/^\s*(?:user|customer)\s+comment\s*:/i.test(l))
      .join("\n");
    // The curator section is already in `around`; do not read it twice.
    return [sys, around].filter((s) => s.trim()).join("\n\n");
  }
  return [sys, curator].filter((s) => s.trim()).join("\n\n");
}

/** The text after "Curator instructions:" up to a blank line followed by another label, or the end. */
export function curatorSection(user: string): string {
  const m = CURATOR.exec(user);
  if (!m) return "";
  const rest = user.slice(m.index + m[0].length - m[1]!.length);
  const lines: string[] = [];
  for (const line of rest.split("\n")) {
    if (lines.length && /^\s*(?:user|customer)\s+comment\s*:/i.test(line)) break;
    if (lines.length && /^\s*$/.test(line)) break;
    lines.push(line);
  }
  return lines.join("\n").trim();
}

// ---- parsing -----------------------------------------------------------------------------------------

const NUMBER_WORDS: Record<string, number> = {
  one: 1, a: 1, single: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, fifteen: 15, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70,
  eighty: 80, ninety: 90, hundred: 100, "a hundred": 100, "one hundred": 100,
};
const NUM = "(\\d{1,4}|a hundred|one hundred|one|a|single|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)";

function toNumber(s: string): number {
  const t = s.toLowerCase();
  return /^\d+$/.test(t) ? Number(t) : (NUMBER_WORDS[t] ?? Number.NaN);
}

/** Default length of a "short" answer when no number is given. */
export const SHORT_WORDS = 60;

const NEGATION = /\b(?:not|never|no|don'?t|do not|avoid|without|nor|less)\s+(?:\w+\s+){0,2}$/i;

function negated(text: string, index: number): boolean {
  return NEGATION.test(text.slice(Math.max(0, index - 30), index));
}

/** Sentences and clauses of the instruction text; "don't output it"-style asides are for the model itself. */
function clauses(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+|;\s*/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const PRIVATE = /\b(?:for yourself|do not output|don'?t output|not (?:in|part of) (?:the|your) (?:answer|output)|internally|silently)\b/i;

function lengthLimits(text: string): { maxWords: number | null; maxSentences: number | null; short: boolean } {
  let maxWords: number | null = null;
  let maxSentences: number | null = null;
  let short = false;
  for (const c of clauses(text)) {
    if (PRIVATE.test(c)) continue;
    const unit = "(words?|sentences?)";
    const patterns: Array<[RegExp, (n: number) => number]> = [
      [new RegExp(`\\b(?:under|below|fewer than|less than|shorter than)\\s+${NUM}\\s+${unit}\\b`, "i"), (n) => n - 1],
      [new RegExp(`\\b(?:at most|no more than|not more than|maximum(?: of)?|max\\.?|up to|within|limit(?:ed)?(?: \\w+){0,3} to|in)\\s+${NUM}\\s+${unit}\\b`, "i"), (n) => n],
      [new RegExp(`\\b${NUM}\\s+${unit}\\s+or\\s+(?:less|fewer)\\b`, "i"), (n) => n],
      [new RegExp(`\\b${NUM}[- ](word|sentence)\\s+(?:answer|reply|response|limit|max(?:imum)?)\\b`, "i"), (n) => n],
    ];
    for (const [re, adjust] of patterns) {
      const m = re.exec(c);
      if (!m) continue;
      const n = toNumber(m[1]!);
      if (!Number.isFinite(n) || n < 1) continue;
      const limit = Math.max(1, adjust(n));
      if (/^word/i.test(m[2]!)) maxWords = maxWords === null ? limit : Math.min(maxWords, limit);
      else maxSentences = maxSentences === null ? limit : Math.min(maxSentences, limit);
    }
    const shortRe = /\b(?:keep (?:it|them|the (?:answer|reply|response)s?|(?:your )?(?:answers?|replies|responses))(?: \w+){0,2} (?:short|brief)|be (?:short|brief)|make it (?:short|shorter|brief|briefer)|shorter|short and sweet|one-liner)\b/i;
    const sm = shortRe.exec(c);
    if (sm && !negated(c, sm.index)) short = true;
  }
  return { maxWords, maxSentences, short };
}

const TONE_PATTERNS: Array<[Tone, RegExp]> = [
  ["friendly", /\b(?:friendly|warm(?:er)?|casual|cheerful|upbeat|less formal|more personal|personable)\b/gi],
  ["formal", /\b(?:formal|more formal|professional|businesslike)\b/gi],
  ["empathetic", /\b(?:empath\w*|compassion\w*|sympath\w*|apologetic|acknowledge (?:their|the customer's|the) (?:frustration|feelings?))\b/gi],
  ["concise", /\b(?:concise|succinct|terse|to the point|no fluff|no small talk|no pleasantries|brief)\b/gi],
  ["plain", /\b(?:plain(?:ly)?(?!\s+text)|neutral)\b/gi],
];

function tones(text: string): Tone[] {
  const last = new Map<Tone, number>();
  for (const [tone, re] of TONE_PATTERNS) {
    for (const m of text.matchAll(re)) {
      if (m[0].toLowerCase() === "less formal") {
        last.set("friendly", m.index);
        continue;
      }
      if (negated(text, m.index)) continue;
      last.set(tone, m.index);
    }
  }
  // Friendly and formal exclude each other: the later instruction wins.
  const f = last.get("friendly");
  const fo = last.get("formal");
  if (f !== undefined && fo !== undefined) last.delete(f > fo ? "formal" : "friendly");
  const order: Tone[] = ["empathetic", "friendly", "formal", "concise", "plain"];
  return order.filter((t) => last.has(t));
}

const LANGUAGE_PATTERNS: Array<[Language, RegExp]> = [
  ["de", /\b(?:german|deutsch)\b|\bauf deutsch\b/gi],
  ["fr", /\b(?:french|français|francais)\b|\ben français\b/gi],
  ["es", /\b(?:spanish|español|espanol|castellano)\b|\ben español\b/gi],
  ["en", /\benglish\b/gi],
];

function language(text: string): Language {
  let best: { lang: Language; at: number } = { lang: "en", at: -1 };
  for (const [lang, re] of LANGUAGE_PATTERNS) {
    for (const m of text.matchAll(re)) {
      const around = text.slice(Math.max(0, m.index - 40), m.index + m[0].length + 10);
      // A language named in an instruction to write in it, not a mention of, say, German customers.
      const asked = /\b(?:answer|respond|reply|write|translate|language|speak|in|into|auf|en)\b/i.test(around) && !/\b(?:customers?|users?|speakers?|market)\b/i.test(text.slice(m.index, m.index + m[0].length + 12));
      if (asked && !negated(text, m.index) && m.index > best.at) best = { lang, at: m.index };
    }
  }
  return best.lang;
}

const DOMAIN = /\b((?:https?:\/\/)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:\/[\w\-./~%#?=&]*)?)/i;

function links(text: string): string[] {
  const out: string[] = [];
  const re = /\b(?:always\s+|also\s+|please\s+)?(?:link(?:\s+to)?|include\s+(?:a\s+|the\s+)?link\s+to|add\s+(?:a\s+|the\s+)?link\s+to|point\s+(?:them|customers?|the customer|users?|the user|people)?\s*to|refer\s+(?:them|customers?|the customer|users?|the user|people)?\s*to|send\s+(?:them|customers?|the customer)\s+to|mention|end with)\s+(?:the\s+(?:help\s+)?(?:page|site|article)\s+(?:at\s+)?)?/gi;
  for (const m of text.matchAll(re)) {
    const after = text.slice(m.index + m[0].length);
    // "link only to X" restricts links; it does not ask for one.
    if (/^only\b/i.test(after) || /\bonly\s+$/i.test(m[0])) continue;
    if (negated(text, m.index)) continue;
    const d = DOMAIN.exec(after.slice(0, 80));
    if (!d || d.index > 2) continue;
    const link = d[1]!.replace(/[.,;:)]+$/, "");
    if (!out.includes(link)) out.push(link);
  }
  return out;
}

const MENTION = /\b(?:always\s+|also\s+|please\s+)?(?:mention|include|state|say|remind (?:them|the customer|customers) (?:of|about|that)|tell (?:them|the customer) about)\s+(?!a link|the link|links?\b)([^.;\n]+)/gi;
const NOT_A_MENTION = /^(?:(?:these|the following|the facts? below|all|only|any|every|what|it|them|this|that is)\b|.*\b(?:facts?|rules?|steps?|information|details?)\s*:?\s*$)/i;

function mentions(text: string): { mentions: string[]; closing: string | null } {
  const out: string[] = [];
  let closing: string | null = null;
  for (const m of text.matchAll(/\b(?:sign off|end|close|finish)\s+with\s+["“']([^"”']{2,120})["”']/gi)) closing = m[1]!.trim();
  for (const m of text.matchAll(MENTION)) {
    if (negated(text, m.index)) continue;
    let what = m[1]!.trim();
    if (/^(?:policies|prices|links?|product features|order details)\b/i.test(what)) continue;
    const quoted = /^["“']([^"”']+)["”']/.exec(what);
    if (quoted) {
      out.push(quoted[1]!.trim());
      continue;
    }
    if (DOMAIN.test(what) && DOMAIN.exec(what)!.index < 3) continue; // a link, handled by links()
    // "mention the refund window and the warranty, and ..." → two things.
    what = what.replace(/\s*\(.*?\)\s*/g, " ").replace(/,?\s+(?:and|then)\s+(?:keep|be|start|end|use|write|answer|link|never|always|do|don't)\b.*$/i, "");
    for (const part of what.split(/\s*,\s*|\s+and\s+(?=(?:the|a|an|our|your|that|how|why|when|where)\b)/i)) {
      const p = part.trim().replace(/[.:]+$/, "");
      if (p.split(/\s+/).length < 1 || p.length < 3 || NOT_A_MENTION.test(p) || /\bin\s+(?:the\s+)?(?:first|last|second)\b/i.test(p)) continue;
      if (!out.includes(p)) out.push(p);
    }
  }
  return { mentions: out, closing };
}

// Imperative openers: a unit that starts with one of these asks for something; it states nothing.
const IMPERATIVE = new Set(
  (
    "be keep start begin open write answer use include mention link never always do don't dont avoid end reply respond give make add say state follow ask prefer judge " +
    "first then only please sign close lead list refer point cite note remember stay sound treat apologize apologise acknowledge thank greet explain describe tell " +
    "offer check ensure focus limit aim try return respond rewrite improve compare decide if when consider read translate format match speak address mirror"
  ).split(" "),
);
const META = /\b(?:tags?|instructions?|json|prompt|task|answers?|responses?|replies|reply|model|assistant|output|rated|rating|judge|user message|data supplied|position|plain text)\b|[<>{}]/i;
// Words of the instruction vocabulary: a unit using them is about the answer's form, not a fact.
const FORM = /\b(?:words?|sentences?|tone|formal|friendly|empathetic|concise|brief|paragraphs?|german|french|spanish|english|bullets?|quality)\b/i;

/**
 * Statements of fact in the instructions: declarative sentences and list items ("Refunds: 30 days from
 * delivery.", "Express shipping costs $14.95."), and the items of a parenthetical policy list ("policy
 * (30-day refunds, 3–5 business day shipping)").
 */
function facts(text: string): string[] {
  const out: string[] = [];
  const add = (f: string) => {
    const t = f.trim().replace(/^[-*•]\s*|^\d+[.)]\s+/, "").trim();
    if (t.length < 6 || !tokenize(t).length || out.includes(t)) return;
    out.push(t);
  };
  for (const m of text.matchAll(/\b(?:polic(?:y|ies)|facts?|terms|rules|details|prices?|timings?)\s*\(([^()]{4,400})\)/gi)) {
    for (const item of m[1]!.split(/\s*[,;]\s*|\s+and\s+/)) if (/\d/.test(item) || item.split(/\s+/).length >= 2) add(item);
  }
  // A list item or a "Label: …" line is one fact, however many sentences it has; prose is split into sentences.
  const units = text
    .replace(/\([^()]*\)/g, (p) => (/\d/.test(p) ? p : " "))
    .split(/\n+/)
    .flatMap((line) => (/^\s*(?:[-*•]|\d+[.)])\s+|^\s*[A-Za-z][\w '’-]{1,30}:\s+\S/.test(line) ? [line] : line.split(/(?<=[.!?])\s+(?=[A-Z0-9])/)));
  for (const raw of units) {
    const u = raw.trim().replace(/^[-*•]\s*|^\d+[.)]\s+/, "");
    if (!u || /:\s*$/.test(u)) continue;
    const first = (u.match(/^[A-Za-z']+/)?.[0] ?? "").toLowerCase();
    if (IMPERATIVE.has(first)) continue;
    if (/^(?:you(?:'re| are| will| should| must| can)?|your task|task|we want|the goal|i want|here|everything|nothing)\b/i.test(u)) continue;
    if (META.test(u) || FORM.test(u)) continue;
    // "Refunds: …" is a fact; "Tone: friendly" or "Format: …" is an instruction.
    const label = /^([A-Za-z][\w '’-]{1,30}):\s+/.exec(u)?.[1]?.toLowerCase();
    if (label && /^(?:tone|format|style|length|language|rules?|output|voice|audience|goal|note|important)$/.test(label)) continue;
    if (u.split(/\s+/).length < 4) continue;
    add(u);
  }
  return out;
}

export function parseInstructions(text: string): Instructions {
  if (!text.trim()) return NO_INSTRUCTIONS;
  const { maxWords, maxSentences, short } = lengthLimits(text);
  const t = tones(text);
  const directFirst =
    /\b(?:start|begin|open|lead)\s+with\s+(?:the\s+|a\s+)?(?:direct|short|clear|actual)?\s*answer\b/i.test(text) ||
    /\banswer\s+(?:the\s+question\s+)?(?:directly|first|up front|right away)\b/i.test(text) ||
    /\b(?:direct answer first|bottom line (?:up front|first)|get (?:straight )?to the point|no preamble)\b/i.test(text) ||
    /\banswer\b[^.\n]{0,30}\bin the first sentence\b/i.test(text);
  let steps: Instructions["steps"] = null;
  const stepsAt = (re: RegExp) => {
    for (const m of text.matchAll(re)) if (!negated(text, m.index)) return m.index;
    return -1;
  };
  const numbered = stepsAt(/\b(?:then|with|give|list|include|add|use|and|in)\s+(?:the\s+|concrete\s+|numbered\s+|clear\s+|short\s+|actionable\s+)*steps\b|\bstep[- ]by[- ]step\b|\bnumbered\s+(?:list|steps)\b/gi);
  const bullets = stepsAt(/\bbullet(?:ed)?\s+(?:points?|list)\b|\bas\s+bullets\b/gi);
  const prose = Math.max(stepsAt(/\bin prose\b|\b(?:a\s+)?single paragraph\b|\bone paragraph\b/gi), /\b(?:no|without|avoid)\s+(?:lists?|bullet(?:s| points)?|numbered lists?|steps)\b/i.test(text) ? 0 : -1);
  const best = Math.max(numbered, bullets, prose);
  if (best >= 0) steps = best === prose ? "prose" : best === bullets ? "bullets" : "numbered";
  const next = /\bnext steps?\b/i.exec(text);
  const nextStep = !!next && !negated(text, next.index);
  let followUp: boolean | null = null;
  if (/\b(?:invit\w*|offer)\s+(?:\w+\s+){0,3}follow[- ]?up\b|\bask\s+(?:them|the customer)\s+to\s+reply\b/i.test(text)) followUp = true;
  if (/\b(?:no|without|don'?t (?:add|offer|include))\s+(?:a\s+)?follow[- ]?ups?\b/i.test(text)) followUp = false;
  const m = mentions(text);
  const tonesOut = [...t];
  if (short && !tonesOut.includes("concise")) tonesOut.push("concise");
  const concise = tonesOut.includes("concise");
  return {
    // "Make it shorter" tightens whatever limit the template set; "concise" alone caps a limitless answer.
    maxWords: short ? Math.min(maxWords ?? SHORT_WORDS, SHORT_WORDS) : (maxWords ?? (concise && maxSentences === null ? SHORT_WORDS : null)),
    maxSentences,
    tones: tonesOut,
    directFirst,
    steps,
    nextStep,
    followUp,
    links: links(text),
    mentions: m.mentions,
    closing: m.closing,
    facts: facts(text),
    language: language(text),
  };
}

export function instructionsFor(system: string, user: string): Instructions {
  return parseInstructions(instructionText(system, user));
}
