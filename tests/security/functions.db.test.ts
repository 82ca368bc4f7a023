import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { StackInfo } from "@review/local-supabase";
import { addFeedback, callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { client, getStack, sql } from "../helpers/stack.ts";

// Issue "Secure by default", item 2, written as the attack: every privileged database function checks
// its caller itself (auth.uid() and the capability table), takes no acting-user parameter and no
// capacity a caller chooses, and refuses another tenant's ids exactly as it refuses missing ones.

let stack: StackInfo;
let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  stack = await getStack();
  [a, b] = await Promise.all([createOrg(stack, "sec-a"), createOrg(stack, "sec-b")]);
});

async function caseIn(org: TestOrg): Promise<string> {
  const feedbackId = await addFeedback(stack, org.id);
  const r = await callFunction(stack, "create-improvement-case", { feedbackId }, org.users.reviewer.accessToken);
  if (r.status !== 201) throw new Error(`create-improvement-case: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.case.id as string;
}

const anon = () => client(stack);

describe("privileged database functions check their caller", () => {
  it("deciding a case: another organization's case is 'not found' like a missing one; a reviewer is refused; anon is refused", async () => {
    const theirs = await caseIn(b);
    const asStranger = (id: string) =>
      a.users.admin.client.rpc("decide_improvement_case", { p_case_id: id, p_decision: "approved", p_final_text: "owned" });
    const [other, missing] = await Promise.all([asStranger(theirs), asStranger(randomUUID())]);
    expect(other.status).toBe(404);
    expect(other.error).toEqual(missing.error);

    const byReviewer = await b.users.reviewer.client.rpc("decide_improvement_case", { p_case_id: theirs, p_decision: "rejected", p_reason: "not mine to decide" });
    expect(byReviewer.error?.code).toBe("42501");
    const byAnon = await anon().rpc("decide_improvement_case", { p_case_id: theirs, p_decision: "approved" });
    expect(byAnon.error).not.toBeNull();
    // The old shape took the actor as a parameter; it is gone.
    const withActor = await b.users.curator.client.rpc("decide_improvement_case", { p_case_id: theirs, p_decision: "approved", p_actor: a.users.admin.id });
    expect(withActor.error?.code).toBe("PGRST202");

    const [row] = await sql(stack)`select status from public.improvement_cases where id = ${theirs}`;
    expect(row!.status).toBe("pending");
    expect((await sql(stack)`select count(*)::int as n from public.training_examples where source_case_id = ${theirs}`)[0]!.n).toBe(0);
  });

  it("a curator decides as themselves: the database records who, whatever the request says", async () => {
    const mine = await caseIn(a);
    const r = await a.users.curator.client.rpc("decide_improvement_case", { p_case_id: mine, p_decision: "approved", p_final_text: "We refund duplicate charges within 2 days." });
    expect(r.error).toBeNull();
    const [row] = await sql(stack)`select c.approved_by, t.created_by from public.improvement_cases c join public.training_examples t on t.source_case_id = c.id where c.id = ${mine}`;
    expect(row).toEqual({ approved_by: a.users.curator.id, created_by: a.users.curator.id });
    const [audit] = await sql(stack)`select actor_id from public.audit_logs where entity_id = ${mine} and action = 'case.approved'`;
    expect(audit!.actor_id).toBe(a.users.curator.id);
  });

  it("opening a case: another organization's feedback is 'not found'; a manager is refused; the opener is the caller", async () => {
    const theirFeedback = await addFeedback(stack, b.id);
    const other = await a.users.reviewer.client.rpc("open_improvement_case", { p_feedback_id: theirFeedback, p_suggested: "injected" });
    const missing = await a.users.reviewer.client.rpc("open_improvement_case", { p_feedback_id: randomUUID(), p_suggested: "injected" });
    expect(other.status).toBe(404);
    expect(other.error).toEqual(missing.error);
    const byManager = await b.users.manager.client.rpc("open_improvement_case", { p_feedback_id: theirFeedback, p_suggested: "x" });
    expect(byManager.error?.code).toBe("42501");
    expect((await sql(stack)`select case_id from public.feedback where id = ${theirFeedback}`)[0]!.case_id).toBeNull();

    const own = await b.users.reviewer.client.rpc("open_improvement_case", { p_feedback_id: theirFeedback, p_suggested: "A draft" });
    expect(own.error).toBeNull();
    expect(own.data).toMatchObject({ created_by: b.users.reviewer.id, org_id: b.id });
  });

  it("the LLM budget: nobody spends another organization's, and no caller chooses the capacity", async () => {
    const bucket = () => sql(stack)`select tokens, updated_at from private.llm_rate_limits where key = ${`llm:${b.id}`}`;
    const before = await bucket();
    const other = await a.users.admin.client.rpc("take_llm_tokens", { p_org: b.id });
    expect(other.status).toBe(404);
    const byManager = await b.users.manager.client.rpc("take_llm_tokens", { p_org: b.id });
    expect(byManager.error?.code).toBe("42501");
    const withCapacity = await b.users.reviewer.client.rpc("take_llm_tokens", { p_key: `llm:${b.id}`, p_capacity: 1_000_000, p_per_minute: 1_000_000 });
    expect(withCapacity.error?.code).toBe("PGRST202");
    const byAnon = await anon().rpc("take_llm_tokens", { p_org: b.id });
    expect(byAnon.error).not.toBeNull();
    // b's bucket was not touched by any of these.
    expect(await bucket()).toEqual(before);
  });

  it("service-only functions refuse every user, whatever grants say", async () => {
    const admin = a.users.admin.client;
    const version = randomUUID();
    const calls = await Promise.all([
      admin.rpc("resolve_ingest_key", { p_key: "rwk_guess" }),
      admin.rpc("promote_prompt_version_from_gate", { p_version_id: version, p_job_id: randomUUID() }),
      admin.rpc("doc_compact", { p_doc_id: `case:${randomUUID()}`, p_snapshot: "AAA=", p_base_snapshot_id: null, p_merged_ids: [] }),
      admin.rpc("user_id_by_email", { p_email: b.users.admin.email }),
      admin.rpc("enqueue_job", { p_org_id: a.id, p_kind: "drift", p_name: "x" }),
    ]);
    for (const c of calls) expect(c.error, JSON.stringify(c.error)).not.toBeNull();
    // Not even when the grant is widened by mistake: the function asserts the caller inside.
    await sql(stack)`grant execute on function public.resolve_ingest_key(text) to authenticated`;
    try {
      const widened = await admin.rpc("resolve_ingest_key", { p_key: "rwk_guess" });
      expect(widened.error?.code).toBe("42501");
    } finally {
      await sql(stack)`revoke execute on function public.resolve_ingest_key(text) from authenticated`;
    }
  });

  it("jobs: starting and cancelling are as the caller; another organization's job is 'not found'", async () => {
    const started = await b.users.admin.client.rpc("start_job", { p_org_id: b.id, p_kind: "drift", p_name: "mine", p_job_key: `sec-${randomUUID()}` });
    expect(started.error).toBeNull();
    const jobId = (started.data as { job: { id: string; created_by: string } }).job.id;
    expect((started.data as { job: { created_by: string } }).job.created_by).toBe(b.users.admin.id);
    const intoOther = await a.users.admin.client.rpc("start_job", { p_org_id: b.id, p_kind: "drift", p_name: "sneaky" });
    expect(intoOther.status).toBe(404);
    const cancelOther = await a.users.admin.client.rpc("cancel_job", { p_job_id: jobId });
    const cancelMissing = await a.users.admin.client.rpc("cancel_job", { p_job_id: randomUUID() });
    expect(cancelOther.status).toBe(404);
    expect(cancelOther.error).toEqual(cancelMissing.error);
    // Two starts with one key at once: one job.
    const key = `sec-dupe-${randomUUID()}`;
    const both = await Promise.all([1, 2].map(() => b.users.admin.client.rpc("start_job", { p_org_id: b.id, p_kind: "drift", p_name: "dupe", p_job_key: key })));
    const jobs = both.map((r) => (r.data as { job: { id: string }; created: boolean }));
    expect(jobs[0]!.job.id).toBe(jobs[1]!.job.id);
    expect(jobs.filter((j) => j.created)).toHaveLength(1);
    await sql(stack)`update public.jobs set status = 'cancelled' where job_key like 'sec-%'`;
  });
});

describe("attribution and references stay inside one organization", () => {
  it("who-did-this columns are the caller's; naming someone else is refused", async () => {
    const kase = await caseIn(a);
    const forged = await a.users.reviewer.client.from("comments").insert({ org_id: a.id, case_id: kase, body: "I am the admin", author_id: a.users.admin.id });
    expect(forged.error?.code).toBe("42501");
    const own = await a.users.reviewer.client.from("comments").insert({ org_id: a.id, case_id: kase, body: "me" }).select("author_id").single();
    expect(own.data).toEqual({ author_id: a.users.reviewer.id });
    const reassigned = await a.users.reviewer.client.from("comments").update({ author_id: a.users.admin.id }).eq("case_id", kase);
    expect(reassigned.error?.code).toBe("42501");
    const example = await a.users.curator.client.from("training_examples").insert({ org_id: a.id, query: "q", answer: "a", created_by: a.users.admin.id });
    expect(example.error?.code).toBe("42501");
    const org = await a.users.reviewer.client.from("organizations").insert({ name: "Mine", slug: `mine-${randomUUID().slice(0, 8)}`, created_by: b.users.admin.id });
    expect(org.error).not.toBeNull();
  });

  it("another organization's id in a reference is refused exactly as a missing id is", async () => {
    const theirCase = await caseIn(b);
    const [theirVersion] = await sql(stack)`
      with p as (insert into public.prompts (org_id, slug) values (${b.id}, ${`p-${randomUUID().slice(0, 8)}`}) returning id)
      insert into public.prompt_versions (org_id, prompt_id, version, template, model) select ${b.id}, p.id, 1, 't', 'offline-fast-1' from p returning id, prompt_id`;
    const [myPrompt] = await sql(stack)`insert into public.prompts (org_id, slug) values (${a.id}, ${`p-${randomUUID().slice(0, 8)}`}) returning id`;
    const curator = a.users.curator.client;
    const attempts: Array<[string, (id: string) => PromiseLike<{ error: { code?: string; message: string } | null }>, string]> = [
      ["a comment on their case", (id) => curator.from("comments").insert({ org_id: a.id, case_id: id, body: "x" }), theirCase],
      ["a training example from their case", (id) => curator.from("training_examples").insert({ org_id: a.id, query: "q", answer: "a", source_case_id: id }), theirCase],
      ["feedback about their prompt version", (id) => curator.from("feedback").insert({ org_id: a.id, rating: 1, query: "q", response: "r", prompt_version_id: id }), theirVersion!.id],
      ["a version of their prompt", (id) => curator.from("prompt_versions").insert({ org_id: a.id, prompt_id: id, version: 1, template: "t", model: "m" }), theirVersion!.prompt_id],
      ["a version whose parent is theirs", (id) => curator.from("prompt_versions").insert({ org_id: a.id, prompt_id: myPrompt!.id, version: 9, template: "t", model: "m", parent_version_id: id }), theirVersion!.id],
    ];
    for (const [what, attempt, theirId] of attempts) {
      const [other, missing] = [await attempt(theirId), await attempt(randomUUID())];
      expect(other.error, what).not.toBeNull();
      // Same code; the message names the constraint, never whether the row exists elsewhere.
      expect(other.error!.code, what).toBe(missing.error!.code);
      expect(other.error!.message.replace(/[0-9a-f-]{36}/g, "<id>"), what).toBe(missing.error!.message.replace(/[0-9a-f-]{36}/g, "<id>"));
    }
  });
});

describe("co-edited documents", () => {
  const update = (text: string) => {
    const d = new Y.Doc();
    d.getText("answer").insert(0, text);
    return Buffer.from(Y.encodeStateAsUpdate(d)).toString("base64");
  };

  it("an appended update must be a Yjs update within the size limit", async () => {
    const kase = await caseIn(a);
    const curator = a.users.curator.client;
    const docId = `case:${kase}`;
    const junk = [Buffer.from("not a yjs update at all").toString("base64"), Buffer.from([1, 1, 200, 1, 0, 4, 9]).toString("base64"), "%%%not-base64%%%"];
    // A valid update with bytes left over, and one truncated in the middle.
    const good = Buffer.from(update("fine"), "base64");
    junk.push(Buffer.concat([good, Buffer.from([7])]).toString("base64"), good.subarray(0, good.length - 3).toString("base64"));
    for (const p of junk) {
      const r = await curator.rpc("doc_append_update", { p_doc_id: docId, p_update: p });
      expect(r.status, p).toBe(400);
      expect(r.error?.code).toBe("invalid_update");
    }
    const big = await curator.rpc("doc_append_update", { p_doc_id: docId, p_update: Buffer.alloc(2_200_000, 1).toString("base64") });
    expect(big.status).toBe(413);
    const ok = await curator.rpc("doc_append_update", { p_doc_id: docId, p_update: update("We refund within 2 days.") });
    expect(ok.error).toBeNull();
    expect((await sql(stack)`select count(*)::int as n from public.doc_updates where doc_id = ${docId}`)[0]!.n).toBe(1);
  });

  it("a bad stored row is skipped and reported, and approval still reads the rest", async () => {
    const kase = await caseIn(a);
    const docId = `case:${kase}`;
    expect((await a.users.curator.client.rpc("doc_append_update", { p_doc_id: docId, p_update: update("The co-edited answer.") })).error).toBeNull();
    // A row written around the check (by the database owner): garbage.
    await sql(stack)`insert into public.doc_updates (doc_id, update) values (${docId}, ${Buffer.from("garbage")})`;
    const r = await callFunction(stack, "approve-improvement-case", { caseId: kase }, a.users.curator.accessToken);
    expect(r.status).toBe(200);
    expect(r.body.training_example.answer).toBe("The co-edited answer.");
  });
});

describe("bad bytes in function input", () => {
  it("a NUL character or invalid UTF-8 gets a 400 that names the field, not a 500", async () => {
    const feedbackId = await addFeedback(stack, a.id);
    const nul = await callFunction(stack, "reject-improvement-case", { caseId: await caseIn(a), reason: "bad\u0000reason" }, a.users.curator.accessToken);
    expect(nul.status).toBe(400);
    expect(nul.body.error.fields).toHaveProperty("reason");
    const surrogate = await callFunction(stack, "create-prompt", `{"orgId":"${a.id}","slug":"ok-slug","description":"\\ud800"}`, a.users.curator.accessToken);
    expect(surrogate.status).toBe(400);
    expect(surrogate.body.error.fields).toHaveProperty("description");
    const raw = await fetch(`${stack.functionsUrl}/create-improvement-case`, {
      method: "POST",
      headers: { apikey: stack.anonKey, authorization: `Bearer ${a.users.reviewer.accessToken}`, "content-type": "application/json" },
      body: Buffer.concat([Buffer.from(`{"feedbackId":"${feedbackId}","x":"`), Buffer.from([0xff, 0xfe]), Buffer.from(`"}`)]),
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { fields: Record<string, unknown> } }).error.fields).toHaveProperty("body");
    const ingest = await callFunction(stack, "ingest-feedback", { orgId: a.id, items: [{ externalId: "nul-1", rating: 1, query: "q\u0000", response: "r" }] }, stack.serviceRoleKey);
    expect(ingest.status).toBe(400);
    expect(ingest.body.error.fields).toHaveProperty("items.0.query");
  });
});
