import { describe, expect, it } from "vitest";
import { getStack, sql, useBrowser, demoUser } from "./support.ts";

const browser = useBrowser();

// The seeded demo (supabase/seed.sql): Acme and its four people, password review-demo-1; Acme's
// "concise" evaluator already runs on half of its live calls.
const ACME = { id: "aaaaaaaa-0000-4000-8000-000000000001", slug: "acme" };

describe("online evaluation", () => {
  it("a curator attaches an evaluator to live traffic at 100%, a regenerated suggestion is scored, and the manager's boards show the trend", async () => {
    const stack = await getStack();
    const db = sql(stack);

    // Rita (reviewer) sees the rules but is offered nothing to change, and no live outputs.
    const rita = await browser.open("rita (reviewer)", demoUser("reviewer"), `/o/${ACME.slug}/online-eval`);
    await rita.page.getByTestId("online-evaluator-row").first().waitFor();
    expect(await rita.page.getByRole("button", { name: "Attach evaluator" }).count()).toBe(0);
    expect(await rita.page.getByRole("region", { name: "Recent online evaluation results" }).count()).toBe(0);

    // Carmen (curator): the seeded rule is there; she adds "concise" on every regenerated suggestion.
    const carmen = await browser.open("carmen (curator)", demoUser("curator"), `/o/${ACME.slug}/online-eval`);
    await carmen.page.getByTestId("online-evaluator-row").filter({ hasText: "all live traffic" }).getByText("50%").waitFor();
    await carmen.page.getByRole("button", { name: "Attach evaluator" }).click();
    const dialog = carmen.page.getByRole("dialog", { name: "Attach an evaluator to live traffic" });
    const concise = dialog.getByLabel("Evaluator", { exact: true }).locator("option", { hasText: "concise v1" });
    await dialog.getByLabel("Evaluator", { exact: true }).selectOption((await concise.getAttribute("value"))!);
    await dialog.getByLabel("Sampling rate (%)").fill("100");
    await dialog.getByLabel("Function").fill("regenerate-suggestion");
    await dialog.getByRole("button", { name: "Attach" }).click();
    const mine = carmen.page.getByTestId("online-evaluator-row").filter({ hasText: "function regenerate-suggestion" });
    await mine.getByText("100%").waitFor({ timeout: 10_000 });
    const [rule] = await db`select id from public.online_evaluators where org_id = ${ACME.id} and function_name = 'regenerate-suggestion' and created_by = ${demoUser("curator").id}`;
    expect(rule).toBeDefined();

    // New traffic: Carmen regenerates the suggestion of a pending case.
    const [kase] = await db`select id from public.improvement_cases where org_id = ${ACME.id} and status = 'pending' order by created_at limit 1`;
    await carmen.page.goto(carmen.page.url().replace(/\/online-eval$/, `/cases/${kase!.id}`));
    await carmen.page.getByTestId("case-room").waitFor();
    await carmen.page.getByRole("region", { name: "Regenerate suggestion" }).getByRole("button", { name: "Regenerate" }).click();
    await carmen.page.getByRole("button", { name: "Replace the answer" }).waitFor({ timeout: 30_000 });

    // The worker scores it; the result arrives on the online evaluation page.
    await carmen.page.goto(carmen.page.url().replace(/\/cases\/.*$/, "/online-eval"));
    // Acme's seeded rubric judge may sample the same call: this is the "concise" check's row.
    const result = carmen.page.getByTestId("online-result-row").filter({ hasText: "regenerate-suggestion" }).filter({ hasText: "concise v1" }).first();
    await result.waitFor({ timeout: 30_000 });
    const [stored] = await db`select score from public.online_eval_results where rule_id = ${rule!.id}`;
    expect(stored).toBeDefined();
    expect(await result.locator("td.num").textContent()).toBe(stored!.score === null ? "—" : Number(stored!.score).toFixed(2));

    // Mia (manager) sees the trend on the boards: the rule's scored calls for today.
    const mia = await browser.open("mia (manager)", demoUser("manager"), `/o/${ACME.slug}/boards`);
    const trend = mia.page.getByTestId("online-eval-trend");
    await trend.waitFor();
    await expect.poll(async () => trend.getByTestId("online-eval-board-row").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    // One point per rule today: the chart draws it as a dot.
    await expect.poll(async () => trend.locator(".recharts-line-dot").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const [{ n }] = (await db`select count(*)::int as n from public.online_eval_results where org_id = ${ACME.id} and score is not null`) as unknown as [{ n: number }];
    expect(n).toBeGreaterThanOrEqual(1);

    // The seeded rule scores the calls the worker made for the seeded jobs (no score was seeded).
    await expect.poll(async () => (await db`
      select count(*)::int as n from public.online_eval_results r join public.online_evaluators o on o.id = r.rule_id
       where o.org_id = ${ACME.id} and o.function_name is null and r.function_name like 'worker:%'`)[0]!.n, { timeout: 120_000 }).toBeGreaterThan(0);

    // Carmen removes her rule: it is gone for everyone, and so is its trend.
    await mine.getByRole("button", { name: "Remove" }).click();
    await mine.waitFor({ state: "detached", timeout: 10_000 });
    expect(await db`select 1 from public.online_evaluators where id = ${rule!.id}`).toHaveLength(0);
  });
});
