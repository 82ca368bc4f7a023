import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, serviceClient, sql } from "../helpers/stack.ts";
import { newPrompt, promoteDirect, saveVersion, statuses } from "./helpers.ts";

// Prompt versions: creation and numbering, variable checks, production immutability, the
// one-production invariant under concurrent promotion, rollback, and per-version metrics.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "pv"), createOrg(stack, "pvother")]);
});

describe("create-prompt", () => {
  it("lets curators and admins create prompts and refuses everyone else", async () => {
    const p = await newPrompt(stack, org);
    expect(p.slug).toMatch(/^p-/);
    const admin = await callFunction(stack, "create-prompt", { orgId: org.id, slug: `${p.slug}-a` }, org.users.admin.accessToken);
    expect(admin.status).toBe(201);

    for (const role of ["reviewer", "manager"] as const) {
      const r = await callFunction(stack, "create-prompt", { orgId: org.id, slug: `${p.slug}-${role}` }, org.users[role].accessToken);
      expect(r.status, role).toBe(403);
    }
    const stranger = await callFunction(stack, "create-prompt", { orgId: org.id, slug: `${p.slug}-x` }, other.users.admin.accessToken);
    expect(stranger.status).toBe(404);
    const dup = await callFunction(stack, "create-prompt", { orgId: org.id, slug: p.slug }, org.users.curator.accessToken);
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("slug_taken");
    const bad = await callFunction(stack, "create-prompt", { orgId: org.id, slug: "Not A Slug" }, org.users.curator.accessToken);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.slug).toBeDefined();
    expect((await callFunction(stack, "create-prompt", { orgId: org.id, slug: "abc" })).status).toBe(401);
  });
});

