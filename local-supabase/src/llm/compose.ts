/**
 * How the offline model shapes an answer to the instructions it understood (instructions.ts): the
 * content (an approved answer, facts stated in the prompt, or a rewrite of the rated answer) becomes
 * segments (opener, direct answer, body, steps, mentions, link, next step, closer) that tone, order,
 * language and length limits act on. Every choice is a pure function of the input.
 */
import { buildRetrievalIndex, searchIndex } from "@review/shared/llm/retrieval";
import type { Instructions } from "./instructions.ts";
import { contract, formalize, say, type Language } from "./phrases.ts";
import { capitalize, ensurePeriod, overlap, sentences, wordCount } from "./text.ts";

export type SegKind = "opener" | "apology" | "direct" | "body" | "step" | "mention" | "link" | "next" | "follow" | "closer" | "closing";

/** One piece of an answer; `drop` orders what goes first when a length limit bites (0: never dropped). */
export type Seg = { kind: SegKind; text: string; drop: number };

/** The content of an answer before instructions shape it. */
export type Draft = {
  /** The model's own acknowledgement, used when no tone asks for another. */
  ack: string | null;
  apology: string | null;
  direct: string;
  body: string[];
  /** Body sentences of lesser weight (a second fact, "also relevant"), dropped first. */
  extra: string[];
  steps: string[];
  /** What a follow-up should ask for ("your order number"), in the answer's language. */
  need: string;
  /** The question's subject, for tone phrases ("the trouble with {subject}"). */
  subject: string;
  /** A steps list is part of this content's natural shape (the rewrite), not only when asked for. */
  stepsByDefault: boolean;
  /** Whether this content invites a follow-up unless told otherwise. */
  followByDefault: boolean;
  /** The first thing the customer should do, when the content says ("open Orders"). */
  action: string | null;
};

// ---- facts stated in the prompt ------------------------------------------------------------------

// A few support-desk synonyms so "money back" finds a refund policy and "package" the shipping times.
const SYNONYMS: Array<[RegExp, string]> = [
  [/\b(?:returns?|returning|money back|reimburs\w*|refund\w*)\b/i, "refund"],
  [/\b(?:deliver\w*|arriv\w*|packages?|parcels?|shipping|ship|shipped|reship\w*|dispatch\w*|courier|track\w*)\b/i, "shipping"],
  [/\b(?:log ?in|sign ?in|passwords?|locked out)\b/i, "login"],
  [/\b(?:2fa|two[- ]factor|mfa|authenticator)\b/i, "twofactor"],
  [/\b(?:colleagues?|teammates?|coworkers?|invit\w*|members?)\b/i, "team"],
  [/\b(?:cancel\w*|unsubscrib\w*)\b/i, "cancel"],
  [/\b(?:invoices?|receipts?|billing)\b/i, "invoice"],
  [/\b(?:themes?|dark mode|appearance)\b/i, "theme"],
  [/\b(?:export\w*|download (?:all )?(?:my|your) data)\b/i, "export"],
  [/\b(?:address\w*|moved)\b/i, "address"],
  [/\b(?:warrant\w*|guarantee\w*|defect\w*)\b/i, "warranty"],
];

function withSynonyms(text: string): string {
  const extra = SYNONYMS.filter(([re]) => re.test(text)).map(([, w]) => w);
  return extra.length ? `${text} ${extra.join(" ")}` : text;
}

// Words nearly every support question has; alone they say nothing about which policy applies.
const GENERIC = /\b(?:account|accounts|orders?|app|help|way|need|want|problem|issue|question|possible|anyone)\b/gi;

