import { beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { StackInfo } from "@review/local-supabase";
import { addFeedback, callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { createUser, getStack, sql } from "../helpers/stack.ts";

let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "fn"), createOrg(stack, "fnother")]);
});

describe("create-improvement-case", () => {
  it("asks the LLM, opens a pending case linked from the feedback, and returns the same case on a second call", async () => {
    const feedbackId = await addFeedback(stack, org.id);
    const first = await callFunction(stack, "create-improvement-case", { feedbackId }, org.users.reviewer.accessToken);
    expect(first.status).toBe(201);
    expect(first.body.created).toBe(true);
    expect(first.body.case).toMatchObject({ feedback_id: feedbackId, status: "pending", org_id: org.id });
    expect(first.body.case.suggested_response.length).toBeGreaterThan(20);
    expect(first.body.case.suggestion_model).toMatch(/offline/);
    expect(Array.isArray(first.body.case.flags)).toBe(true);

    const second = await callFunction(stack, "create-improvement-case", { feedbackId }, org.users.curator.accessToken);
    expect(second.status).toBe(200);
    expect(second.body.case.id).toBe(first.body.case.id);

    const fb = await org.users.reviewer.client.from("feedback").select("case_id, status").eq("id", feedbackId).single();
    expect(fb.data).toEqual({ case_id: first.body.case.id, status: "case_open" });
    const [log] = await sql(stack)`select count(*)::int as n, min(status) as status from public.ai_requests where org_id = ${org.id} and function_name = 'create-improvement-case'`;
    expect(log).toEqual({ n: 1, status: "ok" });
  });

  it("opens exactly one case when two reviewers click at once", async () => {
    const feedbackId = await addFeedback(stack, org.id, { query: "Where is my parcel?", response: "No idea." });
    const [a, b] = await Promise.all([
      callFunction(stack, "create-improvement-case", { feedbackId }, org.users.reviewer.accessToken),
      callFunction(stack, "create-improvement-case", { feedbackId }, org.users.admin.accessToken),
    ]);
    expect(a.body.case.id).toBe(b.body.case.id);
    const [n] = await sql(stack)`select count(*)::int as n from public.improvement_cases where feedback_id = ${feedbackId}`;
    expect(n!.n).toBe(1);
  });

  it("refuses managers, strangers, bad input, unknown rows and missing tokens", async () => {
    const feedbackId = await addFeedback(stack, org.id);
    const manager = await callFunction(stack, "create-improvement-case", { feedbackId }, org.users.manager.accessToken);
    expect(manager.status).toBe(403);
    expect(manager.body.error.code).toBe("forbidden");

    const stranger = await callFunction(stack, "create-improvement-case", { feedbackId }, other.users.admin.accessToken);
    expect(stranger.status).toBe(404);

    const bad = await callFunction(stack, "create-improvement-case", { feedbackId: "not-a-uuid" }, org.users.reviewer.accessToken);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.feedbackId).toBeDefined();

    const notJson = await callFunction(stack, "create-improvement-case", "{oops", org.users.reviewer.accessToken);
    expect(notJson.status).toBe(400);

    const missing = await callFunction(stack, "create-improvement-case", { feedbackId: "00000000-0000-4000-8000-000000000000" }, org.users.reviewer.accessToken);
    expect(missing.status).toBe(404);

    const noToken = await callFunction(stack, "create-improvement-case", { feedbackId });
    expect(noToken.status).toBe(401);
    const badToken = await callFunction(stack, "create-improvement-case", { feedbackId }, "x.y.z");
    expect(badToken.status).toBe(401);
    const [n] = await sql(stack)`select count(*)::int as n from public.improvement_cases where feedback_id = ${feedbackId}`;
    expect(n!.n).toBe(0);
  });
});

