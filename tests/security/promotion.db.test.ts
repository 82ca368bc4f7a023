import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, serviceClient, sql } from "../helpers/stack.ts";
import { newPrompt, promoteDirect, saveVersion, statuses } from "../prompts/helpers.ts";

// Issue "Secure by default", item 6, as the attack: the A/B gate cannot be bypassed. A version's
// lifecycle (status, promoted_at) changes only through promotion and rollback, and a rollback goes
// only to a version the promotion history shows in production, whatever the version's own columns say.

let stack: StackInfo;
let org: TestOrg;

beforeAll(async () => {
  stack = await getStack();
  org = await createOrg(stack, "gate");
});

describe("the A/B gate cannot be bypassed", () => {
  it("a curator dresses a draft up as a former production version; the routine rollback still goes to the real one", async () => {
    const p = await newPrompt(stack, org);
    const v1 = await saveVersion(stack, org, p.id, "First {{query}}");
    const v2 = await saveVersion(stack, org, p.id, "Second {{query}}");
    await promoteDirect(stack, v1.id);
    await promoteDirect(stack, v2.id);
    const draft = await saveVersion(stack, org, p.id, "Never evaluated {{query}}", { status: "draft" });

    // The attack, through every door a curator (or a leaked service key) has.
    const disguise = { status: "retired", promoted_at: "2020-01-01T00:00:00Z" };
    const attempts = await Promise.all([
      org.users.curator.client.from("prompt_versions").update(disguise).eq("id", draft.id).select("id"),
      org.users.curator.client.from("prompt_versions").update({ promoted_at: "2020-01-01T00:00:00Z" }).eq("id", draft.id).select("id"),
      org.users.admin.client.from("prompt_versions").update(disguise).eq("id", draft.id).select("id"),
      serviceClient(stack).from("prompt_versions").update(disguise).eq("id", draft.id).select("id"),
      org.users.curator.client.from("prompt_versions").insert({ org_id: org.id, prompt_id: p.id, version: 99, template: "x", model: "m", ...disguise }),
      org.users.curator.client.from("prompt_promotions").insert({ org_id: org.id, prompt_id: p.id, version_id: draft.id, kind: "override", reason: "trust me" }),
    ]);
    for (const a of attempts) expect(a.error, JSON.stringify(a.data)).not.toBeNull();
    const [after] = await sql(stack)`select status::text, promoted_at from public.prompt_versions where id = ${draft.id}`;
    expect(after).toEqual({ status: "draft", promoted_at: null });

    // The routine rollback: back to what v2 replaced (v1), from the history.
    const rb = await callFunction(stack, "rollback-prompt", { promptId: p.id, reason: "routine" }, org.users.admin.accessToken);
    expect(rb.status).toBe(200);
    expect(rb.body.version.id).toBe(v1.id);

    // Even a row corrupted below the API (say, by a bad hand-written migration) does not qualify.
    await sql(stack)`update public.prompt_versions set status = 'retired', promoted_at = '2020-01-01' where id = ${draft.id}`;
    const toDraft = await callFunction(stack, "rollback-prompt", { promptId: p.id, versionId: draft.id }, org.users.admin.accessToken);
    expect(toDraft.status).toBe(409);
    expect(toDraft.body.error.code).toBe("never_in_production");
    const again = await callFunction(stack, "rollback-prompt", { promptId: p.id }, org.users.admin.accessToken);
    expect(again.status).toBe(200);
    expect(again.body.version.id).toBe(v2.id);
    expect((await statuses(stack, p.id))[draft.version]).toBe("retired");

    const history = await sql(stack)`select version_id, kind from public.prompt_promotions where prompt_id = ${p.id} order by id`;
    expect(history.map((h) => [h.version_id, h.kind])).toEqual([[v1.id, "gate"], [v2.id, "gate"], [v1.id, "rollback"], [v2.id, "rollback"]]);
  });

  it("an admin may skip the gate only with a reason, and it is recorded as an override", async () => {
    const p = await newPrompt(stack, org);
    const v = await saveVersion(stack, org, p.id, "Urgent fix {{query}}");
    const byCurator = await org.users.curator.client.rpc("override_prompt_version", { p_version_id: v.id, p_reason: "hotfix" });
    expect(byCurator.error?.code).toBe("42501");
    const noReason = await org.users.admin.client.rpc("override_prompt_version", { p_version_id: v.id, p_reason: " " });
    expect(noReason.error?.code).toBe("reason_required");
    const ok = await org.users.admin.client.rpc("override_prompt_version", { p_version_id: v.id, p_reason: "Legal asked for this wording today" });
    expect(ok.error).toBeNull();
    const [h] = await sql(stack)`select kind, reason, actor_id from public.prompt_promotions where version_id = ${v.id}`;
    expect(h).toEqual({ kind: "override", reason: "Legal asked for this wording today", actor_id: org.users.admin.id });
  });
});
