import { describe, expect, it } from "vitest";
import { winRate } from "@review/shared/stats/winrate";
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
    // The admin's detail page streamed the event log and charted training per epoch: loss on one
    // chart, held-out accuracy and MRR on another, each on its own scale.
    await expect.poll(() => admin.page.getByTestId("event-log").locator("li").count()).toBeGreaterThan(2);
    await expect.poll(() => admin.page.getByTestId("event-log").getByText(/Epoch 20\/20: training loss/).count()).toBe(1);
    const charts = admin.page.getByTestId("training-charts");
    await expect.poll(() => charts.locator(".recharts-line").count()).toBe(4);
    await admin.page.getByTestId("fine-tune-comparison").getByText(/Points gained on \d+ held-out items/).waitFor({ timeout: 10_000 });
  });

  it("a manager watching an A/B evaluation sees B's running win rate and its band as items are judged", async () => {
    const stack = await getStack();
    const org = await createOrg(stack, "abchart");
    // The worker's writes, played by SQL: a running evaluation whose items land one by one.
    const [job] = await sql(stack)`insert into public.jobs (org_id, kind, name, status, started_at) values (${org.id}, 'ab_eval', ${unique("ab")}, 'running', now()) returning id`;
    const mia = await browser.open("mia (manager)", org.users.manager, `/o/${org.slug}/jobs/${job!.id}`);
    const chart = mia.page.getByTestId("win-rate-chart");
    await chart.getByText("B's win rate appears here as items are judged.").waitFor();
    const judged = (i: number, score: number) =>
      sql(stack)`insert into public.eval_results (job_id, org_id, item_index, query, output_a, output_b, judge_score) values (${job!.id}, ${org.id}, ${i}, ${`question ${i}`}, 'answer a', 'answer b', ${score})`;
    const summary = () => chart.locator("p").first().textContent();
    const expected = (scores: number[]) => {
      const w = winRate(scores);
      const p = (x: number) => `${Math.round(x * 100)}%`;
      return `${p(w.rate)} after ${w.n} item${w.n === 1 ? "" : "s"} (95% CI ${p(w.lower)}–${p(w.upper)}; ties count half)`;
    };
    await judged(0, 1);
    await expect.poll(summary, { timeout: 10_000 }).toBe(expected([1]));
    for (const [i, s] of [[1, 1], [2, -1], [3, 0], [4, 0.5]] as const) await judged(i, s);
    await expect.poll(summary, { timeout: 10_000 }).toBe(expected([1, 1, -1, 0, 0.5]));
    // The band is drawn around the line.
    expect(await chart.locator(".recharts-area").count()).toBe(1);
    expect(await chart.locator(".recharts-line").count()).toBe(1);
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