describe("approve and reject", () => {
  async function openCase(query = "Can I change my delivery address?") {
    const feedbackId = await addFeedback(stack, org.id, { query, labels: ["shipping"] });
    const r = await callFunction(stack, "create-improvement-case", { feedbackId }, org.users.reviewer.accessToken);
    return r.body.case.id as string;
  }

  it("lets a curator approve once, writing a training example from the final text", async () => {
    const caseId = await openCase();
    const edited = "Yes. Open Orders, choose the order, then Change address before it ships.";
    // Curators edit the answer's document (the case row's text copy is the worker's).
    const doc = new Y.Doc();
    doc.getText("answer").insert(0, edited);
    const upd = await org.users.curator.client.rpc("doc_append_update", { p_doc_id: `case:${caseId}`, p_update: Buffer.from(Y.encodeStateAsUpdate(doc)).toString("base64") });
    expect(upd.error).toBeNull();

    const reviewer = await callFunction(stack, "approve-improvement-case", { caseId }, org.users.reviewer.accessToken);
    expect(reviewer.status).toBe(403);

    const ok = await callFunction(stack, "approve-improvement-case", { caseId, tags: ["faq"] }, org.users.curator.accessToken);
    expect(ok.status).toBe(200);
    expect(ok.body.case).toMatchObject({ status: "approved", approved_by: org.users.curator.id });
    expect(ok.body.training_example).toMatchObject({ answer: edited, source_case_id: caseId });
    expect(ok.body.training_example.tags.sort()).toEqual(["faq", "shipping"]);

    const twice = await callFunction(stack, "approve-improvement-case", { caseId }, org.users.admin.accessToken);
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toMatch(/already approved/);
    const reject = await callFunction(stack, "reject-improvement-case", { caseId, reason: "changed my mind" }, org.users.admin.accessToken);
    expect(reject.status).toBe(409);

    const audit = await sql(stack)`select action, actor_id from public.audit_logs where entity_id = ${caseId} order by id`;
    expect(audit.map((a) => a.action)).toEqual(["case.opened", "case.approved"]);
    expect(audit[1]!.actor_id).toBe(org.users.curator.id);
  });

  it("approves the text the curators co-edited (the case room's Yjs document), and keeps reviewers out of it", async () => {
    const caseId = await openCase("What are your opening hours?");
    const doc = new Y.Doc();
    doc.getText("answer").insert(0, "We are open 9:00–17:00 CET, Monday to Friday.");
    const update = Buffer.from(Y.encodeStateAsUpdate(doc)).toString("base64");
    const byReviewer = await org.users.reviewer.client.rpc("doc_append_update", { p_doc_id: `case:${caseId}`, p_update: update });
    expect(byReviewer.error?.code).toBe("42501");
    const byStranger = await other.users.admin.client.rpc("doc_load", { p_doc_id: `case:${caseId}` });
    expect(byStranger.error?.code).toBe("42501");
    const byCurator = await org.users.curator.client.rpc("doc_append_update", { p_doc_id: `case:${caseId}`, p_update: update });
    expect(byCurator.error).toBeNull();
    const readable = await org.users.reviewer.client.rpc("doc_load", { p_doc_id: `case:${caseId}` });
    expect(readable.error).toBeNull();

    const ok = await callFunction(stack, "approve-improvement-case", { caseId }, org.users.admin.accessToken);
    expect(ok.status).toBe(200);
    expect(ok.body.training_example.answer).toBe("We are open 9:00–17:00 CET, Monday to Friday.");
    const late = await org.users.curator.client.rpc("doc_append_update", { p_doc_id: `case:${caseId}`, p_update: update });
    expect(late.error?.code).toBe("42501");
  });

  it("rejects with a reason and keeps it", async () => {
    const caseId = await openCase("Do you ship to Norway?");
    const noReason = await callFunction(stack, "reject-improvement-case", { caseId }, org.users.curator.accessToken);
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields.reason).toBeDefined();
    const ok = await callFunction(stack, "reject-improvement-case", { caseId, reason: "The original answer was right" }, org.users.curator.accessToken);
    expect(ok.status).toBe(200);
    expect(ok.body.case).toMatchObject({ status: "rejected", reject_reason: "The original answer was right" });
    expect(ok.body.training_example).toBeNull();
  });

  it("does not let a curator decide a case by editing the row directly", async () => {
    const caseId = await openCase("How long do refunds take?");
    const sneaky = await org.users.curator.client.from("improvement_cases").update({ status: "approved" }).eq("id", caseId);
    expect(sneaky.error?.code).toBe("42501");
  });
});

