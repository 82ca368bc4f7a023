/**
 * The offline model: deterministic answers composed from the request and, when it names an org or a
 * fine-tuned model, from that org's approved answers. Same input and same data give the same text, so
 * demos and tests are reproducible; different inputs give different, useful text.
 */
import {
  EMPTY_MEMORY,
  parseTask,
  readTag,
  readTags,
  WorkingMemory,
  type JudgeVerdict,
  type OfflineTask,
  type UpdateMemoryOutput,
} from "@review/shared/llm/offline-protocol";
import { buildRetrievalIndex, searchIndex, tokenize, type RetrievalHit, type RetrievalIndex } from "@review/shared/llm/retrieval";
import { capitalize, cosine, ensurePeriod, howTo, keyWords, list, overlap, pick, sentences, subjectPhrase, topicOf, wordCount } from "./text.ts";

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
  /** How the text was made, for the x-offline-* response headers and debugging. */
  source: "retrieval" | "rewrite" | "task" | "chat";
  hit?: Pick<RetrievalHit, "id" | "coverage" | "score">;
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
      return { text: JSON.stringify(judge(lastUser)), task, source: "task" };
    default:
      return { ...chat(req, lastUser), task: null };
  }
}

// ---- suggest-answer / chat -------------------------------------------------------------------------

function retrieve(req: EngineRequest, query: string, inline: Array<{ query: string; answer: string }>): RetrievalHit[] {
  const indexes = inline.length ? [...req.indexes, buildRetrievalIndex(inline.map((e, i) => ({ id: `prompt-example-${i}`, ...e })))] : req.indexes;
  const hits = indexes.flatMap((ix) => searchIndex(ix, query, { limit: 3, minCoverage: MIN_COVERAGE }));
  // Coverage is comparable across indexes; BM25 scores are not.
  return hits.sort((a, b) => b.coverage - a.coverage || b.score - a.score || (a.id < b.id ? -1 : 1));
}

/**
 * Prompts written as labelled sections ("User question:\n…\n\nThe answer they rated badly:\n…") instead
 * of tags: org-edited prompt templates look like this, and the offline model should still find the parts.
 */