/** The prompt's facts that bear on the question, best first (at most two). */
export function relevantFacts(facts: readonly string[], query: string): string[] {
  if (!facts.length || !query.trim()) return [];
  const index = buildRetrievalIndex(facts.map((f, i) => ({ id: String(i), query: "", answer: withSynonyms(f) })));
  const asked = withSynonyms(query).replace(GENERIC, " ");
  const topics = new Set(SYNONYMS.filter(([re]) => re.test(query)).map(([, w]) => w));
  // Enough of the question's words, or the same topic under another name ("return" → a refund policy).
  const hits = searchIndex(index, asked, { limit: 2 }).filter((h) => h.coverage >= 0.2 || h.matchedTerms.some((t) => topics.has(t)));
  const best = hits[0];
  if (!best) return [];
  return hits.filter((h) => h === best || (h.coverage >= 0.4 && h.score >= best.score * 0.8)).map((h) => facts[Number(h.id)]!);
}

// ---- drafts from content --------------------------------------------------------------------------

const ACTION_VERBS =
  "open go click choose select enter scan pick follow type use check tap press find download send reply contact visit sign log update edit change add remove save confirm turn switch copy paste wait try request ask call email restart reload apply write note compare register wipe resend install set".split(
    " ",
  );

function startsWithAction(s: string): boolean {
  const w = (s.trim().match(/^[A-Za-z]+/)?.[0] ?? "").toLowerCase();
  return ACTION_VERBS.includes(w);
}

/**
 * "Open Orders, choose the order and click Request refund." → three steps, when every piece starts
 * with an action verb; a sentence that does not split cleanly stays one step.
 */
export function splitActions(sentence: string): string[] {
  const s = sentence.trim().replace(/^(?:to [^,]+,\s*)/i, "").replace(/[.!]+$/, "");
  const parts = s.split(/\s*,\s*(?:and\s+|then\s+)?|\s+and\s+(?:then\s+)?|\s+then\s+/).map((p) => p.trim()).filter(Boolean);
  if (parts.length > 1 && parts.every(startsWithAction)) return parts.map((p) => ensurePeriod(capitalize(p)));
  return [ensurePeriod(capitalize(s))];
}

function isProcedure(s: string): boolean {
  return startsWithAction(s) || /^to [^,]+,\s*\w+/i.test(s) || /^(?:go to|open|in) [A-Z]/.test(s);
}

