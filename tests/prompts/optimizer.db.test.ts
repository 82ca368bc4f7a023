import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql } from "../helpers/stack.ts";
import { newPrompt } from "./helpers.ts";

// The optimizer loop against the offline model: clarify → answer (≤ 3 rounds) → synthesize → feedback,
// with per-user RLS, role checks and input caps.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "opt"), createOrg(stack, "optother")]);
});

// Vague on purpose: the offline model asks about audience, format, length, … and "no idea" answers fill
// nothing, so it keeps wanting more questions; only the round cap ends the loop.
const VAGUE = "Write something about our product launch";
const nonAnswers = (questions: string[]) => questions.map((question) => ({ question, answer: "no idea" }));

async function start(token = org.users.curator.accessToken, body: Record<string, unknown> = {}) {
  return callFunction(stack, "start-optimization", { orgId: org.id, initialPrompt: VAGUE, selections: { targetModel: "claude" }, ...body }, token);
}

describe("optimizer session", () => {
  it("runs clarify → three answered rounds (then ready regardless) → final prompt → feedback, all traced by session", async () => {
    const prompt = await newPrompt(stack, org);
    const s = await start(undefined, { promptId: prompt.id });
    expect(s.status).toBe(201);
    const sessionId = s.body.session.id as string;
    expect(s.body.session).toMatchObject({ status: "clarifying", rounds: 0, user_id: org.users.curator.id, org_id: org.id, prompt_id: prompt.id });
    expect(s.body.questions.length).toBeGreaterThanOrEqual(1);
    expect(s.body.questions.length).toBeLessThanOrEqual(3);

    let questions: string[] = s.body.questions;
    for (const round of [1, 2, 3]) {
      const r = await callFunction(stack, "submit-answer", { sessionId, answers: nonAnswers(questions) }, org.users.curator.accessToken);
      expect(r.status, `round ${round}: ${JSON.stringify(r.body)}`).toBe(200);
      expect(r.body.session.rounds).toBe(round);
      expect(r.body.roundsLeft).toBe(3 - round);
      if (round < 3) {
        // The offline model still sees gaps, so it asks again.
        expect(r.body.session.status).toBe("clarifying");
        expect(r.body.questions.length).toBeGreaterThan(0);
      } else {
        // The cap: after round 3 the session is ready whatever the model wanted.
        expect(r.body.session.status).toBe("ready");
        expect(r.body.questions).toEqual([]);
        expect(r.body.session.working_memory.gaps.length).toBeGreaterThan(0);
      }
      questions = r.body.questions;
    }
    const fourth = await callFunction(stack, "submit-answer", { sessionId, answers: [{ question: "More?", answer: "yes" }] }, org.users.curator.accessToken);
    expect(fourth.status).toBe(409);
    expect(fourth.body.error.code).toBe("no_open_questions");

    const fin = await callFunction(stack, "generate-final-prompt", { sessionId }, org.users.curator.accessToken);
    expect(fin.status).toBe(200);
    expect(fin.body.session.status).toBe("finalized");
    expect(fin.body.finalPrompt).toContain(VAGUE);
    expect(fin.body.finalPrompt).toMatch(/^You are /);
    expect(fin.body.session.final_prompt).toBe(fin.body.finalPrompt);

    // The transcript: questions per round, the user's answers, notes; all readable by the owner.
    const msgs = await org.users.curator.client.from("opt_messages").select("role, kind, content, model_name").eq("session_id", sessionId).order("id");
    const kinds = msgs.data!.map((m) => `${m.role}|${m.kind}`);
    expect(kinds.filter((k) => k === "user|answer").length).toBeGreaterThanOrEqual(3);
    expect(kinds.filter((k) => k === "agent|note")).toHaveLength(4);
    const firstQuestion = msgs.data!.find((m) => m.kind === "question")!;
    expect(firstQuestion.model_name).toMatch(/offline-fast-1/);
    expect(msgs.data!.at(-1)!.model_name).toMatch(/offline-strong-1/);

    // Every LLM call logged, fast model for the loop, strong for the synthesis, the session as trace id.
    const calls = await sql(stack)`select function_name, model, status, trace_id, user_id from public.ai_requests where org_id = ${org.id} and trace_id = ${sessionId} order by created_at`;
    expect(calls.map((c) => c.function_name)).toEqual(["start-optimization", "submit-answer", "submit-answer", "submit-answer", "generate-final-prompt"]);
    expect(calls.map((c) => c.model)).toEqual(["offline-fast-1", "offline-fast-1", "offline-fast-1", "offline-fast-1", "offline-strong-1"]);
    expect(calls.every((c) => c.status === "ok" && c.user_id === org.users.curator.id)).toBe(true);

    const fb = await callFunction(stack, "rate-optimizer-session", { sessionId, rating: 5, comments: "Great" }, org.users.curator.accessToken);
    expect(fb.status).toBe(200);
    const again = await callFunction(stack, "rate-optimizer-session", { sessionId, rating: 4 }, org.users.curator.accessToken);
    expect(again.body.feedback).toMatchObject({ rating: 4, comments: null, session_id: sessionId });
    const [n] = await sql(stack)`select count(*)::int as n from public.opt_feedback where session_id = ${sessionId}`;
    expect(n!.n).toBe(1);
    expect((await callFunction(stack, "rate-optimizer-session", { sessionId, rating: 6 }, org.users.curator.accessToken)).status).toBe(400);

    // The final prompt becomes a candidate version of the prompt, linked from the session.
    const saved = await callFunction(
      stack,
      "save-prompt-version",
      { promptId: prompt.id, template: fin.body.finalPrompt, variables: [], model: "offline-strong-1", status: "candidate", sessionId },
      org.users.curator.accessToken,
    );
    expect(saved.status).toBe(201);
    const [linked] = await sql(stack)`select saved_version_id from public.opt_sessions where id = ${sessionId}`;
    expect(linked!.saved_version_id).toBe(saved.body.version.id);
  });

  it("ends the loop early when the answers leave no gaps, and lets the user finalize with questions open", async () => {
    const s = await start(undefined, { initialPrompt: "Write a short friendly email to customers announcing our new app" });
    expect(s.status).toBe(201);
    const sessionId = s.body.session.id as string;
    const answers = (s.body.questions as string[]).map((question) => ({
      question,
      answer: "Existing customers who are developers; the goal is to get them to try it so that adoption grows; must mention the free tier, with an example subject line.",
    }));
    const r = await callFunction(stack, "submit-answer", { sessionId, answers }, org.users.curator.accessToken);
    expect(r.status).toBe(200);
    expect(r.body.session).toMatchObject({ rounds: 1, status: "ready" });

    const open = await start();
    const fin = await callFunction(stack, "generate-final-prompt", { sessionId: open.body.session.id }, org.users.curator.accessToken);
    expect(fin.status).toBe(200);
    expect(fin.body.session).toMatchObject({ status: "finalized", rounds: 0 });
  });

  it("fences two submissions of the same round: one is recorded, the other is a conflict", async () => {
    const s = await start(org.users.admin.accessToken);
    const body = { sessionId: s.body.session.id, answers: nonAnswers(s.body.questions) };
    const results = await Promise.all([1, 2].map(() => callFunction(stack, "submit-answer", body, org.users.admin.accessToken)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe("round_conflict");
    const [row] = await sql(stack)`select rounds, (select count(*)::int from public.opt_messages m where m.session_id = s.id and m.kind = 'answer') as answers
                                   from public.opt_sessions s where id = ${s.body.session.id}`;
    expect(row).toEqual({ rounds: 1, answers: body.answers.length });
  });
});

describe("optimizer access", () => {
  it("refuses reviewers, managers, other organizations and other users' sessions", async () => {
    for (const role of ["reviewer", "manager"] as const) {
      const r = await start(org.users[role].accessToken);
      expect(r.status, role).toBe(403);
    }
    expect((await start(other.users.admin.accessToken)).status).toBe(404);
    expect((await callFunction(stack, "start-optimization", { orgId: org.id, initialPrompt: VAGUE })).status).toBe(401);

    const s = await start();
    const sessionId = s.body.session.id as string;
    const answers = nonAnswers(s.body.questions);
    // An admin of the same org still cannot see or drive a curator's session (sessions are personal).
    for (const token of [org.users.admin.accessToken, other.users.admin.accessToken, org.users.reviewer.accessToken]) {
      expect((await callFunction(stack, "submit-answer", { sessionId, answers }, token)).status).toBe(404);
      expect((await callFunction(stack, "generate-final-prompt", { sessionId }, token)).status).toBe(404);
      expect((await callFunction(stack, "rate-optimizer-session", { sessionId, rating: 1 }, token)).status).toBe(404);
    }
    const peek = await org.users.admin.client.from("opt_sessions").select("id").eq("id", sessionId);
    expect(peek.data).toEqual([]);
    const peekMsgs = await org.users.admin.client.from("opt_messages").select("id").eq("session_id", sessionId);
    expect(peekMsgs.data).toEqual([]);
    const forge = await org.users.admin.client.from("opt_messages").insert({ session_id: sessionId, role: "user", kind: "answer", content: { answer: "x" } });
    expect(forge.error).not.toBeNull();

    // Demoted since starting: the owner loses the studio along with the role.
    await sql(stack)`update public.memberships set role = 'reviewer' where org_id = ${org.id} and user_id = ${org.users.curator.id}`;
    try {
      const demoted = await callFunction(stack, "submit-answer", { sessionId, answers }, org.users.curator.accessToken);
      expect(demoted.status).toBe(403);
    } finally {
      await sql(stack)`update public.memberships set role = 'curator' where org_id = ${org.id} and user_id = ${org.users.curator.id}`;
    }
    const [row] = await sql(stack)`select rounds from public.opt_sessions where id = ${sessionId}`;
    expect(row!.rounds).toBe(0);
  });

  it("keeps a session moving forward only, even for its owner over REST", async () => {
    const s = await start();
    const id = s.body.session.id as string;
    const c = org.users.curator.client;
    const skip = await c.from("opt_sessions").update({ rounds: 3 }).eq("id", id).select();
    expect(skip.error?.message).toMatch(/one at a time/);
    const fake = await c.from("opt_sessions").update({ final_prompt: "mine" }).eq("id", id).select();
    expect(fake.error?.message).toMatch(/when the session is finalized/);
    await callFunction(stack, "generate-final-prompt", { sessionId: id }, org.users.curator.accessToken);
    const back = await c.from("opt_sessions").update({ status: "clarifying" }).eq("id", id).select();
    expect(back.error?.message).toMatch(/cannot go from finalized back to clarifying/);
    const more = await callFunction(stack, "submit-answer", { sessionId: id, answers: [{ question: "q", answer: "a" }] }, org.users.curator.accessToken);
    expect(more.status).toBe(409);
  });

  it("refuses oversized input with clear 400s before calling the model", async () => {
    const tooLong = await start(undefined, { initialPrompt: "x".repeat(16_001) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.fields.initialPrompt[0]).toMatch(/longer than 16000 characters/);
    const tooManyTokens = await start(undefined, { initialPrompt: "a, ".repeat(2_500) });
    expect(tooManyTokens.status).toBe(400);
    expect(tooManyTokens.body.error.fields.initialPrompt[0]).toMatch(/tokens; the limit is 4000/);
    const selections = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]));
    expect((await start(undefined, { selections })).status).toBe(400);
    expect((await start(undefined, { initialPrompt: "   " })).status).toBe(400);

    const s = await start();
    const sessionId = s.body.session.id as string;
    const many = Array.from({ length: 11 }, (_, i) => ({ question: `q${i}`, answer: "a" }));
    const r1 = await callFunction(stack, "submit-answer", { sessionId, answers: many }, org.users.curator.accessToken);
    expect(r1.status).toBe(400);
    expect(r1.body.error.fields.answers).toBeDefined();
    const long = await callFunction(stack, "submit-answer", { sessionId, answers: [{ question: "q", answer: "b".repeat(2001) }] }, org.users.curator.accessToken);
    expect(long.status).toBe(400);
    const wordy = Array.from({ length: 10 }, () => ({ question: "q", answer: "a, ".repeat(600) }));
    const r2 = await callFunction(stack, "submit-answer", { sessionId, answers: wordy }, org.users.curator.accessToken);
    expect(r2.status).toBe(400);
    expect(r2.body.error.message).toMatch(/tokens together/);
    const [calls] = await sql(stack)`select count(*)::int as n from public.ai_requests where trace_id = ${sessionId}`;
    expect(calls!.n).toBe(1);
  });
});