function labelledSections(text: string): { query?: string; badAnswer?: string; feedback?: string } {
  const out: Record<string, string[]> = {};
  let current: string | null = null;
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*([A-Za-z][\w '’()-]{1,48}):\s*(.*)$/);
    const kind = m ? labelKind(m[1]!) : null;
    if (m && kind) {
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

function suggestAnswer(req: EngineRequest, user: string): Omit<Generation, "task"> {
  const labelled = user.includes("<query>") ? {} : labelledSections(user);
  const query = readTag(user, "query") ?? labelled.query ?? user;
  const badAnswer = readTag(user, "bad_answer") ?? labelled.badAnswer ?? "";
  const feedback = readTag(user, "feedback") ?? labelled.feedback ?? "";
  const inline = readTags(readTag(user, "approved_examples") ?? "", "example").map((e) => ({ query: readTag(e, "query") ?? "", answer: readTag(e, "answer") ?? "" }));
  const hits = retrieve(req, query, inline.filter((e) => e.query && e.answer));
  if (hits[0]) return { text: composeFromApproved(query, hits, req.tier), source: "retrieval", hit: pickHit(hits[0]) };
  return { text: rewrite(query, badAnswer, feedback, req.tier), source: "rewrite" };
}

const pickHit = (h: RetrievalHit) => ({ id: h.id, coverage: Math.round(h.coverage * 1000) / 1000, score: Math.round(h.score * 1000) / 1000 });

function composeFromApproved(query: string, hits: RetrievalHit[], tier: OfflineTier): string {
  const best = hits[0]!;
  const parts = [best.answer.trim()];
  if (tier === "strong") {
    const second = hits.find((h) => h.id !== best.id && h.answer.trim() !== best.answer.trim() && h.coverage >= MIN_COVERAGE + 0.1);
    if (second && cosine(second.answer, best.answer) < 0.8) {
      parts.push(`Also relevant: ${sentences(second.answer).slice(0, 2).join(" ")}`);
    }
    if (best.coverage < 0.85) {
      // The approved answer was written for a slightly different question; say what it may not cover.
      const asked = new Set(best.matchedTerms);
      const missing = keyWords(query, 6).filter((w) => !asked.has(tokenize(w)[0] ?? w));
      if (missing.length) parts.push(`If your question about ${list(missing.slice(0, 3))} is not covered here, reply with the details and we will follow up.`);
    }
  }
  return parts.join("\n\n");
}

const FILLER = /^(?:sorry|i(?:'m| am) sorry|unfortunately|as an ai|i (?:don't|do not|cannot|can't) (?:know|help)|i hope this helps|hope this helps|let me know|thanks?|thank you)/i;

type Category = "error" | "billing" | "account" | "delivery" | "general";

function categoryOf(query: string): Category {
  const q = query.toLowerCase();
  if (/\b(?:error|fail\w*|crash\w*|bug|broken|freez\w*|doesn'?t work|not working|won'?t (?:load|open|start))/.test(q)) return "error";
  if (/\b(?:order|refund\w*|payment|charge[sd]?|invoice|billing|billed|subscription|price|cancel\w*)\b/.test(q)) return "billing";
  if (/\b(?:log ?in|password|account|sign ?in|access|locked|2fa|two-factor)\b/.test(q)) return "account";
  if (/\b(?:deliver\w*|ship\w*|track\w*|package|parcel)\b/.test(q)) return "delivery";
  return "general";
}

/** Opening line and fallback steps per kind of question, filled with the question's own subject. */
function playbook(category: Category, subject: string) {
  const s = subject || "this";
  switch (category) {
    case "error":
      return {
        direct: `Problems like this with ${s} usually come from one specific step, and the steps below narrow it down quickly.`,
        steps: ["Note the exact error message and the step where it appears.", "Update the app (or reload the page) and try once more.", `Check whether it happens every time with ${s} or only sometimes.`],
        need: "the exact error message and when it happens",
      };
    case "billing":
      return {
        direct: `You can sort out ${s} from your billing page; here is how.`,
        steps: ["Open your billing history and find the charge or order in question.", "Compare its date and amount with your confirmation email.", "Use the request or contact option on that item if something is wrong."],
        need: "your order or invoice number",
      };
    case "account":
      return {
        direct: `You can usually fix ${s} yourself in a few minutes.`,
        steps: ["Use the “Forgot password” link on the sign-in page.", "Check your inbox (and spam folder) for the email we send.", "Follow the link within an hour, before it expires."],
        need: "the email address you sign in with (never your password)",
      };
    case "delivery":
      return {
        direct: `You can see where ${s} stands right now.`,
        steps: ["Open the tracking link in your shipping confirmation email.", "Check that the delivery address on the order is right.", "If tracking has not moved for several days, contact us with the order."],
        need: "your tracking number",
      };
    default:
      return {
        direct: `Here is what to do about ${s}.`,
        steps: [`Write down what you expected from ${s} and what happened instead.`, `Check whether anything changed recently around ${s}.`, "Try the step again and note exactly where it differs."],
        need: "what you tried and what you saw",
      };
  }
}

/** A structured rewrite of a poor answer: acknowledge, answer directly, steps, follow-up. */
function rewrite(query: string, badAnswer: string, feedback: string, tier: OfflineTier): string {
  const how = howTo(query);
  const subject = subjectPhrase(query);
  const category = categoryOf(query);
  const book = playbook(category, subject);
  const lowRating = /rating:\s*[12]\b/.test(feedback);
  const comment = feedback.match(/comment:\s*(.+)/)?.[1]?.trim();
  const opener = how
    ? pick([`Thanks for asking ${how}.`, `Good question: ${how}.`, `Here is ${how}.`], query)
    : pick([`Thanks for your question about ${subject || topicOf(query)}.`, `Good question about ${subject || topicOf(query)}.`, `Here is a clearer answer about ${subject || topicOf(query)}.`], query);
  const ack = [opener, lowRating || comment ? "Sorry the earlier answer missed the mark" + (comment ? ` (you said: "${truncate(comment, 120)}")` : "") + "." : ""].filter(Boolean).join(" ");

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

  const follow = `If this does not solve it, reply with ${book.need} and we will take it from there.`;
  return [ack, `Short answer: ${ensurePeriod(capitalize(direct))}`, `Steps:\n${steps.map((s, i) => `${i + 1}. ${s}`).join("\n")}`, follow].join("\n\n");
}

function toStep(sentence: string): string | null {
  let s = sentence.trim().replace(/^(?:then|next|also|first|finally|after that),?\s+/i, "");
  s = s.replace(/^(?:you (?:can|should|need to|must|could|may want to)|please|try to|just)\s+/i, "");
  if (wordCount(s) < 2) return null;
  return ensurePeriod(capitalize(s));
}

function chat(req: EngineRequest, user: string): Omit<Generation, "task"> {
  const hits = retrieve(req, user, []);
  if (hits[0]) return { text: composeFromApproved(user, hits, req.tier), source: "retrieval", hit: pickHit(hits[0]) };
  const points = sentences(user).filter((s) => wordCount(s) >= 3);
  const lines = [`You asked about ${lowerFirst(topicOf(user))}.`];
  if (points.length > 1) lines.push(`The key points in your message:\n${points.slice(0, 5).map((p) => `- ${ensurePeriod(truncate(p, 160))}`).join("\n")}`);
  const kw = keyWords(user, 3);
  lines.push(
    `I am an offline model: I answer from approved examples of your organization, and none matched ${kw.length ? list(kw.map((w) => `"${w}"`)) : "this message"} closely enough. Approve an answer for a similar question and I will use it next time.`,
  );
  return { text: lines.join("\n\n"), source: "chat" };
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

// ---- judge-pairwise ----------------------------------------------------------------------------------

const REFUSAL = /\b(as an ai|i (?:cannot|can't|am unable to) help|i don'?t know|no idea|not sure)\b/i;

function judge(user: string): JudgeVerdict {
  const query = readTag(user, "query") ?? "";
  const a = readTag(user, "answer_a") ?? "";
  const b = readTag(user, "answer_b") ?? "";
  const reference = readTag(user, "reference");
  const index = buildRetrievalIndex([
    { id: "A", query: "", answer: a },
    { id: "B", query: "", answer: b },
  ]);
  const hits = new Map(searchIndex(index, query, { limit: 2 }).map((h) => [h.id, h.coverage]));
  const score = (id: "A" | "B", text: string) => {
    const relevance = hits.get(id) ?? 0;
    const ref = reference ? cosine(text, reference) : 0;
    const words = wordCount(text);
    const structure = (/^\s*(?:\d+[.)]|[-*•])\s+/m.test(text) ? 0.05 : 0) + (overlap(query, sentences(text)[0] ?? "") > 0.3 ? 0.05 : 0);
    const penalty = (REFUSAL.test(text) ? 0.3 : 0) + (words < 8 ? 0.2 : 0) + (words > 600 ? 0.1 : 0);
    const total = (reference ? 0.45 * relevance + 0.45 * ref : 0.9 * relevance) + structure - penalty;
    return { relevance, ref, total, refusal: REFUSAL.test(text), words };
  };
  const sa = score("A", a);
  const sb = score("B", b);
  const margin = sa.total - sb.total;
  const pct = (n: number) => `${Math.round(n * 100)}%`;
  if (Math.abs(margin) < 0.05) {
    return { winner: "tie", reason: `Both answers are about equally good: they cover ${pct(sa.relevance)} and ${pct(sb.relevance)} of the question${reference ? ` and match the reference ${pct(sa.ref)} vs ${pct(sb.ref)}` : ""}.` };
  }
  const [w, win, lose] = margin > 0 ? (["A", sa, sb] as const) : (["B", sb, sa] as const);
  const why: string[] = [];
  if (win.relevance > lose.relevance) why.push(`covers more of the question (${pct(win.relevance)} vs ${pct(lose.relevance)})`);
  if (reference && win.ref > lose.ref) why.push(`agrees more with the reference (${pct(win.ref)} vs ${pct(lose.ref)})`);
  if (lose.refusal) why.push("the other answer deflects instead of answering");
  if (lose.words < 8) why.push("the other answer is too short to help");
  if (!why.length) why.push("is clearer and more actionable");
  return { winner: w, reason: `Answer ${w} ${why.join("; ")}.` };
}

// ---- helpers -----------------------------------------------------------------------------------------

function lowerFirst(s: string): string {
  // Keep acronyms and names ("API", "Stripe") as they are.
  return /^[A-Z][a-z]/.test(s) && !/^I\b/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
