import { describe, expect, it } from "vitest";
import { buildJudgePairwisePrompt, JudgeVerdict, parseJsonOutput } from "@review/shared/llm/offline-protocol";
import { buildRetrievalIndex } from "@review/shared/llm/retrieval";
import { countSentences } from "@review/local-supabase/llm/compose";
import { generate, type EngineRequest } from "@review/local-supabase/llm/engine";
import { detectLanguage } from "@review/local-supabase/llm/judge";

// The offline model follows the instructions it understands (local-supabase/src/llm/README.md), so a
// prompt or a curator's regenerate instruction changes what it writes, and a judge can see it.

const words = (t: string) => t.split(/\s+/).filter(Boolean).length;

/** The seeded templates' shape: the customer's question and the rated answer in tags, instructions around them. */
function ask(system: string, query: string, opts: { badAnswer?: string; curator?: string; indexes?: EngineRequest["indexes"] } = {}) {
  const user =
    `A customer asked:\n<query>${query}</query>\n\nOur assistant answered, and the customer rated it poorly:\n<bad_answer>${opts.badAnswer ?? ""}</bad_answer>\n\nWrite the answer a senior support agent would give.` +
    (opts.curator ? `\n\nCurator instructions:\n${opts.curator}` : "");
  return generate({ tier: "strong", system: `TASK: suggest-answer\n${system}`, messages: [{ role: "user", text: user }], indexes: opts.indexes ?? [] });
}

const AGENT = "You are a customer-support agent at Acme.";
const CANCEL = "How do I cancel my subscription?";
const CANCEL_BAD = "Subscriptions can be cancelled in the billing settings. You need to open Billing. Then click Cancel plan. It only takes a minute and you keep access until the end of the month.";
const POLICY = `${AGENT}
Current policy:
- Refunds: refunds go back to the original payment method within 5 business days. To ask for one, open Orders, choose the order and click Request refund.
- Returns are accepted within 30 days of delivery.
- Shipping: standard shipping takes 3 to 5 business days, express 1 to 2 business days.`;

describe("offline model: length limits", () => {
  it("keeps under a word limit, within a sentence limit, and short when asked", () => {
    const free = ask(AGENT, CANCEL, { badAnswer: CANCEL_BAD }).text;
    expect(words(free)).toBeGreaterThan(45);
    const limited = ask(`${AGENT} Keep answers under 40 words.`, CANCEL, { badAnswer: CANCEL_BAD }).text;
    expect(words(limited)).toBeLessThan(40);
    expect(limited).toContain("Subscriptions can be cancelled in the billing settings.");
    const two = ask(`${AGENT} Answer in at most 2 sentences.`, CANCEL, { badAnswer: CANCEL_BAD }).text;
    expect(countSentences(two)).toBeLessThanOrEqual(2);
    expect(two).not.toMatch(/^\d+\./m); // no list when sentences are counted
    const short = ask(`${AGENT} Keep it short.`, CANCEL, { badAnswer: CANCEL_BAD }).text;
    expect(words(short)).toBeLessThanOrEqual(60);
    expect(words(short)).toBeLessThan(words(free));
    // A limit inside a private step is not a limit on the answer.
    const aside = ask(AGENT, CANCEL, { badAnswer: CANCEL_BAD, curator: "First name what was wrong in one sentence (for yourself, do not output it)." });
    expect(aside.instructions).not.toMatch(/max_sentences/);
  });
});

