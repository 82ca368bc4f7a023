import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { callFunction } from "../helpers/org.ts";
import { createOrg, editorText, getStack, sql, unique, useBrowser } from "./support.ts";

const browser = useBrowser();


describe("prompt studio", () => {
  it("curators co-edit a candidate, fix a variable error, see the diff; an admin rolls back", async () => {
    const stack = await getStack();
    const org = await createOrg(stack, "prompts");
    const created = await callFunction<{ prompt: { id: string } }>(stack, "create-prompt", { orgId: org.id, slug: unique("support").replace(/\s+/g, "-").toLowerCase() }, org.users.curator.accessToken);
    expect(created.status).toBe(201);
    const promptId = created.body.prompt.id;
    const db = sql(stack);
    const vars = db.json([{ name: "query", type: "string" }]);
    // v1 was live before; v2 is live now (written as the promotions would, with their history).
    await db`
      insert into public.prompt_versions (org_id, prompt_id, version, template, variables, model, status, promoted_at, author_id) values
        (${org.id}, ${promptId}, 1, 'Answer {{query}}.', ${vars}, 'test-model', 'retired', now() - interval '2 days', ${org.users.admin.id}),
        (${org.id}, ${promptId}, 2, 'Answer {{query}} briefly.', ${vars}, 'test-model', 'production', now() - interval '1 day', ${org.users.admin.id})`;
    const [v1] = await db`select id from public.prompt_versions where prompt_id = ${promptId} and version = 1`;
    const [v2] = await db`select id from public.prompt_versions where prompt_id = ${promptId} and version = 2`;
    await db`insert into public.prompt_promotions (org_id, prompt_id, version_id, previous_version_id, kind, reason, created_at) values
      (${org.id}, ${promptId}, ${v1!.id}, null, 'initial', 'first', now() - interval '2 days'),
      (${org.id}, ${promptId}, ${v2!.id}, ${v1!.id}, 'override', 'second', now() - interval '1 day')`;
    const cand = await callFunction<{ version: { id: string; version: number } }>(stack, "save-prompt-version", {
      promptId, template: "Answer {{query}} briefly.", variables: [{ name: "query", type: "string" }], model: "test-model", parentVersionId: v2!.id, status: "candidate",
    }, org.users.curator.accessToken);
    expect(cand.status).toBe(201);
    expect(cand.body.version.version).toBe(3);

    // The same curator in two windows on the candidate.
    const path = `/o/${org.slug}/prompts/${promptId}/versions/${cand.body.version.id}`;
    const one = await browser.open("carol (window 1)", org.users.curator, path);
    const two = await browser.open("carol (window 2)", org.users.curator, path);
    for (const a of [one, two]) {
      await a.page.getByTestId("doc-status").getByText("Live").waitFor({ timeout: 20_000 });
      await expect.poll(() => editorText(a.page), { timeout: 15_000 }).toBe("Answer {{query}} briefly.");
    }
    await one.page.getByTestId("answer-editor").click();
    await one.page.keyboard.press("Control+End");
    await one.page.keyboard.type(" Use a {{tone}} tone.", { delay: 30 });
    const expected = "Answer {{query}} briefly. Use a {{tone}} tone.";
    for (const a of [one, two]) await expect.poll(() => editorText(a.page), { timeout: 15_000 }).toBe(expected);

    // Saving with {{tone}} undeclared shows the field error; declaring it fixes it.
    await two.page.getByRole("button", { name: "Save as new version" }).click();
    await two.page.getByTestId("variable-errors").getByText(/tone: used in the template but not declared/).waitFor({ timeout: 15_000 });
    await two.page.getByRole("button", { name: "Add variable" }).click();
    await two.page.getByLabel("Variable 2 name").fill("tone");
    await two.page.getByRole("button", { name: "Save as new version" }).click();
    await two.page.getByTestId("prompt-detail").waitFor({ timeout: 15_000 });
    await two.page.getByTestId("version-row-4").getByText("candidate").waitFor({ timeout: 15_000 });
    const [v4] = await sql(stack)`select template, variables from public.prompt_versions where prompt_id = ${promptId} and version = 4`;
    expect(v4!.template).toBe(expected);

    // The diff between v3 and v4 shows the added sentence.
    await two.page.getByLabel("Version A").selectOption({ label: "v3 (candidate)" });
    await two.page.getByLabel("Version B").selectOption({ label: "v4 (candidate)" });
    await expect.poll(() => two.page.getByTestId("diff-template").locator("ins").allTextContents(), { timeout: 10_000 }).toContainEqual(expect.stringContaining("{{tone}}"));
    // A curator is not offered the admin's release actions.
    expect(await two.page.getByRole("button", { name: "Rollback", exact: true }).count()).toBe(0);
    expect(await two.page.getByRole("button", { name: "Promote", exact: true }).count()).toBe(0);

    // An admin rolls production back to v1.
    const adam = await browser.open("adam (admin)", org.users.admin, `/o/${org.slug}/prompts/${promptId}`);
    await adam.page.getByTestId("version-row-2").getByText("production").waitFor({ timeout: 15_000 });
    await adam.page.getByRole("button", { name: "Rollback", exact: true }).click();
    const dialog = adam.page.getByRole("dialog");
    await dialog.getByLabel("Version to restore").selectOption({ label: "v1" });
    await dialog.getByRole("button", { name: "Roll back" }).click();
    await adam.page.getByTestId("version-row-1").getByText("production").waitFor({ timeout: 15_000 });
    await adam.page.getByTestId("version-row-2").getByText("retired").waitFor({ timeout: 15_000 });
    const rows = await sql(stack)`select version, status from public.prompt_versions where prompt_id = ${promptId} order by version`;
    expect(rows.map((r) => `${r.version}:${r.status}`)).toEqual(["1:production", "2:retired", "3:candidate", "4:candidate"]);
  });
});