/** A fact written as a phrase ("30-day refunds") reads as a sentence once introduced. */
export function factSentence(fact: string, lang: Language): string {
  // "Refund timing: refunds are issued …" reads as "Refunds are issued …"; the label was for the prompt's reader.
  const labelled = /^[A-Z][\w '’-]{1,30}:\s+(.+)$/.exec(fact.trim());
  const t = (labelled && labelled[1]!.split(/\s+/).length >= 4 ? capitalize(labelled[1]!) : fact.trim()).replace(/;\s+(\p{L})/gu, (_, c: string) => `. ${c.toUpperCase()}`);
  if (/[.!?]$/.test(t) || t.split(/\s+/).length >= 5) return ensurePeriod(t);
  return ensurePeriod(say(lang, "policy", { x: t }));
}

/** Content from an approved answer or a fact: the first sentence answers, procedures become steps. */
export function draftFromText(text: string, opts: { lang: Language; need: string; subject: string; wantSteps: boolean; extra?: string[] }): Draft {
  const ss = sentences(text);
  // With steps asked for, the answer is the first sentence that is not itself a procedure.
  const lead = opts.wantSteps ? (ss.find((s) => !isProcedure(s)) ?? ss[0]) : ss[0];
  const direct = lead ?? text.trim();
  const body: string[] = [];
  const steps: string[] = [];
  for (const s of ss) {
    if (s === lead) continue;
    if (opts.wantSteps && isProcedure(s)) steps.push(...splitActions(s));
    else body.push(ensurePeriod(s));
  }
  // A content that is one procedure still gets its steps listed when they were asked for.
  if (opts.wantSteps && !steps.length && isProcedure(direct)) {
    const acts = splitActions(direct);
    if (acts.length > 1) steps.push(...acts);
  }
  const procedure = ss.find(isProcedure);
  return {
    ack: null,
    apology: null,
    direct: ensurePeriod(direct),
    body,
    extra: opts.extra ?? [],
    steps,
    need: opts.need,
    subject: opts.subject,
    stepsByDefault: false,
    followByDefault: false,
    action: steps[0] ?? (procedure ? splitActions(procedure)[0]! : null),
  };
}

export function draftFromFacts(facts: readonly string[], opts: { lang: Language; need: string; subject: string; wantSteps: boolean }): Draft {
  const [first, ...rest] = facts;
  const d = draftFromText(factSentence(first!, opts.lang), opts);
  d.extra = rest.map((f) => factSentence(f, opts.lang));
  return d;
}

// ---- rendering -------------------------------------------------------------------------------------

function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function mentioned(text: string, what: string): boolean {
  return overlap(what, text) >= 0.99 || text.toLowerCase().includes(what.toLowerCase());
}

/** The segments of an answer: content shaped by tone, required parts and order. */
export function segments(d: Draft, ins: Instructions, lang: Language, ctx: { seed: string; facts: readonly string[] }): Seg[] {
  const tones = new Set(ins.tones);
  const terse = tones.has("concise") || tones.has("plain");
  const segs: Seg[] = [];
  // Opener: a tone's greeting, or the content's own acknowledgement; never before a direct answer.
  let opener: string | null = null;
  if (terse) opener = null;
  else if (tones.has("friendly")) opener = say(lang, "friendly.open", {}, ctx.seed);
  else if (tones.has("formal")) opener = say(lang, "formal.open");
  else if (!tones.has("empathetic")) opener = d.ack;
  const empathy = tones.has("empathetic") ? say(lang, "empathetic.open", { subject: d.subject || say(lang, "this") }) : null;
  if (!ins.directFirst) {
    if (empathy) segs.push({ kind: "opener", text: empathy, drop: 3 });
    if (opener) segs.push({ kind: "opener", text: opener, drop: 2 });
    if (d.apology && !terse && !empathy) segs.push({ kind: "apology", text: d.apology, drop: 2 });
  }
  segs.push({ kind: "direct", text: d.direct, drop: 0 });
  if (ins.directFirst && empathy) segs.push({ kind: "apology", text: empathy, drop: 3 });
  d.body.forEach((b) => segs.push({ kind: "body", text: b, drop: 6 }));
  d.extra.forEach((b) => segs.push({ kind: "body", text: b, drop: 4 }));
  const wantSteps = ins.steps !== null || d.stepsByDefault;
  if (wantSteps) {
    const max = terse ? 3 : 5;
    d.steps.slice(0, max).forEach((s) => segs.push({ kind: "step", text: s, drop: 5 }));
  } else {
    d.steps.forEach((s) => segs.push({ kind: "body", text: s, drop: 5 }));
  }
  // Required content: what the prompt says to mention, and links.
  const sofar = () => segs.map((s) => s.text).join(" ");
  for (const m of ins.mentions) {
    if (mentioned(sofar(), m)) continue;
    const fact = ctx.facts.find((f) => overlap(m.replace(/^that\s+/i, ""), f) >= 0.5);
    if (fact) {
      if (!mentioned(sofar(), fact)) segs.push({ kind: "mention", text: factSentence(fact, lang), drop: 7 });
      continue;
    }
    segs.push({ kind: "mention", text: ensurePeriod(say(lang, "note", { x: m.replace(/^that\s+/i, "") })), drop: 7 });
  }
  for (const link of ins.links) if (!sofar().includes(link)) segs.push({ kind: "link", text: say(lang, "link", { link }), drop: 8 });
  // The ending: the next step when asked, else the follow-up invitation the content carries.
  const firstStep = d.action ?? d.steps[0];
  if (ins.nextStep) {
    segs.push({ kind: "next", text: firstStep ? say(lang, "next", { step: ensurePeriod(lowerFirst(firstStep)) }) : say(lang, "next.reply", { need: d.need }), drop: 8 });
  } else if (ins.followUp === true || (ins.followUp === null && d.followByDefault && !terse)) {
    segs.push({ kind: "follow", text: say(lang, "follow", { need: d.need }), drop: 3 });
  }
  if (terse) {
    // Concise: no sign-off.
  } else if (tones.has("friendly") && !ins.closing) segs.push({ kind: "closer", text: say(lang, ins.directFirst ? "friendly.open" : "friendly.close", {}, `${ctx.seed}:close`), drop: 1 });
  else if (tones.has("formal") && !ins.closing) segs.push({ kind: "closer", text: say(lang, "formal.close"), drop: 1 });
  else if (tones.has("empathetic") && !ins.closing) segs.push({ kind: "closer", text: say(lang, "empathetic.close"), drop: 1 });
  if (ins.closing) segs.push({ kind: "closing", text: ins.closing, drop: 0 });
  return segs;
}

export type RenderStyle = { steps: "numbered" | "bullets" | "prose"; lang: Language };

export function render(segs: readonly Seg[], style: RenderStyle): string {
  const head: string[] = [];
  const steps: string[] = [];
  const extras: string[] = [];
  const end: string[] = [];
  for (const s of segs) {
    if (s.kind === "step") (style.steps === "prose" ? head : steps).push(s.text);
    else if (s.kind === "mention" || s.kind === "link") extras.push(s.text);
    else if (s.kind === "next" || s.kind === "follow" || s.kind === "closer" || s.kind === "closing") end.push(s.text);
    else head.push(s.text);
  }
  const paras = [head.join(" ")];
  if (steps.length) {
    const list = steps.map((s, i) => (style.steps === "bullets" ? `- ${s}` : `${i + 1}. ${s}`)).join("\n");
    paras.push(`${say(style.lang, "label.steps")}\n${list}`);
  }
  if (extras.length) paras.push(extras.join("\n"));
  if (end.length) paras.push(end.join(" "));
  return paras.filter((p) => p.trim()).join("\n\n");
}

/** Sentences as a reader counts them: list items and lines each count, a label line ("Steps:") does not. */
export function countSentences(text: string): number {
  return sentences(text).filter((s) => !/^[^.!?]{1,24}:$/.test(s.trim())).length;
}

function over(text: string, ins: Instructions): boolean {
  return (ins.maxWords !== null && wordCount(text) > ins.maxWords) || (ins.maxSentences !== null && countSentences(text) > ins.maxSentences);
}

/**
 * Drops the least necessary segments until the answer fits the limits (greetings first, then the
 * follow-up, extra facts, later steps, body; the direct answer, required mentions, the link and the next
 * step last), then, if even that is too long, cuts words from the end of what remains.
 */
export function fit(segs: Seg[], ins: Instructions, style: RenderStyle, finish: (t: string) => string): string {
  let kept = [...segs];
  const text = () => finish(render(kept, style));
  while (over(text(), ins)) {
    const droppable = kept.filter((s) => s.drop > 0);
    if (!droppable.length) break;
    const lowest = Math.min(...droppable.map((s) => s.drop));
    const victim = [...kept].reverse().find((s) => s.drop === lowest)!;
    kept = kept.filter((s) => s !== victim);
  }
  let out = text();
  if (ins.maxSentences !== null && countSentences(out) > ins.maxSentences) {
    out = sentences(out).slice(0, ins.maxSentences).join(" ");
  }
  if (ins.maxWords !== null && wordCount(out) > ins.maxWords) {
    // Cut at whole words, keeping line breaks, and end the last sentence cleanly.
    let n = 0;
    const pieces = out.split(/(\s+)/);
    let cut = "";
    for (const p of pieces) {
      if (/^\s+$/.test(p)) {
        cut += p;
        continue;
      }
      if (n >= ins.maxWords) break;
      cut += p;
      n++;
    }
    out = ensurePeriod(cut.trim().replace(/[,;:]+$/, ""));
  }
  return out;
}

/** English register for a tone; other languages' phrases carry their register already. */
export function register(text: string, ins: Instructions, lang: Language): string {
  if (lang !== "en") return text;
  if (ins.tones.includes("formal")) return formalize(text);
  if (ins.tones.includes("friendly")) return contract(text);
  return text;
}

export function styleFor(ins: Instructions, lang: Language): RenderStyle {
  return { steps: ins.maxSentences !== null ? "prose" : (ins.steps ?? "numbered"), lang };
}