describe("regenerate-suggestion", () => {
  it("streams a new suggestion as server-sent events for curators only", async () => {
    const feedbackId = await addFeedback(stack, org.id, { query: "My invoice shows the wrong VAT number" });
    const c = await callFunction(stack, "create-improvement-case", { feedbackId }, org.users.reviewer.accessToken);
    const caseId = c.body.case.id;
    const res = await fetch(`${stack.functionsUrl}/regenerate-suggestion`, {
      method: "POST",
      headers: { apikey: stack.anonKey, authorization: `Bearer ${org.users.curator.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ caseId, instructions: "Mention the billing settings page" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const text = await res.text();
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1], data: JSON.parse(m[2]!) }));
    expect(events.filter((e) => e.event === "delta").length).toBeGreaterThan(1);
    const done = events.find((e) => e.event === "done")!;
    expect(done.data.suggestion).toBe(events.filter((e) => e.event === "delta").map((e) => e.data.text).join(""));

    const reviewer = await callFunction(stack, "regenerate-suggestion", { caseId }, org.users.reviewer.accessToken);
    expect(reviewer.status).toBe(403);
  });
});

describe("ingest-feedback", () => {
  it("accepts batches with an org ingest key, idempotently", async () => {
    const key = await org.users.admin.client.rpc("create_ingest_key", { p_org: org.id, p_name: "production app" });
    expect(key.error).toBeNull();
    const notAdmin = await org.users.curator.client.rpc("create_ingest_key", { p_org: org.id, p_name: "nope" });
    expect(notAdmin.error?.code).toBe("42501");

    const items = [1, 2, 3].map((i) => ({ externalId: `evt-${i}`, rating: i, query: `q${i}`, response: `r${i}` }));
    const first = await callFunction(stack, "ingest-feedback", { items }, undefined, { "x-ingest-key": key.data });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ inserted: 3, duplicates: 0 });
    const again = await callFunction(stack, "ingest-feedback", { items: [...items, { externalId: "evt-4", rating: 5, query: "q", response: "r" }] }, undefined, { "x-ingest-key": key.data });
    expect(again.body).toMatchObject({ inserted: 1, duplicates: 3 });

    const wrongKey = await callFunction(stack, "ingest-feedback", { items }, undefined, { "x-ingest-key": "rwk_nope" });
    expect(wrongKey.status).toBe(401);
    const badItem = await callFunction(stack, "ingest-feedback", { items: [{ externalId: "x", rating: 7, query: "q", response: "r" }] }, undefined, { "x-ingest-key": key.data });
    expect(badItem.status).toBe(400);
    expect(Object.keys(badItem.body.error.fields)).toContain("items.0.rating");
    const [n] = await sql(stack)`select count(*)::int as n from public.feedback where org_id = ${org.id} and external_id like 'evt-%'`;
    expect(n!.n).toBe(4);
  });
});

describe("manage-members", () => {
  it("invites, changes roles, removes, and never removes the last admin", async () => {
    const team = await createOrg(stack, "members");
    const newcomer = await createUser(stack, "newcomer");
    // Inviting says the same whether the address has an account or not: nobody learns who uses the product.
    const added = await callFunction(stack, "manage-members", { action: "invite", orgId: team.id, email: newcomer.email.toUpperCase(), role: "reviewer" }, team.users.admin.accessToken);
    expect(added.status).toBe(201);
    expect(added.body.status).toBe("invited");
    const invited = await callFunction(stack, "manage-members", { action: "invite", orgId: team.id, email: "later@test.example.com", role: "curator" }, team.users.admin.accessToken);
    expect(invited.body).toEqual({ status: "invited", email: "later@test.example.com" });

    // The invitee (signed in with that confirmed address) sees the invitation and accepts it.
    const mine = await newcomer.client.rpc("my_invitations");
    expect(mine.data).toEqual([expect.objectContaining({ org_id: team.id, role: "reviewer" })]);
    const accepted = await newcomer.client.rpc("accept_invitation", { p_invitation_id: (mine.data as Array<{ id: string }>)[0]!.id });
    expect(accepted.error).toBeNull();
    expect(accepted.data).toMatchObject({ org_id: team.id, user_id: newcomer.id, role: "reviewer" });

    const byCurator = await callFunction(stack, "manage-members", { action: "change_role", orgId: team.id, userId: newcomer.id, role: "admin" }, team.users.curator.accessToken);
    expect(byCurator.status).toBe(403);

    const promoted = await callFunction(stack, "manage-members", { action: "change_role", orgId: team.id, userId: newcomer.id, role: "curator" }, team.users.admin.accessToken);
    expect(promoted.body.member).toMatchObject({ role: "curator" });

    const lastAdmin = await callFunction(stack, "manage-members", { action: "remove", orgId: team.id, userId: team.users.admin.id }, team.users.admin.accessToken);
    expect(lastAdmin.status).toBe(409);
    expect(lastAdmin.body.error.code).toBe("last_admin");
    const demote = await callFunction(stack, "manage-members", { action: "change_role", orgId: team.id, userId: team.users.admin.id, role: "reviewer" }, team.users.admin.accessToken);
    expect(demote.status).toBe(409);

    const removed = await callFunction(stack, "manage-members", { action: "remove", orgId: team.id, userId: newcomer.id }, team.users.admin.accessToken);
    expect(removed.body.status).toBe("removed");
    const audit = await sql(stack)`select action from public.audit_logs where org_id = ${team.id} and entity_id = ${newcomer.id} order by id`;
    expect(audit.map((a) => a.action)).toEqual(["member.added", "member.role_changed", "member.removed"]);
  });
});
