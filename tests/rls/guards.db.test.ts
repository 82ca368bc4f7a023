import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { getStack, serviceClient } from "../helpers/stack.ts";
import { createPeople, createWorld, type People, type World } from "./world.ts";
import { EXPECTATIONS } from "./expectations.ts";

// Guards that a plain allow/deny matrix cannot express: append-only audit, immutable production
// prompts, the triage rules on feedback, cross-tenant isolation, the board functions.

let stack: StackInfo;
let people: People;
let world: () => Promise<World>;

beforeAll(async () => {
  stack = await getStack();
  people = await createPeople(stack);
  world = () => createWorld(stack, people);
});

const isoDay = (offsetDays = 0) => new Date(Date.now() - offsetDays * 864e5).toISOString().slice(0, 10);

describe("audit_logs is append-only (database-backed)", () => {
  it("cannot be updated or deleted by an admin, the service role or the superuser", async () => {
    const w = await world();
    const entry = await w.row("audit_logs", { org_id: w.orgA, action: "case.approved", entity_type: "improvement_case" });
    const admin = people.admin.client;
    const service = serviceClient(stack);

    const [adminUpdate, adminDelete, svcUpdate, svcDelete] = await Promise.all([
      admin.from("audit_logs").update({ action: "tampered" }).eq("id", entry.id),
      admin.from("audit_logs").delete().eq("id", entry.id),
      service.from("audit_logs").update({ action: "tampered" }).eq("id", entry.id),
      service.from("audit_logs").delete().eq("id", entry.id),
    ]);
    expect(adminUpdate.error?.code ?? "no error, but RLS must have filtered").toBeTruthy();
    expect(adminDelete.error?.code ?? "filtered").toBeTruthy();
    expect(svcUpdate.error?.message).toMatch(/append-only|permission denied/);
    expect(svcDelete.error?.message).toMatch(/append-only|permission denied/);
    await expect(w.db`update public.audit_logs set action = 'tampered' where id = ${entry.id}`).rejects.toThrow(/append-only/);
    await expect(w.db`delete from public.audit_logs where id = ${entry.id}`).rejects.toThrow(/append-only/);

    const [after] = await w.db`select action from public.audit_logs where id = ${entry.id}`;
    expect(after?.action).toBe("case.approved");
  });

  it("goes away only with its whole organization (an admin can delete the org)", async () => {
    const w = await world();
    await w.row("audit_logs", { org_id: w.orgA, action: "x", entity_type: "t" });
    const v = await w.row("prompts", { org_id: w.orgA, slug: "live-prompt" });
    await w.row("prompt_versions", { org_id: w.orgA, prompt_id: v.id, version: 1, template: "t", model: "m", status: "production" });
    await w.db`insert into public.feedback (org_id, rating, query, response) values (${w.orgA}, 1, 'q', 'r')`;
    const { error } = await people.admin.client.from("organizations").delete().eq("id", w.orgA);
    expect(error).toBeNull();
    const [left] = await w.db`select (select count(*) from public.organizations where id = ${w.orgA})::int as orgs,
                                     (select count(*) from public.audit_logs where org_id = ${w.orgA})::int as audit`;
    expect(left).toEqual({ orgs: 0, audit: 0 });
  });
});

