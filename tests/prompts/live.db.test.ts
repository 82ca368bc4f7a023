import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { addFeedback, callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql, waitFor } from "../helpers/stack.ts";

// Issue "The loop closes for real", item 1: one promotion path, one resolver. A promotion changes what
// the next call serves (its template and the model it pins), as ai_requests records it, and models'
// is_live follows the production versions.

let stack: StackInfo;
let org: TestOrg;

beforeAll(async () => {
  stack = await getStack();
  org = await createOrg(stack, "live");
});

const suggestVariables = [
  { name: "query", type: "string", required: true },
  { name: "bad_answer", type: "string", required: true },
];

async function lastCall(functionName: string) {
  const [row] = await sql(stack)`
    select prompt_version_id, model from public.ai_requests where org_id = ${org.id} and function_name = ${functionName} order by created_at desc limit 1`;
  return row;
}

describe("what production serves", () => {
  it("the next suggestion runs the promoted version and the model it pins", async () => {
    const created = await callFunction(stack, "create-prompt", { orgId: org.id, slug: "suggest-answer" }, org.users.curator.accessToken);
    expect(created.status).toBe(201);
    const promptId = created.body.prompt.id as string;
    const save = async (system: string, model: string) => {
      const r = await callFunction(stack, "save-prompt-version", {
        promptId, systemTemplate: `TASK: suggest-answer\n${system}`, template: "<query>{{query}}</query>\n<bad_answer>{{bad_answer}}</bad_answer>",
        variables: suggestVariables, model, status: "candidate",
      }, org.users.curator.accessToken);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.version as { id: string };
    };
    const v1 = await save("Answer plainly.", "offline-strong-1");
    const v2 = await save("Answer plainly, with the steps numbered.", "offline-fast-1");
    await sql(stack)`insert into public.models (org_id, name, base_model) values (${org.id}, 'offline-strong-1', 'offline-strong-1'), (${org.id}, 'offline-fast-1', 'offline-fast-1')`;

    // Nothing promoted yet: the built-in prompt runs.
    await callFunction(stack, "create-improvement-case", { feedbackId: await addFeedback(stack, org.id) }, org.users.reviewer.accessToken);
    expect(await lastCall("create-improvement-case")).toMatchObject({ prompt_version_id: null });

    expect((await org.users.admin.client.rpc("override_prompt_version", { p_version_id: v1.id, p_reason: "first version" })).error).toBeNull();
    await callFunction(stack, "create-improvement-case", { feedbackId: await addFeedback(stack, org.id) }, org.users.reviewer.accessToken);
    expect(await lastCall("create-improvement-case")).toEqual({ prompt_version_id: v1.id, model: "offline-strong-1" });

    expect((await org.users.admin.client.rpc("override_prompt_version", { p_version_id: v2.id, p_reason: "numbered steps" })).error).toBeNull();
    const feedbackId = await addFeedback(stack, org.id);
    const opened = await callFunction(stack, "create-improvement-case", { feedbackId }, org.users.reviewer.accessToken);
    expect(opened.status).toBe(201);
    expect(await lastCall("create-improvement-case")).toEqual({ prompt_version_id: v2.id, model: "offline-fast-1" });
    // The case room's regenerate resolves the same way.
    const regen = await callFunction(stack, "regenerate-suggestion", { caseId: opened.body.case.id }, org.users.curator.accessToken);
    expect(regen.status).toBe(200);
    await waitFor(async () => (await lastCall("regenerate-suggestion"))?.prompt_version_id === v2.id, { message: "regenerate served by v2" });

    const live = await sql(stack)`select name, is_live from public.models where org_id = ${org.id} order by name`;
    expect(live).toEqual([{ name: "offline-fast-1", is_live: true }, { name: "offline-strong-1", is_live: false }]);

    // Rolling back restores v1 and its model for the next call.
    expect((await org.users.admin.client.rpc("rollback_prompt", { p_prompt_id: promptId })).error).toBeNull();
    await callFunction(stack, "create-improvement-case", { feedbackId: await addFeedback(stack, org.id) }, org.users.reviewer.accessToken);
    expect(await lastCall("create-improvement-case")).toEqual({ prompt_version_id: v1.id, model: "offline-strong-1" });
  });

  it("a model reaches users as a candidate version that pins it, through the same gate", async () => {
    const [p] = await sql(stack)`select id from public.prompts where org_id = ${org.id} and slug = 'suggest-answer'`;
    const [fast] = await sql(stack)`select id from public.models where org_id = ${org.id} and name = 'offline-fast-1'`;
    const byReviewer = await org.users.reviewer.client.rpc("propose_model_version", { p_prompt_id: p!.id, p_model_id: fast!.id });
    expect(byReviewer.error?.code).toBe("42501");
    const proposed = await org.users.curator.client.rpc("propose_model_version", { p_prompt_id: p!.id, p_model_id: fast!.id });
    expect(proposed.error).toBeNull();
    const [prod] = await sql(stack)`select template, system_template from public.prompt_versions where prompt_id = ${p!.id} and status = 'production'`;
    expect(proposed.data).toMatchObject({ status: "candidate", model: "offline-fast-1", template: prod!.template, system_template: prod!.system_template });
    const alreadyServed = await org.users.curator.client.rpc("propose_model_version", { p_prompt_id: p!.id, p_model_id: (await sql(stack)`select id from public.models where org_id = ${org.id} and name = 'offline-strong-1'`)[0]!.id });
    expect(alreadyServed.error?.code).toBe("already_served");
  });
});