describe("save-prompt-version", () => {
  it("numbers versions max+1, records the author, and refuses reviewers, managers and other orgs", async () => {
    const p = await newPrompt(stack, org);
    const v1 = await saveVersion(stack, org, p.id, "Answer {{query}} briefly.", { status: "draft" });
    const v2 = await saveVersion(stack, org, p.id, "Answer {{query}} in detail.", { token: org.users.admin.accessToken });
    expect([v1.version, v1.status, v2.version, v2.status]).toEqual([1, "draft", 2, "candidate"]);
    const [row] = await sql(stack)`select author_id, jsonb_typeof(variables) as vars, variables from public.prompt_versions where id = ${v2.id}`;
    expect(row).toEqual({ author_id: org.users.admin.id, vars: "array", variables: [{ name: "query", type: "string" }] });

    const body = { promptId: p.id, template: "Hi {{name}}", variables: [{ name: "name", type: "string" }], model: "offline-fast-1" };
    for (const role of ["reviewer", "manager"] as const) {
      const r = await callFunction(stack, "save-prompt-version", body, org.users[role].accessToken);
      expect(r.status, role).toBe(403);
    }
    expect((await callFunction(stack, "save-prompt-version", body, other.users.admin.accessToken)).status).toBe(404);
    // Production is reached through promotion only.
    const prod = await callFunction(stack, "save-prompt-version", { ...body, status: "production" }, org.users.curator.accessToken);
    expect(prod.status).toBe(400);
    expect(prod.body.error.fields.status).toBeDefined();
    // A parent must be a version of the same prompt.
    const q = await newPrompt(stack, org);
    const foreign = await saveVersion(stack, org, q.id, "x {{query}}");
    const parent = await callFunction(stack, "save-prompt-version", { ...body, parentVersionId: foreign.id }, org.users.curator.accessToken);
    expect(parent.status).toBe(400);
    expect(parent.body.error.code).toBe("invalid_parent");
    const [n] = await sql(stack)`select count(*)::int as n from public.prompt_versions where prompt_id = ${p.id}`;
    expect(n!.n).toBe(2);
  });

  it("refuses undeclared and unused variables with field errors naming them", async () => {
    const p = await newPrompt(stack, org);
    const r = await callFunction(
      stack,
      "save-prompt-version",
      {
        promptId: p.id,
        systemTemplate: "You help {{customer_name}}.",
        template: "Question: {{query}}",
        variables: [
          { name: "query", type: "string" },
          { name: "tone", type: "string" },
        ],
        model: "offline-fast-1",
      },
      org.users.curator.accessToken,
    );
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_input");
    expect(r.body.error.fields["variables.undeclared"]).toEqual(["customer_name"]);
    expect(r.body.error.fields["variables.unused"]).toEqual(["tone"]);
    expect(r.body.error.message).toMatch(/customer_name.*not declared/);
    const [n] = await sql(stack)`select count(*)::int as n from public.prompt_versions where prompt_id = ${p.id}`;
    expect(n!.n).toBe(0);
  });

  it("gives concurrent saves consecutive numbers", async () => {
    const p = await newPrompt(stack, org);
    const saved = await Promise.all(Array.from({ length: 6 }, (_, i) => saveVersion(stack, org, p.id, `Variant ${i}: {{query}}`)));
    expect(saved.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("production immutability", () => {
  it("refuses edits and deletes of a production version, for users and the service role alike", async () => {
    const p = await newPrompt(stack, org);
    const v = await saveVersion(stack, org, p.id, "Original {{query}}");
    // A curator cannot put a version live by editing its status.
    const self = await org.users.curator.client.from("prompt_versions").update({ status: "production" }).eq("id", v.id).select();
    expect(self.error?.code).toBe("42501");
    await promoteDirect(stack, v.id);

    const edit = await org.users.admin.client.from("prompt_versions").update({ template: "Changed {{query}}" }).eq("id", v.id).select();
    expect(edit.error?.message).toMatch(/create a new version/);
    const service = await serviceClient(stack).from("prompt_versions").update({ template: "Changed {{query}}" }).eq("id", v.id).select();
    expect(service.error?.message).toMatch(/create a new version/);
    const retireByUser = await org.users.admin.client.from("prompt_versions").update({ status: "retired" }).eq("id", v.id).select();
    expect(retireByUser.error?.code).toBe("42501");
    const retireByService = await serviceClient(stack).from("prompt_versions").update({ status: "retired" }).eq("id", v.id).select();
    expect(retireByService.error?.message).toMatch(/only through promotion/);
    const del = await org.users.admin.client.from("prompt_versions").delete().eq("id", v.id).select();
    expect(del.error?.message).toMatch(/cannot be deleted/);
    const [row] = await sql(stack)`select template, status::text from public.prompt_versions where id = ${v.id}`;
    expect(row).toEqual({ template: "Original {{query}}", status: "production" });
  });
});

describe("one production version per prompt", () => {
  it("leaves exactly one production version when two candidates are promoted at once", async () => {
    for (const withProduction of [false, true, true]) {
      const p = await newPrompt(stack, org);
      if (withProduction) await promoteDirect(stack, (await saveVersion(stack, org, p.id, "Base {{query}}")).id);
      const [a, b] = await Promise.all([saveVersion(stack, org, p.id, "A {{query}}"), saveVersion(stack, org, p.id, "B {{query}}")]);
      const results = await Promise.all([a, b].map((v) => org.users.admin.client.rpc("override_prompt_version", { p_version_id: v.id, p_reason: "concurrency test" })));
      const rows = await sql(stack)`select id, status::text from public.prompt_versions where prompt_id = ${p.id}`;
      const production = rows.filter((r) => r.status === "production");
      expect(production).toHaveLength(1);
      // The loser was refused (it lost the race to a version it was never compared with) or retired.
      const loser = [a, b].find((v) => v.id !== production[0]!.id)!;
      const loserResult = results[[a, b].indexOf(loser)]!;
      const loserStatus = rows.find((r) => r.id === loser.id)!.status;
      expect(loserResult.error !== null || loserStatus === "retired").toBe(true);
      if (withProduction) expect(rows.filter((r) => r.status === "retired").length).toBeGreaterThanOrEqual(1);
    }
  });
});

describe("rollback-prompt", () => {
  it("restores the exact template of a chosen earlier version, audited, admins only", async () => {
    const p = await newPrompt(stack, org);
    const original = "You are precise.\n\nAnswer {{query}} in three numbered steps — no more.";
    const v1 = await saveVersion(stack, org, p.id, original, { systemTemplate: "TASK: none\nKeep {{query}} in mind." });
    const v2 = await saveVersion(stack, org, p.id, "Answer {{query}} casually.");
    const v3 = await saveVersion(stack, org, p.id, "Answer {{query}} tersely.");
    const draft = await saveVersion(stack, org, p.id, "Draft {{query}}", { status: "draft" });
    for (const v of [v1, v2, v3]) await promoteDirect(stack, v.id);
    expect(await statuses(stack, p.id)).toEqual({ 1: "retired", 2: "retired", 3: "production", 4: "draft" });

    for (const role of ["curator", "reviewer", "manager"] as const) {
      const r = await callFunction(stack, "rollback-prompt", { promptId: p.id, versionId: v1.id }, org.users[role].accessToken);
      expect(r.status, role).toBe(403);
    }
    expect((await callFunction(stack, "rollback-prompt", { promptId: p.id, versionId: v1.id }, other.users.admin.accessToken)).status).toBe(404);
    const toDraft = await callFunction(stack, "rollback-prompt", { promptId: p.id, versionId: draft.id }, org.users.admin.accessToken);
    expect(toDraft.status).toBe(409);
    expect(toDraft.body.error.code).toBe("never_in_production");
    const toCurrent = await callFunction(stack, "rollback-prompt", { promptId: p.id, versionId: v3.id }, org.users.admin.accessToken);
    expect(toCurrent.status).toBe(409);
    expect(toCurrent.body.error.code).toBe("already_production");

    const r = await callFunction(stack, "rollback-prompt", { promptId: p.id, versionId: v1.id, reason: "v3 too terse" }, org.users.admin.accessToken);
    expect(r.status).toBe(200);
    expect(r.body.version).toMatchObject({ id: v1.id, status: "production", template: original });
    expect(r.body.previous).toEqual({ id: v3.id, version: 3 });
    expect(await statuses(stack, p.id)).toEqual({ 1: "production", 2: "retired", 3: "retired", 4: "draft" });
    const [row] = await sql(stack)`select template, system_template from public.prompt_versions where id = ${v1.id}`;
    expect(row).toEqual({ template: original, system_template: "TASK: none\nKeep {{query}} in mind." });
    const audit = await sql(stack)`select actor_id, details from public.audit_logs where org_id = ${org.id} and action = 'prompt.rollback' and entity_id = ${v1.id}`;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_id).toBe(org.users.admin.id);
    expect(audit[0]!.details).toMatchObject({ kind: "rollback", previous_version_id: v3.id, version: 1, reason: "v3 too terse" });
  });

  it("without a version goes back to the one that was live before", async () => {
    const p = await newPrompt(stack, org);
    const v1 = await saveVersion(stack, org, p.id, "One {{query}}");
    const v2 = await saveVersion(stack, org, p.id, "Two {{query}}");
    const none = await callFunction(stack, "rollback-prompt", { promptId: p.id }, org.users.admin.accessToken);
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe("nothing_to_roll_back");
    await promoteDirect(stack, v1.id);
    await promoteDirect(stack, v2.id);
    const r = await callFunction(stack, "rollback-prompt", { promptId: p.id }, org.users.admin.accessToken);
    expect(r.status).toBe(200);
    expect(r.body.version).toMatchObject({ id: v1.id, template: "One {{query}}" });
    expect(await statuses(stack, p.id)).toEqual({ 1: "production", 2: "retired" });
  });
});

describe("prompt_version_metrics", () => {
  it("reports per-version traffic, cost, latency and ratings, with cost visible to admins and managers only", async () => {
    const p = await newPrompt(stack, org);
    const v1 = await saveVersion(stack, org, p.id, "M1 {{query}}");
    const v2 = await saveVersion(stack, org, p.id, "M2 {{query}}");
    const db = sql(stack);
    await db`
      insert into public.ai_requests (org_id, function_name, prompt_version_id, model, input_tokens, output_tokens, cost_usd, latency_ms, status)
      select ${org.id}, 'test', ${v1.id}, 'offline-fast-1', 100, 50, 0.001, 100 * g, case when g = 10 then 'error' else 'ok' end
      from generate_series(1, 10) g`;
    await db`insert into public.feedback (org_id, rating, query, response, prompt_version_id) values
      (${org.id}, 5, 'q', 'r', ${v1.id}), (${org.id}, 3, 'q', 'r', ${v1.id}), (${org.id}, 1, 'q', 'r', ${v2.id})`;

    const admin = await org.users.admin.client.rpc("prompt_version_metrics", { p_prompt_id: p.id });
    expect(admin.error).toBeNull();
    const byVersion = Object.fromEntries((admin.data as any[]).map((r) => [r.version, r]));
    expect(byVersion[1]).toMatchObject({ version_id: v1.id, requests: 10, errors: 1, error_rate: 0.1, avg_latency_ms: 550, input_tokens: 1000, output_tokens: 500, feedback_count: 2, avg_rating: 4 });
    expect(Number(byVersion[1].cost_usd)).toBeCloseTo(0.01, 8);
    expect(byVersion[1].p95_latency_ms).toBeGreaterThan(900);
    expect(byVersion[2]).toMatchObject({ requests: 0, feedback_count: 1, avg_rating: 1, last_eval: null });

    // ai_requests is admin/manager-only: a curator gets "unknown" (null, shown as "—"), never a 0 that
    // would read as "no traffic", and still sees ratings.
    const curator = await org.users.curator.client.rpc("prompt_version_metrics", { p_prompt_id: p.id });
    const c1 = (curator.data as any[]).find((r) => r.version === 1);
    expect(c1).toMatchObject({ requests: null, cost_usd: null, input_tokens: null, feedback_count: 2 });
    const stranger = await other.users.admin.client.rpc("prompt_version_metrics", { p_prompt_id: p.id });
    expect(stranger.data).toEqual([]);
  });
});