describe("production prompt versions are immutable (database-backed)", () => {
  it("nobody edits, deletes or retires one directly, not even the service role: only promotion and rollback move it", async () => {
    const w = await world();
    const p = await w.row("prompts", { org_id: w.orgA, slug: "suggest-answer" });
    const prod = await w.row("prompt_versions", {
      org_id: w.orgA, prompt_id: p.id, version: 1, template: "Answer {{query}}", system_template: "TASK: suggest-answer", model: "offline-strong-1", status: "production",
    });
    const service = serviceClient(stack);
    const results = await Promise.all([
      people.admin.client.from("prompt_versions").update({ template: "hacked" }).eq("id", prod.id),
      people.curator.client.from("prompt_versions").update({ model: "claude-sonnet-4-5" }).eq("id", prod.id),
      people.admin.client.from("prompt_versions").delete().eq("id", prod.id),
      service.from("prompt_versions").update({ template: "hacked by service" }).eq("id", prod.id),
      service.from("prompt_versions").update({ status: "retired", params: { temperature: 2 } }).eq("id", prod.id),
      service.from("prompt_versions").update({ status: "retired" }).eq("id", prod.id),
    ]);
    for (const r of results) expect(r.error?.message).toMatch(/create a new version|cannot be deleted|kept for rollback|only through promotion/);
    await expect(w.db`update public.prompt_versions set template = 'x' where id = ${prod.id}`).rejects.toThrow(/create a new version/);

    const [still] = await w.db`select template, model, status from public.prompt_versions where id = ${prod.id}`;
    expect(still).toEqual({ template: "Answer {{query}}", model: "offline-strong-1", status: "production" });

    // A curator cannot promote a draft either (the column is not theirs to write), nor insert one as production.
    const draft = await w.row("prompt_versions", { org_id: w.orgA, prompt_id: p.id, version: 2, template: "v2", model: "m" });
    const [promote, insertProd] = await Promise.all([
      people.curator.client.from("prompt_versions").update({ status: "production" }).eq("id", draft.id),
      people.admin.client.from("prompt_versions").insert({ org_id: w.orgA, prompt_id: p.id, version: 3, template: "v3", model: "m", status: "production" }),
    ]);
    expect(promote.error?.code).toBe("42501");
    expect(insertProd.error?.code).toBe("42501");
    const [after] = await w.db`select status from public.prompt_versions where id = ${draft.id}`;
    expect(after!.status).toBe("draft");
  });
});

describe("feedback triage guard (database-backed)", () => {
  it("a reviewer claims for themselves, never for others, and cannot touch the content", async () => {
    const w = await world();
    const [f1, f2, f3, f4] = await Promise.all([1, 2, 3, 4].map(() => w.row("feedback", { org_id: w.orgA, rating: 2, query: "original", response: "r", comment: "c" })));
    const rev = people.reviewer.client;

    const claim = await rev.from("feedback").update({ claimed_by: people.reviewer.id, status: "triaged", labels: ["billing"] }).eq("id", f1!.id).select("claimed_by, claimed_at, status").single();
    expect(claim.error).toBeNull();
    expect(claim.data).toMatchObject({ claimed_by: people.reviewer.id, status: "triaged" });
    expect(claim.data!.claimed_at).toBeTruthy();

    const [forOther, query, rating, comment, caseOpen, manager, ...untouchable] = await Promise.all([
      rev.from("feedback").update({ claimed_by: people.curator.id }).eq("id", f2!.id),
      rev.from("feedback").update({ query: "rewritten" }).eq("id", f2!.id),
      rev.from("feedback").update({ rating: 5 }).eq("id", f3!.id),
      rev.from("feedback").update({ comment: "softened" }).eq("id", f3!.id),
      rev.from("feedback").update({ status: "case_open" }).eq("id", f4!.id),
      people.manager.client.from("feedback").update({ status: "dismissed" }).eq("id", f4!.id).select("id"),
      // Fields triage may not touch: what the customer's app sent, and what the database keeps.
      rev.from("feedback").update({ trace_id: "tr_forged" }).eq("id", f2!.id),
      rev.from("feedback").update({ external_id: "conv_forged" }).eq("id", f2!.id),
      rev.from("feedback").update({ created_at: "2020-01-01T00:00:00Z" }).eq("id", f2!.id),
      rev.from("feedback").update({ updated_at: "2020-01-01T00:00:00Z" }).eq("id", f2!.id),
      rev.from("feedback").update({ claimed_at: "2020-01-01T00:00:00Z" }).eq("id", f2!.id),
      rev.from("feedback").update({ case_id: null, org_id: w.orgB }).eq("id", f2!.id),
    ]);
    expect(forOther.error?.message).toMatch(/only claim feedback for yourself/);
    for (const r of [query, rating, comment, ...untouchable]) expect(r.error?.code).toBe("42501");
    expect(caseOpen.error?.message).toMatch(/create-improvement-case/);
    expect(manager.data ?? []).toEqual([]);

    const rows = await w.db`select id, query, rating, comment, claimed_by, status, trace_id, external_id, org_id from public.feedback where id in ${w.db([f2!.id, f3!.id, f4!.id])} order by id`;
    for (const r of rows) expect(r).toMatchObject({ query: "original", rating: 2, comment: "c", claimed_by: null, status: "new", trace_id: null, external_id: null, org_id: w.orgA });

    // Releasing one's own claim is fine.
    const release = await rev.from("feedback").update({ claimed_by: null }).eq("id", f1!.id).select("claimed_by, claimed_at").single();
    expect(release.data).toEqual({ claimed_by: null, claimed_at: null });
  });

  it("feedback added by hand cannot arrive pre-linked, case_open or claimed for someone else", async () => {
    const w = await world();
    const rev = people.reviewer.client;
    const base = { org_id: w.orgA, rating: 1, query: "q", response: "r" };
    const [caseOpen, claimedForOther, ok] = await Promise.all([
      rev.from("feedback").insert({ ...base, status: "case_open" }),
      rev.from("feedback").insert({ ...base, claimed_by: people.curator.id }),
      rev.from("feedback").insert({ ...base, claimed_by: people.reviewer.id, labels: ["manual"] }),
    ]);
    expect(caseOpen.error?.message).toMatch(/starts as new or triaged/);
    expect(claimedForOther.error?.message).toMatch(/only claim feedback for yourself/);
    expect(ok.error).toBeNull();
  });
});

