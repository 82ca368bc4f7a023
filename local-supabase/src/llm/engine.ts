/**
 * The offline model: deterministic answers composed from the request and, when it names an org or a
 * fine-tuned model, from that org's approved answers. Same input and same data give the same text, so
 * demos and tests are reproducible; different inputs give different, useful text.
 *
 * It follows the instructions it understands (instructions.ts; the list is in README.md here): length
 * limits, tone, required facts and sections, things to mention and links, the answer's language, and a
 * curator's regenerate instructions. Without any, answers keep their default shape: an approved answer
 * verbatim, or the acknowledge / short answer / steps / follow-up rewrite.
 */
import {
  EMPTY_MEMORY,
  parseTask,
  readTag,
  readTags,
  WorkingMemory,
  type OfflineTask,
  type UpdateMemoryOutput,
} from "@review/shared/llm/offline-protocol";
import { buildRetrievalIndex, searchIndex, tokenize, type RetrievalHit, type RetrievalIndex } from "@review/shared/llm/retrieval";
import { draftFromFacts, draftFromText, factSentence, fit, register, relevantFacts, segments, styleFor, type Draft } from "./compose.ts";
import { describeInstructions, hasInstructions, instructionsFor, type Instructions } from "./instructions.ts";
import { judgePairwise, judgeRubric } from "./judge.ts";
import { say, sayAll, type Language } from "./phrases.ts";
import { capitalize, cosine, ensurePeriod, howTo, keyWords, list, overlap, sentences, subjectPhrase, topicOf, wordCount } from "./text.ts";

export type OfflineTier = "fast" | "strong";

export type EngineRequest = {
  tier: OfflineTier;
  system: string;
  /** Text of the conversation, oldest first. */
  messages: Array<{ role: "user" | "assistant"; text: string }>;
  /** Indexes to retrieve approved answers from (the org's examples, or a fine-tuned model's index). */
  indexes: RetrievalIndex[];
};

export type Generation = {
  text: string;
  task: OfflineTask | null;
  /**
   * How the text was made, for the x-offline-* response headers and debugging: an approved answer,
   * facts stated in the prompt, a rewrite of the rated answer, a structured task, or the chat fallback.
   */
  source: "retrieval" | "prompt" | "rewrite" | "task" | "chat";
  hit?: Pick<RetrievalHit, "id" | "coverage" | "score">;
  /** What the model understood of the instructions ("none" when it found none). */
  instructions?: string;
};

/** Below this share of the question's informative content, an approved answer is about something else. */
export const MIN_COVERAGE = 0.4;

export function generate(req: EngineRequest): Generation {
  const task = parseTask(req.system);
  const lastUser = [...req.messages].reverse().find((m) => m.role === "user")?.text ?? "";
  switch (task) {
    case "suggest-answer":
      return { ...suggestAnswer(req, lastUser), task };
    case "clarify-questions":
      return { text: JSON.stringify(clarifyQuestions(lastUser)), task, source: "task" };
    case "update-memory":
      return { text: JSON.stringify(updateMemory(lastUser)), task, source: "task" };
    case "final-prompt":
      return { text: finalPrompt(lastUser, req.tier), task, source: "task" };
    case "judge-pairwise":
      return { text: JSON.stringify(judgePairwise(req.system, lastUser)), task, source: "task" };
    case "name-theme":
      return { text: JSON.stringify(nameTheme(lastUser)), task, source: "task" };
    case "judge-rubric":
      return { text: JSON.stringify(judgeRubric(lastUser)), task, source: "task" };
    default:
      return { ...chat(req, lastUser), task: null };
  }
}

// ---- suggest-answer / chat -------------------------------------------------------------------------

