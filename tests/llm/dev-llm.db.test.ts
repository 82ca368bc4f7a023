import Anthropic from "@anthropic-ai/sdk";
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildClarifyQuestionsPrompt,
  buildJudgePairwisePrompt,
  buildSuggestAnswerPrompt,
  buildUpdateMemoryPrompt,
  ClarifyQuestionsOutput,
  EMPTY_MEMORY,
  fineTunedModelName,
  JudgeVerdict,
  orgMetadataUserId,
  parseJsonOutput,
  UpdateMemoryOutput,
} from "@review/shared/llm/offline-protocol";
import { buildRetrievalIndex } from "@review/shared/llm/retrieval";
import type { StackInfo } from "@review/local-supabase";
import { getStack, sql } from "../helpers/stack.ts";

let stack: StackInfo;
let anthropic: Anthropic;

async function createOrg(label: string): Promise<string> {
  const slug = `${label}-${randomUUID().slice(0, 8)}`;
  const [row] = await sql(stack)`insert into public.organizations (name, slug) values (${label}, ${slug}) returning id`;
  return row!.id as string;
}

async function addExample(orgId: string, query: string, answer: string): Promise<string> {
  const [row] = await sql(stack)`insert into public.training_examples (org_id, query, answer) values (${orgId}, ${query}, ${answer}) returning id`;
  return row!.id as string;
}

const text = (m: Anthropic.Message) => m.content.map((b) => (b.type === "text" ? b.text : "")).join("");

beforeAll(async () => {
  stack = await getStack();
  // As the Edge Functions and the worker call it: the project's service role key is the API key.
  anthropic = new Anthropic({ apiKey: stack.serviceRoleKey, baseURL: `${stack.apiUrl}/llm`, maxRetries: 0 });
});

