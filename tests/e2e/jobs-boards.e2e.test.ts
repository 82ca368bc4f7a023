import { describe, expect, it } from "vitest";
import { createOrg, getStack, insertFeedback, sql, unique, useBrowser } from "./support.ts";

const browser = useBrowser();

describe("jobs and boards", () => {
  it("an admin starts a fine-tune and a manager's open jobs page shows the progress reach 100%", async () => {
    const stack = await getStack();
    const org = await createOrg(stack, "finetune");
    for (let i = 0; i < 12; i++) {
      await sql(stack)`insert into public.training_examples (org_id, query, answer, tags)
        values (${org.id}, ${`How do I reset my password? (${i})`}, ${`Open Settings → Security and choose Reset password. Variant ${i}.`}, ${["account"]})`;
    }
    const manager = await browser.open("mia (manager)", org.users.manager, `/o/${org.slug}/jobs`);
    const admin = await browser.open("ada (admin)", org.users.admin, `/o/${org.slug}/jobs`);
    await manager.page.getByText("No jobs yet.").waitFor();
    // A manager watches; starting jobs is not offered.
    expect(await manager.page.getByRole("button", { name: "New fine-tune" }).count()).toBe(0);

    const name = unique("support-ft");
    await admin.page.getByRole("button", { name: "New fine-tune" }).click();
    const dialog = admin.page.getByRole("dialog", { name: "Start a fine-tune" });
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByRole("button", { name: /#account · 12 examples/ }).click();
    await dialog.getByRole("button", { name: "Start fine-tune" }).click();
    await admin.page.getByTestId("job-detail").waitFor();

    const jobRow = manager.page.locator("tr[data-job-id]", { hasText: name });
    await jobRow.waitFor({ timeout: 10_000 });
    await jobRow.getByTestId("job-progress").getByText("100%").waitFor({ timeout: 120_000 });
    await jobRow.getByText("completed").waitFor({ timeout: 10_000 });
    // The admin's detail page streamed the event log.
    await expect.poll(() => admin.page.getByTestId("event-log").locator("li").count()).toBeGreaterThan(2);
  });

  it("a manager reads the quality and cost boards", async () => {
    const stack = await getStack();
    const org = await createOrg(stack, "boards");
    await insertFeedback(stack, org.id, [1, 2, 5, 4, 1, 3].map((rating, i) => ({ query: unique(`Board question ${i}`), rating })));
    await sql(stack)`insert into public.ai_requests (org_id, function_name, model, input_tokens, output_tokens, cost_usd, latency_ms, status)
      values (${org.id}, 'create-improvement-case', 'offline-strong-1', 1200, 300, 0.0125, 850, 'ok'),
             (${org.id}, 'create-improvement-case', 'offline-strong-1', 900, 250, 0.0100, 640, 'ok')`;
    const mia = await browser.open("mia (manager)", org.users.manager, `/o/${org.slug}/boards`);
    const quality = mia.page.getByTestId("quality-stats");
    await quality.getByText("6", { exact: true }).waitFor({ timeout: 15_000 });
    await quality.getByText("2.67").waitFor();
    await mia.page.getByTestId("cost-stats").getByText("$0.02").waitFor();
    await mia.page.getByRole("table", { name: "Cost by model and function" }).getByText("create-improvement-case").waitFor();
    // The range picker re-queries the boards.
    await mia.page.getByRole("button", { name: "Last 7 days" }).click();
    await expect.poll(() => mia.page.url()).toContain("from=");
    await quality.getByText("6", { exact: true }).waitFor();
  });
});