function retrieve(req: EngineRequest, query: string, inline: Array<{ query: string; answer: string }>): RetrievalHit[] {
  const indexes = inline.length ? [...req.indexes, buildRetrievalIndex(inline.map((e, i) => ({ id: `prompt-example-${i}`, ...e })))] : req.indexes;
  const hits = indexes.flatMap((ix) => searchIndex(ix, query, { limit: 3, minCoverage: MIN_COVERAGE }));
  // Relevance (a trained model's learned probability, else coverage) is comparable across indexes; BM25
  // scores are not. Sorting by it keeps a fine-tuned model's learned order.
  return hits.sort((a, b) => (b.relevance ?? b.coverage) - (a.relevance ?? a.coverage) || b.coverage - a.coverage || b.score - a.score || (a.id < b.id ? -1 : 1));
}

/**
 * Prompts written as labelled sections ("User question:\n…\n\nThe answer they rated badly:\n…") instead
 * of tags: org-edited prompt templates look like this, and the offline model should still find the parts.
 */
function labelledSections(text: string): { query?: string; badAnswer?: string; feedback?: string } {
  const out: Record<string, string[]> = {};
  let current: string | null = null;
  let previous = "";
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*([A-Za-z][\w '’()-]{1,48}):\s*(.*)$/);
    const kind = m ? labelKind(m[1]!) : null;
    // Inside a section, "Answer in French: …" is content; a label starts a section when it stands alone,
    // follows a blank line, is a short usual label ("Answer:"), or opens a notes line ("Curator instructions: …").
    const starts = m && kind && (!current || !m[2]!.trim() || !previous.trim() || m[1]!.trim().split(/\s+/).length <= 2 || kind === "feedback");
    previous = line;
    if (m && kind && starts) {
      current = kind;
      (out[kind] ??= []).push(m[2]!);
    } else if (current) out[current]!.push(line);
  }
  const get = (k: string) => out[k]?.join("\n").trim() || undefined;
  return { query: get("query"), badAnswer: get("badAnswer"), feedback: get("feedback") };
}

function labelKind(label: string): "query" | "badAnswer" | "feedback" | null {
  const l = label.toLowerCase();
  if (/approved|example/.test(l)) return null;
  if (/question|query|asked/.test(l)) return "query";
  if (/answer|response|reply/.test(l)) return "badAnswer";
  if (/note|comment|feedback|instruction|rating/.test(l)) return "feedback";
  return null;
}

/** A placeholder an evaluation left unrendered, or "(none)", is no content. */
function content(text: string): string {
  const t = text.trim();
  return /^(?:\{\{\s*\w+\s*\}\}|\(none\)|none|n\/a)$/i.test(t) ? "" : t;
}

function suggestAnswer(req: EngineRequest, user: string): Omit<Generation, "task"> {
  const labelled = user.includes("<query>") ? {} : labelledSections(user);
  const query = content(readTag(user, "query") ?? labelled.query ?? user);
  const badAnswer = content(readTag(user, "bad_answer") ?? labelled.badAnswer ?? "");
  const feedback = content(readTag(user, "feedback") ?? labelled.feedback ?? "");
  const inline = readTags(readTag(user, "approved_examples") ?? "", "example").map((e) => ({ query: readTag(e, "query") ?? "", answer: readTag(e, "answer") ?? "" }));
  const hits = retrieve(req, query, inline.filter((e) => e.query && e.answer));
  const ins = instructionsFor(req.system, user);
  const understood = describeInstructions(ins);
  if (!hasInstructions(ins)) {
    if (hits[0]) return { text: composeFromApproved(query, hits, req.tier), source: "retrieval", hit: pickHit(hits[0]), instructions: understood };
    return { text: renderDefaultRewrite(rewriteDraft(query, badAnswer, feedback, req.tier, "en")), source: "rewrite", instructions: understood };
  }
  const { draft, source } = instructedDraft(req, ins, query, hits, () => rewriteDraft(query, badAnswer, feedback, req.tier, ins.language));
  return { text: shape(draft, ins, query), source, ...(source === "retrieval" && hits[0] ? { hit: pickHit(hits[0]) } : {}), instructions: understood };
}

/** The content an instructed answer is made of: an approved answer, else the prompt's facts, else the fallback. */
function instructedDraft(req: EngineRequest, ins: Instructions, query: string, hits: RetrievalHit[], fallback: () => Draft): { draft: Draft; source: Generation["source"] } {
  const lang = ins.language;
  const subject = subjectPhrase(query);
  const need = say(lang, `${categoryOf(query)}.need`);
  // Prose steps are still steps: they are split out, then rendered as sentences.
  const wantSteps = ins.steps !== null;
  const facts = relevantFacts(ins.facts, query);
  const best = hits[0];
  if (best) {
    const extra: string[] = [];
    if (req.tier === "strong") {
      const second = hits.find((h) => h.id !== best.id && h.answer.trim() !== best.answer.trim() && h.coverage >= MIN_COVERAGE + 0.1);
      if (second && cosine(second.answer, best.answer) < 0.8) extra.push(say(lang, "also", { x: sentences(second.answer).slice(0, 2).join(" ") }));
    }
    // A policy the prompt states and the approved answer does not: the prompt is the newer word.
    for (const f of facts) if (overlap(f, best.answer) < 0.6) extra.unshift(factSentence(f, lang));
    return { draft: draftFromText(best.answer, { lang, need, subject, wantSteps, extra }), source: "retrieval" };
  }
  if (facts.length) return { draft: draftFromFacts(facts, { lang, need, subject, wantSteps }), source: "prompt" };
  return { draft: fallback(), source: "rewrite" };
}

function shape(draft: Draft, ins: Instructions, seed: string): string {
  const lang = ins.language;
  const segs = segments(draft, ins, lang, { seed, facts: ins.facts });
  return fit(segs, ins, styleFor(ins, lang), (t) => register(t, ins, lang));
}

const pickHit = (h: RetrievalHit) => ({ id: h.id, coverage: Math.round(h.coverage * 1000) / 1000, score: Math.round(h.score * 1000) / 1000 });

function composeFromApproved(query: string, hits: RetrievalHit[], tier: OfflineTier): string {
  const best = hits[0]!;
  const parts = [best.answer.trim()];
  if (tier === "strong") {
    const second = hits.find((h) => h.id !== best.id && h.answer.trim() !== best.answer.trim() && h.coverage >= MIN_COVERAGE + 0.1);
    if (second && cosine(second.answer, best.answer) < 0.8) {
      parts.push(say("en", "also", { x: sentences(second.answer).slice(0, 2).join(" ") }));
    }
    if (best.coverage < 0.85) {
      // The approved answer was written for a slightly different question; say what it may not cover.
      const asked = new Set(best.matchedTerms);
      const missing = keyWords(query, 6).filter((w) => !asked.has(tokenize(w)[0] ?? w));
      if (missing.length) parts.push(say("en", "not-covered", { terms: list(missing.slice(0, 3)) }));
    }
  }
  return parts.join("\n\n");
}

const FILLER = /^(?:sorry|i(?:'m| am) sorry|unfortunately|as an ai|i (?:don't|do not|cannot|can't) (?:know|help)|i hope this helps|hope this helps|let me know|thanks?|thank you)/i;

type Category = "error" | "billing" | "account" | "delivery" | "general";

function categoryOf(query: string): Category {
  const q = query.toLowerCase();
  if (/\b(?:error|fail\w*|crash\w*|bug|broken|freez\w*|doesn'?t work|not working|won'?t (?:load|open|start))/.test(q)) return "error";
  if (/\b(?:order|refund\w*|payment|charge[sd]?|invoice|billing|billed|subscription|price|cancel\w*|credit card|card)\b/.test(q)) return "billing";
  if (/\b(?:log ?in|password|account|sign ?in|access|locked|2fa|two-factor)\b/.test(q)) return "account";
  if (/\b(?:deliver\w*|ship\w*|track\w*|package|parcel)\b/.test(q)) return "delivery";
  return "general";
}

/** Opening line and fallback steps per kind of question, filled with the question's own subject. */
function playbook(category: Category, subject: string, lang: Language) {
  const s = subject || say(lang, "this");
  return { direct: say(lang, `${category}.direct`, { s }), steps: sayAll(lang, `${category}.steps`, { s }), need: say(lang, `${category}.need`) };
}

/** A structured rewrite of a poor answer: acknowledge, answer directly, steps, follow-up. */
function rewriteDraft(query: string, badAnswer: string, feedback: string, tier: OfflineTier, lang: Language): Draft {
  const how = howTo(query);
  const subject = subjectPhrase(query);
  const book = playbook(categoryOf(query), subject, lang);
  const lowRating = /rating:\s*[12]\b/.test(feedback);
  const comment = feedback.match(/comment:\s*(.+)/)?.[1]?.trim();
  const opener = how ? say(lang, "opener.how", { how }, query) : say(lang, "opener.about", { subject: subject || topicOf(query) }, query);
  const apology = lowRating || comment ? (comment ? say(lang, "sorry.comment", { comment: truncate(comment, 120) }) : say(lang, "sorry")) : null;

  const candidates = sentences(badAnswer).filter((s) => !FILLER.test(s) && wordCount(s) >= 3);
  // The sentence sharing most with the question is the closest thing to a direct answer; when none
  // shares anything, the old answer did not address the question and the playbook opens instead.
  const ranked = candidates.map((s, i) => ({ s, i, o: overlap(query, s) })).sort((a, b) => b.o - a.o || a.i - b.i);
  const best = ranked[0] && ranked[0].o > 0 ? ranked[0].s : null;
  const direct = best ?? book.direct;
  const rest = candidates.filter((s) => s !== best);
  const maxSteps = tier === "strong" ? 5 : 3;
  const steps = rest.map(toStep).filter((s): s is string => Boolean(s)).slice(0, maxSteps);
  for (const s of book.steps) if (steps.length < 2 + (tier === "strong" ? 1 : 0) && !steps.includes(s)) steps.push(s);
  return {
    ack: opener,
    apology,
    direct: ensurePeriod(capitalize(direct)),
    body: [],
    extra: [],
    steps,
    need: book.need,
    subject: subject || topicOf(query),
    stepsByDefault: true,
    followByDefault: true,
    action: steps[0] ?? null,
  };
}

/** The rewrite's default shape, when the prompt asks for nothing the model understands. */
function renderDefaultRewrite(d: Draft): string {
  const ack = [d.ack, d.apology].filter(Boolean).join(" ");
  const follow = say("en", "follow", { need: d.need });
  return [ack, `${say("en", "label.short")} ${d.direct}`, `${say("en", "label.steps")}\n${d.steps.map((s, i) => `${i + 1}. ${s}`).join("\n")}`, follow].join("\n\n");
}

function toStep(sentence: string): string | null {
  let s = sentence.trim().replace(/^(?:then|next|also|first|finally|after that),?\s+/i, "");
  s = s.replace(/^(?:you (?:can|should|need to|must|could|may want to)|please|try to|just)\s+/i, "");
  if (wordCount(s) < 2) return null;
  return ensurePeriod(capitalize(s));
}

function chat(req: EngineRequest, user: string): Omit<Generation, "task"> {
  const hits = retrieve(req, user, []);
  const ins = instructionsFor(req.system, user);
  const understood = describeInstructions(ins);
  if (hasInstructions(ins)) {
    const question = user.replace(/^[ \t]*(?:curator|reviewer|regenerate)?[ \t]*instructions?[ \t]*:[\s\S]*$/im, "").trim() || user;
    const { draft, source } = instructedDraft(req, ins, question, hits, () => chatDraft(question, ins.language));
    return { text: shape(draft, ins, question), source: source === "rewrite" ? "chat" : source, ...(source === "retrieval" && hits[0] ? { hit: pickHit(hits[0]) } : {}), instructions: understood };
  }
  if (hits[0]) return { text: composeFromApproved(user, hits, req.tier), source: "retrieval", hit: pickHit(hits[0]), instructions: understood };
  const d = chatDraft(user, "en");
  const lines = [d.direct, ...d.body, ...d.extra];
  return { text: lines.join("\n\n"), source: "chat", instructions: understood };
}

/** What the model says when it knows nothing about the question: what it heard, and how to teach it. */
function chatDraft(user: string, lang: Language): Draft {
  const points = sentences(user).filter((s) => wordCount(s) >= 3);
  const kw = keyWords(user, 3);
  const body = points.length > 1 ? [`${say(lang, "chat.points")}\n${points.slice(0, 5).map((p) => `- ${ensurePeriod(truncate(p, 160))}`).join("\n")}`] : [];
  return {
    ack: null,
    apology: null,
    direct: say(lang, "chat.asked", { topic: lowerFirst(topicOf(user)) }),
    body,
    extra: [say(lang, "chat.offline", { kw: kw.length ? list(kw.map((w) => `"${w}"`)) : say(lang, "chat.this-message") })],
    steps: [],
    need: say(lang, "general.need"),
    subject: subjectPhrase(user),
    stepsByDefault: false,
    followByDefault: false,
    action: null,
  };
}

// ---- clarify-questions / update-memory -------------------------------------------------------------

type Aspect = { key: string; label: string; present: RegExp; question: (terms: string[]) => string };

const ASPECTS: Aspect[] = [
  {
    key: "audience",
    label: "Audience",
    present: /\b(audience|readers?|customers?|students?|developers?|engineers?|beginners?|experts?|executives?|managers?|users?|kids|children|clients?)\b/i,
    question: (t) => `Who will read the result${t[0] ? ` about ${t[0]}` : ""}, and how much do they already know about it?`,
  },
  {
    key: "format",
    label: "Output format",
    present: /\b(format|json|markdown|table|bullets?|bullet points|list|email|essay|code|csv|paragraphs?|outline|slides?)\b/i,
    question: () => "What form should the output take: prose, a bulleted list, a table, JSON, or something else?",
  },
  {
    key: "length",
    label: "Length",
    present: /\b(\d+\s*(?:words?|sentences?|paragraphs?|pages?|characters?|bullets?|items?)|short|brief|concise|detailed|in depth|one-liner|tweet)\b/i,
    question: () => "How long should the result be (for example a number of words, sentences or items)?",
  },
  {
    key: "tone",
    label: "Tone",
    present: /\b(tone|formal|informal|friendly|professional|casual|playful|neutral|persuasive|empathetic|technical)\b/i,
    question: () => "What tone should it have: formal, friendly, technical, or something else?",
  },
  {
    key: "goal",
    label: "Goal",
    present: /\b(so that|in order to|goal|purpose|because|to help|aim|objective|use it (?:to|for))\b/i,
    question: (t) => `What will you do with the result${t[0] ? ` on ${t[0]}` : ""}: which decision or next step should it support?`,
  },
  {
    key: "constraints",
    label: "Constraints",
    present: /\b(must|never|always|avoid|only|don'?t|do not|limit|without|at most|no more than|required?)\b/i,
    question: (t) => `Is there anything the answer must include or must avoid${t[1] ? ` regarding ${t[1]}` : t[0] ? ` regarding ${t[0]}` : ""}?`,
  },
  {
    key: "examples",
    label: "Examples",
    present: /\b(examples?|e\.g\.|for instance|such as|sample|like this)\b/i,
    question: (t) => `Can you share an example of a result you would consider great${t[0] ? ` for ${t[0]}` : ""}?`,
  },
];

const CONSTRAINT_HINT = /\b(must|never|always|avoid|only|don'?t|do not|at most|no more than|limit|max(?:imum)?|min(?:imum)?|required?|under \d+|\d+\s*(?:words?|sentences?|characters?|items?|bullets?))\b/i;

function missingAspects(text: string): Aspect[] {
  return ASPECTS.filter((a) => !a.present.test(text));
}

function parseSelections(user: string): string {
  const raw = readTag(user, "selections");
  if (!raw) return "";
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    // Keys count as addressed aspects too: {"tone": "friendly"} answers the tone question.
    return Object.entries(v)
      .map(([k, x]) => `${k}: ${typeof x === "string" ? x : JSON.stringify(x)}`)
      .join("\n");
  } catch {
    return raw;
  }
}

function intTag(user: string, name: string, fallback: number, min: number, max: number): number {
  const n = Number.parseInt(readTag(user, name) ?? "", 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

function clarifyQuestions(user: string): { questions: string[] } {
  const prompt = readTag(user, "prompt") ?? user;
  const max = intTag(user, "max_questions", 3, 1, 10);
  const terms = [subjectPhrase(prompt)].filter(Boolean);
  const missing = missingAspects(`${prompt}\n${parseSelections(user)}`);
  const questions = missing.map((a) => a.question(terms));
  if (!questions.length) questions.push(`What should the model do when information about ${terms[0] ?? "the task"} is missing or ambiguous?`);
  return { questions: questions.slice(0, max) };
}

function readMemory(user: string): WorkingMemory {
  const raw = readTag(user, "memory");
  if (!raw) return EMPTY_MEMORY;
  try {
    const parsed = WorkingMemory.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : EMPTY_MEMORY;
  } catch {
    return EMPTY_MEMORY;
  }
}

const NON_ANSWER = /^(?:n\/?a|none|no idea|don'?t know|i don'?t know|not sure|skip|-|\?)\.?$/i;

function updateMemory(user: string): UpdateMemoryOutput {
  const prompt = readTag(user, "prompt") ?? "";
  const selections = parseSelections(user);
  const memory = readMemory(user);
  const round = intTag(user, "round", 1, 1, 100);
  const maxRounds = intTag(user, "max_rounds", 3, 1, 100);
  const maxQuestions = intTag(user, "max_questions", 3, 1, 10);
  const pairs = readTags(readTag(user, "answers") ?? "", "qa").map((qa) => ({ question: readTag(qa, "question") ?? "", answer: readTag(qa, "answer") ?? "" }));

  const facts = [...memory.facts];
  const constraints = [...memory.constraints];
  const recorded: string[] = [];
  for (const { question, answer } of pairs) {
    const a = answer.trim();
    if (!a || NON_ANSWER.test(a)) continue;
    // The aspect a question asked about is the one whose own question it resembles most.
    const aspect = ASPECTS.map((x) => ({ x, s: overlap(x.question([]), question) + (x.present.test(question) ? 0.5 : 0) })).sort((p, q) => q.s - p.s)[0]!;
    const label = aspect.s > 0 ? aspect.x.label : "Detail";
    const line = `${label}: ${ensurePeriod(a)}`;
    const isConstraint = aspect.x.key === "constraints" || aspect.x.key === "length" || aspect.x.key === "format" || CONSTRAINT_HINT.test(a);
    const target = isConstraint ? constraints : facts;
    if (!target.some((f) => f.toLowerCase() === line.toLowerCase())) target.push(line);
    recorded.push(label.toLowerCase());
  }
  const known = [prompt, selections, ...facts, ...constraints].join("\n");
  const gapAspects = missingAspects(known);
  const gaps = gapAspects.map((a) => a.label);
  const needs = gapAspects.length > 0 && round < maxRounds;
  const terms = [subjectPhrase(prompt)].filter(Boolean);
  const rationale =
    (recorded.length ? `Round ${round}: recorded ${list([...new Set(recorded)])} from the answers.` : `Round ${round}: the answers added nothing new.`) +
    (gaps.length ? ` Still unknown: ${list(gaps.map((g) => g.toLowerCase()))}.` : " No important gaps remain.") +
    (gaps.length && !needs ? " This was the last round, so the final prompt will handle those gaps explicitly." : "");
  return {
    facts,
    constraints,
    gaps,
    rationale,
    needs_more_questions: needs,
    questions: needs ? gapAspects.map((a) => a.question(terms)).slice(0, maxQuestions) : [],
  };
}

// ---- final-prompt ------------------------------------------------------------------------------------

function roleFor(text: string): string {
  const t = text.toLowerCase();
  if (/\b(code|function|bug|typescript|python|sql|api|refactor|test)\b/.test(t)) return "a senior software engineer";
  if (/\b(email|letter|memo|announcement)\b/.test(t)) return "an experienced business writer";
  if (/\b(summar|tl;?dr|digest)/.test(t)) return "a precise editor who writes faithful summaries";
  if (/\b(ad|campaign|marketing|slogan|landing page|seo)\b/.test(t)) return "an experienced marketing copywriter";
  if (/\b(support|customer|ticket|refund|complaint)\b/.test(t)) return "a helpful customer-support specialist";
  if (/\b(lesson|teach|explain|student|course)\b/.test(t)) return "a patient teacher";
  return "an expert assistant";
}

function finalPrompt(user: string, tier: OfflineTier): string {
  const prompt = (readTag(user, "prompt") ?? user).trim();
  const selections = parseSelections(user);
  const memory = readMemory(user);
  const formatLine = [...memory.constraints, ...memory.facts, selections].find((l) => /^(output format|format)\s*:/im.test(l));
  const sections = [`You are ${roleFor(`${prompt}\n${selections}`)}.`, `Your task:\n${prompt}`];
  if (memory.facts.length) sections.push(`Context:\n${memory.facts.map((f) => `- ${f}`).join("\n")}`);
  const rules = [...memory.constraints.map((c) => `- ${c}`), ...selections.split("\n").filter(Boolean).map((s) => `- ${capitalize(s)}`)];
  if (rules.length) sections.push(`Rules:\n${rules.join("\n")}`);
  sections.push(
    `Output format:\n- ${formatLine ? formatLine.replace(/^[^:]+:\s*/, "") : "Plain text in short paragraphs; use a numbered list for steps."}`,
  );
  const gaps = memory.gaps.length ? ` This matters most for: ${list(memory.gaps.map((g) => g.toLowerCase()))}.` : "";
  sections.push(`If information is missing:\n- Ask one short clarifying question instead of guessing.${gaps}`);
  if (tier === "strong") sections.push("Before answering, check the result against every rule above and fix anything that breaks one.");
  return sections.join("\n\n");
}

// ---- helpers -----------------------------------------------------------------------------------------

function lowerFirst(s: string): string {
  // Keep acronyms and names ("API", "Stripe") as they are.
  return /^[A-Z][a-z]/.test(s) && !/^I\b/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

// ---- name-theme ------------------------------------------------------------------------------------

/**
 * A theme's name from the words its items share most (the caller's keywords first, checked against the
 * items), and a summary that says how many items, what they share, and quotes the most typical one.
 */
export function nameTheme(user: string): { name: string; summary: string } {
  const items = readTags(user, "item").filter(Boolean);
  const given = (readTag(user, "keywords") ?? "").split(/[,\n]/).map((w) => w.trim()).filter(Boolean);
  const counts = new Map<string, number>();
  for (const it of items) for (const w of new Set(keyWords(it, 8))) counts.set(w, (counts.get(w) ?? 0) + 1);
  const shared = [...counts.entries()].filter(([, n]) => n >= Math.max(2, items.length / 4)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
  // The caller's keywords that the sample bears out first, then other words the items share.
  const words = [...new Set([...given.filter((g) => items.some((it) => it.toLowerCase().includes(g.toLowerCase()))), ...shared])].slice(0, 3);
  const name = words.length ? capitalize(words.join(", ")) : items[0] ? capitalize(topicOf(items[0], 6)) : "Other feedback";
  const example = items[0] ? ` For example: "${topicOf(items[0], 20)}".` : "";
  const summary = `${items.length} low-rated item${items.length === 1 ? "" : "s"} in this sample${words.length ? ` mention ${list(words)}` : ""}.${example}`;
  return { name, summary };
}