describe("tenant isolation (database-backed)", () => {
  it("a member of org A never sees org B's rows, in any org-scoped table", async () => {
    const w = await world();
    // Org B gets a row in the main tables (and rollups through their triggers).
    const fb = await w.row("feedback", { org_id: w.orgB, rating: 1, query: "B secret", response: "r", created_at: new Date().toISOString() });
    const c = await w.row("improvement_cases", { org_id: w.orgB, feedback_id: fb.id, query: "B secret", bad_response: "r" });
    const p = await w.row("prompts", { org_id: w.orgB, slug: "b-prompt" });
    const j = await w.row("jobs", { org_id: w.orgB, kind: "ab_eval", name: "B job" });
    await Promise.all([
      w.row("comments", { org_id: w.orgB, case_id: c.id, author_id: people.otherAdmin.id, body: "B" }),
      w.row("training_examples", { org_id: w.orgB, query: "B", answer: "B" }),
      w.row("prompt_versions", { org_id: w.orgB, prompt_id: p.id, version: 1, template: "B", model: "m" }),
      w.row("job_events", { job_id: j.id, org_id: w.orgB, step: "s" }),
      w.row("models", { org_id: w.orgB, name: "B model", base_model: "m" }),
      w.row("invitations", { org_id: w.orgB, email: "b@b.example.com", role: "reviewer" }),
      w.row("ai_requests", { org_id: w.orgB, function_name: "f", model: "m", status: "ok" }),
    ]);

    const orgScoped = await w.db`
      select c.table_name from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema = 'public' and c.column_name = 'org_id' order by 1`;
    const tables = orgScoped.map((r) => r.table_name as string).filter((t) => EXPECTATIONS[t]);
    expect(tables.length).toBeGreaterThan(10);

    const seenByB = await Promise.all(
      (["admin", "curator", "reviewer", "manager"] as const).flatMap((role) =>
        tables.map(async (t) => {
          const { data } = await people[role].client.from(t).select("org_id").eq("org_id", w.orgB);
          return (data ?? []).length ? `${role} sees ${data!.length} row(s) of org B in ${t}` : null;
        }),
      ),
    );
    expect(seenByB.filter(Boolean)).toEqual([]);

    // And the organization itself, its members and their profiles stay invisible.
    const [orgs, members, profile] = await Promise.all([
      people.admin.client.from("organizations").select("id").eq("id", w.orgB),
      people.admin.client.from("memberships").select("user_id").eq("org_id", w.orgB),
      people.admin.client.from("profiles").select("id").eq("id", people.otherAdmin.id),
    ]);
    expect([orgs.data, members.data, profile.data]).toEqual([[], [], []]);
  });

  it("a comment cannot be moved into another organization by its author", async () => {
    const w = await world();
    const fa = await w.row("feedback", { org_id: w.orgA, rating: 1, query: "q", response: "r" });
    const ca = await w.row("improvement_cases", { org_id: w.orgA, feedback_id: fa.id, query: "q", bad_response: "r" });
    const fb = await w.row("feedback", { org_id: w.orgB, rating: 1, query: "q", response: "r" });
    const cb = await w.row("improvement_cases", { org_id: w.orgB, feedback_id: fb.id, query: "q", bad_response: "r" });
    const mine = await w.row("comments", { org_id: w.orgA, case_id: ca.id, author_id: people.reviewer.id, body: "mine" });
    await people.reviewer.client.from("comments").update({ org_id: w.orgB, case_id: cb.id }).eq("id", mine.id);
    const [row] = await w.db`select org_id from public.comments where id = ${mine.id}`;
    expect(row!.org_id).toBe(w.orgA);
  });
});