describe("dev LLM: Anthropic Messages API compatibility", () => {
  it("answers a non-streaming request with usage and an offline model name", async () => {
    const m = await anthropic.messages.create({ model: "offline-strong-1", max_tokens: 400, messages: [{ role: "user", content: "How do I export my invoices as PDF?" }] });
    expect(m.type).toBe("message");
    expect(m.role).toBe("assistant");
    expect(m.model).toContain("offline");
    expect(m.stop_reason).toBe("end_turn");
    expect(m.usage.input_tokens).toBeGreaterThan(0);
    expect(m.usage.output_tokens).toBeGreaterThan(0);
    expect(text(m)).toContain("export");
  });

  it("streams the exact event sequence and the SDK assembles the same text", async () => {
    const body = { model: "offline-fast-1", max_tokens: 300, stream: true, messages: [{ role: "user", content: "My parcel has not arrived after ten days, what now?" }] };
    const res = await fetch(`${stack.apiUrl}/llm/v1/messages`, { method: "POST", headers: { "x-api-key": stack.serviceRoleKey, "content-type": "application/json", "anthropic-version": "2023-06-01" }, body: JSON.stringify(body) });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const raw = await res.text();
    const events = [...raw.matchAll(/^event: (\S+)\ndata: (.*)$/gm)].map((m) => ({ event: m[1]!, data: JSON.parse(m[2]!) }));
    const names = events.map((e) => e.event);
    const deltas = names.filter((n) => n === "content_block_delta").length;
    expect(deltas).toBeGreaterThan(1);
    expect(names).toEqual(["message_start", "content_block_start", "ping", ...Array(deltas).fill("content_block_delta"), "content_block_stop", "message_delta", "message_stop"]);
    for (const e of events) expect(e.data.type).toBe(e.event);
    expect(events[0]!.data.message.model).toContain("offline");
    expect(events[0]!.data.message.usage.input_tokens).toBeGreaterThan(0);
    const md = events.find((e) => e.event === "message_delta")!.data;
    expect(md.delta.stop_reason).toBe("end_turn");
    expect(md.usage.output_tokens).toBeGreaterThan(0);
    const streamed = events.filter((e) => e.event === "content_block_delta").map((e) => { expect(e.data.delta.type).toBe("text_delta"); return e.data.delta.text as string; }).join("");

    const s = anthropic.messages.stream({ model: "offline-fast-1", max_tokens: 300, messages: body.messages as Anthropic.MessageParam[] });
    let viaSdk = "";
    s.on("text", (d) => (viaSdk += d));
    const final = await s.finalMessage();
    expect(viaSdk).toBe(streamed);
    expect(text(final)).toBe(streamed);
    expect(final.usage.output_tokens).toBe(md.usage.output_tokens);
  });

  it("answers depend on the input and are deterministic", async () => {
    const ask = async (content: string) => text(await anthropic.messages.create({ model: "offline-strong-1", max_tokens: 400, messages: [{ role: "user", content }] }));
    const a1 = await ask("Why was my card charged twice for the same order?");
    const a2 = await ask("Why was my card charged twice for the same order?");
    const b = await ask("The mobile app crashes when I open the camera");
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b);
  });

  it("honours max_tokens and stop_sequences like the real API", async () => {
    const p = buildSuggestAnswerPrompt({ query: "How do I change my billing email?", badAnswer: "You can change it. Go to settings. Then open billing. Then edit the email field and save." });
    const short = await anthropic.messages.create({ model: "offline-strong-1", max_tokens: 12, system: p.system, messages: p.messages });
    expect(short.stop_reason).toBe("max_tokens");
    expect(short.usage.output_tokens).toBeLessThanOrEqual(12);
    const stopped = await anthropic.messages.create({ model: "offline-strong-1", max_tokens: 500, system: p.system, messages: p.messages, stop_sequences: ["Steps:"] });
    expect(stopped.stop_reason).toBe("stop_sequence");
    expect(stopped.stop_sequence).toBe("Steps:");
    expect(text(stopped)).not.toContain("Steps:");
  });

  it("lists and retrieves models", async () => {
    const page = await anthropic.models.list();
    expect(page.data.map((m) => m.id)).toEqual(expect.arrayContaining(["offline-fast-1", "offline-strong-1"]));
    expect((await anthropic.models.retrieve("offline-fast-1")).id).toBe("offline-fast-1");
  });

  it("reports errors in Anthropic's shape and statuses", async () => {
    const post = (body: string, headers: Record<string, string> = { "x-api-key": stack.serviceRoleKey }) =>
      fetch(`${stack.apiUrl}/llm/v1/messages`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const cases: Array<[Response, number, string, RegExp]> = [
      [await post("{not json"), 400, "invalid_request_error", /json/i],
      [await post(JSON.stringify({ max_tokens: 10, messages: [{ role: "user", content: "hi" }] })), 400, "invalid_request_error", /^model: Field required/],
      [await post(JSON.stringify({ model: "offline-fast-1", messages: [{ role: "user", content: "hi" }] })), 400, "invalid_request_error", /^max_tokens: Field required/],
      [await post(JSON.stringify({ model: "offline-fast-1", max_tokens: 10 })), 400, "invalid_request_error", /^messages: Field required/],
      [await post(JSON.stringify({ model: "offline-fast-1", max_tokens: 10, messages: [] })), 400, "invalid_request_error", /at least one message/],
      [await post(JSON.stringify({ model: "offline-fast-1", max_tokens: 0, messages: [{ role: "user", content: "hi" }] })), 400, "invalid_request_error", /^max_tokens/],
      [await post(JSON.stringify({ model: "offline-fast-1", max_tokens: 10, messages: [{ role: "robot", content: "hi" }] })), 400, "invalid_request_error", /^messages\.0\.role/],
      [await post(JSON.stringify({ model: "offline-fast-1", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }), {}), 401, "authentication_error", /x-api-key/],
      [await post(JSON.stringify({ model: "gpt-4o", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })), 404, "not_found_error", /^model: gpt-4o/],
    ];
    for (const [res, status, type, message] of cases) {
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect({ status: res.status, type: body.type, errorType: body.error.type }).toEqual({ status, type: "error", errorType: type });
      expect(body.error.message).toMatch(message);
    }
    // The SDK turns them into its typed errors.
    await expect(anthropic.messages.create({ model: "offline-fast-1", max_tokens: 10, messages: [] })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });
});

describe("dev LLM: tasks of the offline protocol", () => {
  const call = async (p: { system: string; messages: Array<{ role: "user"; content: string }>; maxTokens: number }) =>
    text(await anthropic.messages.create({ model: "offline-fast-1", max_tokens: p.maxTokens, system: p.system, messages: p.messages }));

  it("clarify-questions, update-memory and judge-pairwise answer valid JSON of their shapes", async () => {
    const prompt = "Write a product description for our new trail running shoes";
    const q = parseJsonOutput(ClarifyQuestionsOutput, await call(buildClarifyQuestionsPrompt({ prompt, selections: { tone: "playful" }, maxQuestions: 2 })));
    expect(q.questions).toHaveLength(2);
    expect(q.questions.join(" ")).not.toMatch(/tone/i); // already chosen in the selections

    const mem = parseJsonOutput(
      UpdateMemoryOutput,
      await call(
        buildUpdateMemoryPrompt({
          prompt,
          selections: { tone: "playful" },
          memory: EMPTY_MEMORY,
          answers: [
            { question: q.questions[0]!, answer: "Weekend hikers who are new to trail running" },
            { question: "How long should the result be?", answer: "At most 60 words" },
          ],
          round: 1,
          maxRounds: 3,
        }),
      ),
    );
    expect(mem.facts.join(" ")).toContain("Weekend hikers");
    expect(mem.constraints.join(" ")).toContain("At most 60 words");
    expect(mem.needs_more_questions).toBe(mem.gaps.length > 0);
    expect(typeof mem.rationale).toBe("string");

    const lastRound = parseJsonOutput(UpdateMemoryOutput, await call(buildUpdateMemoryPrompt({ prompt, memory: mem, answers: [], round: 3, maxRounds: 3 })));
    expect(lastRound.needs_more_questions).toBe(false);
    expect(lastRound.questions).toEqual([]);

    const judge = (a: string, b: string) =>
      call(buildJudgePairwisePrompt({ query: "How do I reset my password?", answerA: a, answerB: b })).then((t) => parseJsonOutput(JudgeVerdict, t));
    const good = "Open Settings, choose Security, click Reset password and follow the link we email you.";
    expect((await judge("I don't know.", good)).winner).toBe("B");
    expect((await judge(good, "I don't know.")).winner).toBe("A"); // no position bias
    expect((await judge(good, good)).winner).toBe("tie");
  });

  it("rewrites a bad answer into acknowledge / direct answer / steps / follow-up", async () => {
    const p = buildSuggestAnswerPrompt({
      query: "How do I cancel my subscription?",
      badAnswer: "Subscriptions can be cancelled in the billing settings. You need to open Billing. Then click Cancel plan.",
      feedback: { rating: 1, comment: "too vague" },
    });
    // A prompt that asks for nothing the model understands gets its default shape.
    const plain = await call({ ...p, system: "TASK: suggest-answer" });
    expect(plain).toMatch(/cancel your subscription/i);
    expect(plain).toMatch(/Sorry the earlier answer missed the mark \(you said: "too vague"\)/);
    expect(plain).toMatch(/Short answer: Subscriptions can be cancelled in the billing settings\./);
    expect(plain).toMatch(/Steps:\n1\. Open Billing\.\n2\. Click Cancel plan\./);
    expect(plain).toMatch(/reply with your order or invoice number/);
    // The protocol's prompt asks for the answer in the first sentence, then steps, then a follow-up: it gets that.
    const { data, response } = await anthropic.messages.create({ model: "offline-fast-1", max_tokens: p.maxTokens, system: p.system, messages: p.messages }).withResponse();
    const answer = text(data);
    expect(answer).toMatch(/^Subscriptions can be cancelled in the billing settings\.\n\nSteps:\n1\. Open Billing\.\n2\. Click Cancel plan\./);
    expect(answer).toMatch(/reply with your order or invoice number and we will take it from there\.$/);
    expect(response.headers.get("x-offline-instructions")).toMatch(/direct_first; steps=numbered; follow_up=true/);
  });
});

describe("dev LLM: retrieval of approved answers", () => {
  it("composes from the most similar approved answer of the caller's org, never another org's", async () => {
    const orgA = await createOrg("acme");
    const orgB = await createOrg("globex");
    const refundA = await addExample(orgA, "How do I get a refund for a double charge?", "Acme refunds double charges automatically within 3 days; you can also click Refund in Billing → History.");
    await addExample(orgA, "How do I reset my password?", "Acme: use Forgot password on the sign-in page.");
    await addExample(orgA, "Can I export my data?", "Acme: Settings → Data → Export gives you a CSV.");
    const refundB = await addExample(orgB, "I was charged twice, how do I get a refund?", "Globex support refunds duplicate payments by email within 10 business days.");

    const ask = async (orgId: string) => {
      const p = buildSuggestAnswerPrompt({ query: "I got a double charge on my card, how can I get a refund?", badAnswer: "Contact your bank." });
      const { data, response } = await anthropic.messages
        .create({ model: "offline-strong-1", max_tokens: 600, system: p.system, messages: p.messages, metadata: { user_id: orgMetadataUserId(orgId, randomUUID()) } })
        .withResponse();
      return { text: text(data), exampleId: response.headers.get("x-offline-example-id"), source: response.headers.get("x-offline-source") };
    };
    const a = await ask(orgA);
    expect(a).toMatchObject({ source: "retrieval", exampleId: refundA });
    expect(a.text).toContain("Acme refunds double charges automatically");
    expect(a.text).not.toContain("Globex");
    const b = await ask(orgB);
    expect(b).toMatchObject({ source: "retrieval", exampleId: refundB });
    expect(b.text).toContain("Globex support refunds duplicate payments");
    expect(b.text).not.toContain("Acme");

    // An answer approved a moment ago is used by the very next request.
    const better = await addExample(orgB, "Double charge on my card - how do I get my refund?", "Globex: duplicate card charges are refunded from Billing → Payments → Refund, instantly.");
    expect((await ask(orgB)).exampleId).toBe(better);

    // Without an org, or for an unrelated question, it falls back to a rewrite.
    const p = buildSuggestAnswerPrompt({ query: "What are your office hours in Lisbon?", badAnswer: "We are open." });
    const { response } = await anthropic.messages
      .create({ model: "offline-strong-1", max_tokens: 600, system: p.system, messages: p.messages, metadata: { user_id: `org:${orgA}` } })
      .withResponse();
    expect(response.headers.get("x-offline-source")).toBe("rewrite");
  });

  it("serves offline-ft:<models.id> from the retrieval index stored with the model", async () => {
    const org = await createOrg("initech");
    const index = buildRetrievalIndex([
      { id: "tps", query: "Where do I file my TPS report?", answer: "TPS reports go to Bill Lumbergh with the new cover sheet." },
      { id: "stapler", query: "Who has my red stapler?", answer: "Milton keeps the red Swingline stapler in the basement." },
    ]);
    const [m] = await sql(stack)`
      insert into public.models (org_id, name, provider, base_model, dataset_snapshot)
      values (${org}, 'initech-ft', 'offline', 'offline-strong-1', ${sql(stack).json({ example_count: 2, retrieval_index: index } as never)})
      returning id`;
    const model = fineTunedModelName(m!.id as string);
    const r = await anthropic.messages.create({ model, max_tokens: 300, messages: [{ role: "user", content: "where should my TPS report be filed?" }] });
    expect(r.model).toBe(`${model} (offline model)`);
    expect(text(r)).toContain("Bill Lumbergh");
    expect((await anthropic.models.retrieve(model)).display_name).toContain("initech-ft");

    await expect(anthropic.messages.create({ model: fineTunedModelName(randomUUID()), max_tokens: 10, messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });
});
