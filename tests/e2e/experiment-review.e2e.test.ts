import { describe, expect, it } from "vitest";
import { runDeterministic } from "@review/shared/datasets/evaluators";
import { waitFor } from "../helpers/stack.ts";
import { DEMO, demoUser, getStack, seededExperiment, sql, unique, useBrowser } from "./support.ts";

const browser = useBrowser();

// The seeded demo (supabase/seed.sql): Acme's experiment "Suggest-answer v2 vs v3 × fast vs strong",
// which the worker runs on start, with its LLM judge among the evaluators, and the "Better answer"
// preference rubric.

describe("experiment outputs go to people", () => {
  it("a curator sends two variants' outputs to a new pairwise queue, a reviewer scores one item, and the experiment page shows the human score next to the judge's", async () => {
    const stack = await getStack();
    const db = sql(stack);
    const exp = await seededExperiment(db);
    const b = exp.labels.indexOf("v3 · strong");
    expect(b).toBeGreaterThan(0);

    // Carmen (curator) opens the seeded experiment and sends v2 · fast (the baseline) vs v3 · strong to people.
    const carmen = await browser.open("carmen (curator)", demoUser("curator"), `/o/${DEMO.org.slug}/experiments/${exp.id}`);
    const section = carmen.page.getByTestId("experiment-review");
    await section.getByRole("button", { name: "Send to review queue" }).click();
    const dialog = carmen.page.getByRole("dialog", { name: "Send to review queue" });
    await dialog.getByLabel("Outputs").selectOption("pairwise");
    await dialog.getByLabel("Variant B").selectOption(String(b));
    const name = unique("v2 fast vs v3 strong");
    await dialog.getByLabel("Queue name").fill(name);
    await dialog.getByRole("checkbox", { name: "Better answer v1" }).check();
    await dialog.getByLabel("Reviewers per item").fill("1");
    await dialog.getByRole("button", { name: "Create queue" }).click();
    const table = section.getByTestId("human-vs-evaluators");
    await table.waitFor({ timeout: 15_000 });

    // The queue holds one pairwise item per dataset item both variants answered.
    // The section may already show another queue of this experiment (other scenarios on the same demo
    // make some): wait for this one's row rather than for the table.
    const queue = await waitFor(async () => (await db`select id from public.review_queues where org_id = ${DEMO.org.id} and name = ${name}`)[0] ?? null, { timeout: 15_000, message: "the queue was created" });
    const [{ n }] = (await db`
      select count(*)::int as n from public.experiment_results a join public.experiment_results r on r.item_id = a.item_id and r.experiment_id = a.experiment_id and r.variant = ${b}
      where a.experiment_id = ${exp.id} and a.variant = 0 and a.error is null and r.error is null`) as unknown as [{ n: number }];
    expect(n).toBeGreaterThan(0);
    await expect.poll(() => table.getByTestId("human-vs-evaluators-row").count(), { timeout: 15_000 }).toBe(n);

    // Rey (reviewer) takes the first item and prefers B.
    const rey = await browser.open("rey (reviewer)", demoUser("reviewer"), `/o/${DEMO.org.slug}/review-queues/${queue!.id}`);
    await rey.page.getByTestId("claim-next").click();
    await rey.page.getByTestId("work-view").waitFor();
    await rey.page.getByRole("group", { name: "Better answer" }).getByRole("button", { name: /B is better/ }).click();
    await rey.page.getByTestId("submit-scores").click();
    const item = await waitFor(async () => (await db`
      select i.position, i.context from public.review_items i join public.review_assignments a on a.item_id = i.id
      where i.queue_id = ${queue!.id} and a.reviewer_id = ${demoUser("reviewer").id} and a.status = 'submitted'`)[0] ?? null, { timeout: 15_000, message: "the reviewer's score was stored" });
    const [judged] = await db`select scores from public.experiment_results where id = ${(item!.context as { result_ids: number[] }).result_ids[1]!}`;
    const judge = (judged!.scores as Record<string, number>).judge!;
    expect(typeof judge).toBe("number");

    // Carmen's page: on that item's row, the people's final (B, v3 · strong, preferred) sits next to the judge's score of B.
    const row = table.getByTestId("human-vs-evaluators-row").nth((item!.position as number) - 1);
    await row.getByTestId("human-final").getByText("v3 · strong preferred").waitFor({ timeout: 15_000 });
    await expect.poll(() => row.getByTestId("evaluator-scores").nth(1).textContent()).toContain(`judge ${judge.toFixed(2)}`);
    await expect.poll(() => row.getByTestId("evaluator-scores").nth(1).textContent()).toContain("B · v3 · strong");
    await table.getByText(/^1 of \d+ items have a final score/).waitFor();
  }, 300_000);

  it("a curator tries an unsaved evaluator on the seeded experiment's outputs before saving it", async () => {
    const stack = await getStack();
    const db = sql(stack);
    const exp = await seededExperiment(db);
    const carmen = await browser.open("carmen (curator)", demoUser("curator"), `/o/${DEMO.org.slug}/experiments`);
    await carmen.page.getByRole("button", { name: "New evaluator" }).click();
    const dialog = carmen.page.getByRole("dialog", { name: "New evaluator" });
    const name = `mentions-refund-${Date.now() % 100000}`;
    await dialog.getByLabel("Name").fill(name);
    const config = { type: "contains" as const, value: "refund", caseSensitive: false };
    await dialog.getByLabel("Check type").selectOption("contains");
    await dialog.getByLabel("Text to find").fill("refund");
    await dialog.getByLabel("Try on dataset version").selectOption(exp.dataset_version_id as string);
    await dialog.getByLabel("Outputs from").selectOption(exp.id as string);
    await dialog.getByRole("button", { name: "Try on 5 items" }).click();
    const results = dialog.getByTestId("try-result");
    await expect.poll(() => results.count(), { timeout: 20_000 }).toBe(5);

    // The scores shown are what the worker's shared code gives the first variant that is not the baseline.
    const rows = await db`
      select i.position, r.output, i.expected, r.latency_ms, r.cost_usd::float8 as cost_usd from public.dataset_items i
      join public.experiment_results r on r.item_id = i.id and r.experiment_id = ${exp.id} and r.variant = 1
      where i.version_id = ${exp.dataset_version_id} order by i.position limit 5`;
    const expected = rows.map((r) => runDeterministic(config, { output: r.output, expected: r.expected, latencyMs: r.latency_ms, costUsd: r.cost_usd })!.toFixed(2));
    expect(await dialog.getByTestId("try-score").allTextContents()).toEqual(expected);
    // Nothing was saved by trying.
    expect((await db`select 1 from public.evaluators where org_id = ${DEMO.org.id} and name = ${name}`).length).toBe(0);
  }, 300_000);
});