describe("board functions (database-backed)", () => {
  it("admins and managers read their boards; the rollups agree with the raw rows", async () => {
    const w = await world();
    await w.db`
      insert into public.ai_requests (org_id, function_name, model, input_tokens, output_tokens, cost_usd, latency_ms, status, created_at)
      select ${w.orgA}, case when g % 2 = 0 then 'create-improvement-case' else 'ab-eval:judge' end,
             case when g % 3 = 0 then 'claude-haiku-4-5' else 'offline-strong-1' end,
             500 + g, 100 + g, case when g % 3 = 0 then 0.001 else 0 end, 50 + (g * 37) % 2000,
             case when g % 25 = 0 then 'error' else 'ok' end, now() - (g % 5) * interval '1 day'
      from generate_series(1, 500) g`;
    await w.db`
      insert into public.feedback (org_id, rating, query, response, created_at)
      select ${w.orgA}, 1 + g % 5, 'q', 'r', now() - (g % 3) * interval '1 day' from generate_series(1, 50) g`;

    const args = { p_org: w.orgA, p_from: isoDay(6), p_to: isoDay(0) };
    const [mgr, admin, reviewer, curator, other, anon] = await Promise.all([
      people.manager.client.rpc("board_cost", args),
      people.admin.client.rpc("board_quality", args),
      people.reviewer.client.rpc("board_cost", args),
      people.curator.client.rpc("board_quality", args),
      people.otherAdmin.client.rpc("board_cost", args),
      people.anon.rpc("board_cost", args),
    ]);
    expect(mgr.error).toBeNull();
    for (const denied of [reviewer, curator, other, anon]) expect(denied.error, JSON.stringify(denied.data)).toBeTruthy();

    const totals = (mgr.data as Array<Record<string, any>>).filter((r) => r.day === null);
    const raw = await w.db`
      select model, function_name, count(*)::int as requests, count(*) filter (where status = 'error')::int as errors,
             sum(input_tokens)::int as input_tokens, percentile_cont(0.5) within group (order by latency_ms) as p50,
             percentile_cont(0.95) within group (order by latency_ms) as p95
      from public.ai_requests where org_id = ${w.orgA} group by 1, 2`;
    expect(totals).toHaveLength(raw.length);
    for (const r of raw) {
      const t = totals.find((x) => x.model === r.model && x.function_name === r.function_name)!;
      expect(t).toMatchObject({ requests: r.requests, errors: r.errors, input_tokens: r.input_tokens });
      // histogram buckets are ≤ 19% wide
      expect(Math.abs(t.latency_p50_ms - r.p50) / r.p50).toBeLessThan(0.2);
      expect(Math.abs(t.latency_p95_ms - r.p95) / r.p95).toBeLessThan(0.2);
    }

    expect(admin.error).toBeNull();
    const q = admin.data as { days: Array<{ feedback: number }>; totals: { feedback: number; avg_rating: number } };
    expect(q.days).toHaveLength(7);
    expect(q.totals.feedback).toBe(50);
    expect(q.totals.avg_rating).toBeCloseTo(3, 5);
  });

  it("the rollups refuse direct writes, even from the service role", async () => {
    const w = await world();
    const service = serviceClient(stack);
    const [ins, upd] = await Promise.all([
      service.from("ai_usage_daily").insert({ org_id: w.orgA, day: isoDay(0), model: "m", function_name: "forged", requests: 1 }),
      service.from("feedback_daily").insert({ org_id: w.orgA, day: isoDay(0), rating_5: 10 }),
    ]);
    expect(ins.error).toBeTruthy();
    expect(upd.error).toBeTruthy();
  });
});