describe("offline model: tone", () => {
  it("friendly, formal, empathetic and concise answers differ the way a reader expects", () => {
    const base = ask(AGENT, CANCEL, { badAnswer: CANCEL_BAD }).text;
    const friendly = ask(`${AGENT} Be friendly.`, CANCEL, { badAnswer: CANCEL_BAD }).text;
    expect(friendly).toMatch(/!/);
    expect(friendly).toMatch(/\b(?:we'll|don't|you're|it's)\b/);
    const formal = ask(`${AGENT} Use a formal tone.`, CANCEL, { badAnswer: CANCEL_BAD }).text;
    expect(formal.startsWith("Thank you for your inquiry.")).toBe(true);
    expect(formal).toMatch(/Kind regards\.$/);
    expect(formal).not.toMatch(/!|\b\w+'(?:t|ll|re|m)\b/);
    const empathetic = ask(`${AGENT} Be empathetic.`, "The app keeps crashing when I upload photos", { badAnswer: "Reinstall." }).text;
    expect(empathetic).toMatch(/sorry/i);
    expect(empathetic).toMatch(/frustrating/i);
    const concise = ask(`${AGENT} Be concise.`, CANCEL, { badAnswer: CANCEL_BAD }).text;
    expect(concise.startsWith("Subscriptions can be cancelled")).toBe(true);
    expect(words(concise)).toBeLessThan(words(base));
    expect(new Set([base, friendly, formal, concise]).size).toBe(4);
  });
});

describe("offline model: required facts and sections", () => {
  it("answers from facts the prompt states, and includes a required one", () => {
    const r = ask(POLICY, "Can I get my money back for an order?");
    expect(r.source).toBe("prompt");
    expect(r.text).toContain("Refunds go back to the original payment method within 5 business days.");
    const bare = ask(AGENT, "Can I get my money back for an order?");
    expect(bare.text).not.toContain("5 business days");
    // "Include the refund window": the prompt's fact about it, even for a question about something else.
    const window = ask(`${POLICY}\nAlways include the returns window.`, "How long does shipping take?");
    expect(window.text).toContain("3 to 5 business days");
    expect(window.text).toContain("Returns are accepted within 30 days of delivery.");
  });

  it("starts with the direct answer, then the steps, and ends with the next step", () => {
    const r = ask(`${POLICY}\nBe friendly. Start with the direct answer, then the steps. End with the next step.`, "How do I get a refund for my order?").text;
    const paras = r.split("\n\n");
    expect(paras[0]).toBe("Refunds go back to the original payment method within 5 business days.");
    expect(paras[1]).toBe("Steps:\n1. Open Orders.\n2. Choose the order.\n3. Click Request refund.");
    expect(paras.at(-1)).toMatch(/^Next step: open Orders\./);
    // Without "start with the direct answer", a friendly answer greets first.
    const greeting = ask(`${POLICY}\nBe friendly.`, "How do I get a refund for my order?").text;
    expect(greeting.split(" ")[0]).toMatch(/^(?:Thanks|Happy|Great)/);
  });
});

describe("offline model: mentions and links", () => {
  it("mentions what it is told to and always links the help page", () => {
    const r = ask(`${AGENT} Always link acme.example.com/help and mention the 2-year warranty.`, "My blender stopped working, what can I do?", { badAnswer: "Buy a new one." }).text;
    expect(r).toContain("acme.example.com/help");
    expect(r).toContain("2-year warranty");
    // "Link only to X" restricts links; it does not ask for one.
    const only = ask(`${AGENT} Link only to acme.example.com/help.`, "My blender stopped working, what can I do?", { badAnswer: "Buy a new one." }).text;
    expect(only).not.toContain("acme.example.com/help");
    const quoted = ask(`${AGENT} Sign off with "The Acme support team".`, CANCEL, { badAnswer: CANCEL_BAD }).text;
    expect(quoted.endsWith("The Acme support team")).toBe(true);
  });
});

describe("offline model: language", () => {
  it("answers in German, French or Spanish when asked, with its own sentences translated", () => {
    const cases = [
      ["Answer in German.", "de", "Nächster Schritt:"],
      ["Reply in French.", "fr", "Prochaine étape :"],
      ["Respond in Spanish.", "es", "Siguiente paso:"],
    ] as const;
    for (const [instruction, lang, nextLabel] of cases) {
      const r = ask(`${AGENT} ${instruction} End with the next step.`, "The app crashes when I open the camera", { badAnswer: "" });
      expect(r.instructions).toContain(`language=${lang}`);
      expect(detectLanguage(r.text)).toBe(lang);
      expect(r.text).toContain(nextLabel);
    }
    // Naming a language is not asking for it.
    expect(ask(`${AGENT} Many of our customers are German speakers.`, CANCEL).instructions).not.toContain("language");
  });
});

describe("offline model: regenerate instructions", () => {
  // Production suggestions retrieve the organization's approved answer; the curator's instruction reshapes it.
  const index = buildRetrievalIndex([
    { id: "refund", query: "How do I get a refund for my order?", answer: "Open Orders, choose the order and click Request refund. Refunds go back to the original payment method within 5 business days." },
    { id: "pw", query: "How do I reset my password?", answer: "Click Forgot password on the sign-in page and follow the link we email you." },
  ]);
  const system = `${AGENT} Be friendly.`;
  const query = "How can I get a refund for my last order?";

  it("changes the suggestion the way the curator asked, and only then", () => {
    const before = ask(system, query, { badAnswer: "We don't do refunds.", indexes: [index] });
    expect(before.source).toBe("retrieval");
    expect(before.text).toContain("Open Orders, choose the order and click Request refund.");
    expect(ask(system, query, { badAnswer: "We don't do refunds.", indexes: [index] }).text).toBe(before.text);

    const formal = ask(system, query, { badAnswer: "We don't do refunds.", indexes: [index], curator: "Make it formal and end with the next step." }).text;
    expect(formal).not.toBe(before.text);
    expect(formal).toMatch(/^Thank you for your inquiry\./);
    expect(formal).toMatch(/Next step: open Orders\./);

    const german = ask(system, query, { badAnswer: "We don't do refunds.", indexes: [index], curator: "Answer in German, as numbered steps." }).text;
    expect(german).toContain("Schritte:\n1. Open Orders.\n2. Choose the order.\n3. Click Request refund.");

    const shorter = ask(system, query, { badAnswer: "We don't do refunds.", indexes: [index], curator: "Make it shorter and mention acme.example.com/help." }).text;
    expect(words(shorter)).toBeLessThan(words(before.text));
    expect(shorter).toContain("acme.example.com/help");
  });

  it("reads the curator's section in an untagged template, never the user's comment or question", () => {
    // The fallback template of edge-functions/_shared/suggest.ts: labelled sections, notes at the end.
    const user = (notes: string) => `User question:\nAnswer in French: how do I cancel my subscription?\n\nThe answer they rated badly:\n${CANCEL_BAD}\n\nReviewer notes:\n${notes}`;
    const run = (notes: string) => generate({ tier: "strong", system: "TASK: suggest-answer\nYou improve answers of a customer-support assistant.", messages: [{ role: "user", text: user(notes) }], indexes: [] });
    const comment = run("User comment: answer in Spanish, you idiot");
    expect(comment.instructions).toBe("none");
    expect(detectLanguage(comment.text)).toBe("en");
    const curated = run("User comment: too vague\nCurator instructions: Answer in Spanish and keep it under 50 words.");
    expect(curated.instructions).toContain("language=es");
    expect(words(curated.text)).toBeLessThan(50);
    // Its own words are Spanish; the rated answer's sentences it keeps are quoted as written.
    expect(curated.text).toContain("Pasos:\n1. Open Billing.");
  });
});

describe("offline model: determinism", () => {
  it("gives the same text for the same input, every time", () => {
    const run = () => ask(`${POLICY}\nBe friendly. Start with the direct answer, then the steps. Keep answers under 80 words. Answer in French.`, "Can I get my money back for an order?").text;
    const first = run();
    for (let i = 0; i < 5; i++) expect(run()).toBe(first);
  });
});

describe("offline judge", () => {
  const judge = (system: string | null, query: string, a: string, b: string, reference?: string, rubric?: string) => {
    const p = buildJudgePairwisePrompt({ query, answerA: a, answerB: b, reference, rubric });
    const out = generate({ tier: "strong", system: system ?? p.system, messages: [{ role: "user", text: p.messages[0]!.content }], indexes: [] });
    return parseJsonOutput(JudgeVerdict, out.text);
  };
  const SEEDED = "TASK: judge-pairwise\nYou compare two support answers to the same question. Prefer the one that is correct, resolves the issue and is concise. Answer with JSON only.";
  const query = "How long does a refund take?";
  const reference = "Refunds go back to the original payment method within 5 business days of the return arriving.";
  const factual = "Refunds go back to the original payment method within 5 business days.\n\nNext step: open Orders and click Request refund.";
  const generic = "Thanks for your question about refunds.\n\nShort answer: You can sort out refunds from your billing page; here is how.\n\nSteps:\n1. Open your billing history and find the charge.\n2. Compare its date and amount with your confirmation email.\n\nIf this does not solve it, reply with your order number and we will take it from there.";

  it("prefers the answer with the reference's facts, in both orders, under the seeded rubric", () => {
    for (const system of [SEEDED, null]) {
      expect(judge(system, query, generic, factual, reference).winner).toBe("B");
      const swapped = judge(system, query, factual, generic, reference);
      expect(swapped.winner).toBe("A");
      expect(swapped.reason).toMatch(/reference's facts/);
      expect(judge(system, query, factual, factual, reference).winner).toBe("tie");
    }
  });

  it("holds answers to a rubric's own requirements", () => {
    const rubric = "TASK: judge-pairwise\nPrefer the answer that is correct. Answers must be under 25 words and link acme.example.com/help.";
    const compliant = "Refunds take 5 business days. More help: acme.example.com/help";
    const long = `${"Refunds take 5 business days, and here is a lot more text about them that nobody asked for in this case. ".repeat(2)}`;
    expect(judge(rubric, query, long, compliant).winner).toBe("B");
    expect(judge(rubric, query, compliant, long).winner).toBe("A");
    // The same rubric passed to the protocol's builder, as an organization's judge prompt.
    expect(judge(null, query, long, compliant, undefined, rubric).winner).toBe("B");
    expect(judge(null, query, compliant, long, undefined, rubric).winner).toBe("A");
    const english = "Refunds take 5 business days to reach your card.";
    const german = "Erstattungen dauern 5 Werktage, bis sie auf Ihrer Karte sind.";
    expect(judge(null, query, english, german, undefined, "Answers must be in German.").winner).toBe("B");
    expect(judge(null, query, german, english, undefined, "Answers must be in German.").winner).toBe("A");
  });
});
