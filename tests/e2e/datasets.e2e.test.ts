import { describe, expect, it } from "vitest";
import { costUsd } from "@review/shared/llm/cost";
import { getStack, sql, unique, useBrowser, demoUser } from "./support.ts";
import { E2E_OPENAI_USAGE } from "./loopback-openai.ts";

const browser = useBrowser();

// The seeded demo (supabase/seed.sql): Acme and its four people, password review-demo-1.
const ACME = { id: "aaaaaaaa-0000-4000-8000-000000000001", slug: "acme" };

describe("datasets and experiments", () => {
  it("a curator builds a dataset from an inbox filter, an admin runs a 2×2 experiment on it, and a manager watches it live and filters regressions", async () => {
    const stack = await getStack();
    const db = sql(stack);
    const carmen = await browser.open("carmen (curator)", demoUser("curator"), `/o/${ACME.slug}/inbox?rating=1`);
    const mia = await browser.open("mia (manager)", demoUser("manager"), `/o/${ACME.slug}/experiments`);

    // Carmen: the inbox filtered to 1-star ratings → a dataset of exactly those rows, published.
    const [{ n: oneStar }] = (await db`select count(*)::int as n from public.feedback where org_id = ${ACME.id} and rating = 1`) as unknown as [{ n: number }];
    expect(oneStar).toBeGreaterThan(2);
    await carmen.page.getByRole("button", { name: "Build dataset from this filter" }).click();
    const build = carmen.page.getByRole("dialog", { name: "Build a dataset from an inbox filter" });
    await build.getByTestId("filter-summary").getByText("Feedback with rating 1.").waitFor();
    const name = unique("One-star answers");
    await build.getByLabel("Dataset name").fill(name);
    await build.getByRole("button", { name: "Build dataset" }).click();
    await carmen.page.getByTestId("dataset-detail").waitFor();
    await expect.poll(() => carmen.page.getByTestId("dataset-item").count(), { timeout: 10_000 }).toBe(oneStar);
    await carmen.page.getByTestId("version-source").getByText(/Built from an inbox filter: Feedback with rating 1\./).waitFor();
    await carmen.page.getByRole("button", { name: "Publish v1" }).click();
    await carmen.page.getByText("v1 · published").first().waitFor({ timeout: 10_000 });
    // Published means frozen: no editing offered, and a curator cannot start experiments.
    expect(await carmen.page.getByRole("button", { name: /Remove item/ }).count()).toBe(0);
    expect(await carmen.page.getByRole("button", { name: "Run an experiment" }).count()).toBe(0);
    const [version] = await db`select v.id from public.dataset_versions v join public.datasets d on d.id = v.dataset_id where d.org_id = ${ACME.id} and d.name = ${name}`;

    // Mia (manager) may watch but not start.
    expect(await mia.page.getByRole("button", { name: "New experiment" }).count()).toBe(0);

    // Ada: 2 prompt versions × 2 models, scored by token F1.
    const ada = await browser.open("ada (admin)", demoUser("admin"), `/o/${ACME.slug}/experiments`);
    await ada.page.getByRole("button", { name: "New experiment" }).click();
    const setup = ada.page.getByRole("dialog", { name: "New experiment" });
    const expName = unique("v2 vs v3 on one-stars");
    await setup.getByLabel("Experiment name").fill(expName);
    await setup.getByLabel("Dataset version").selectOption(version!.id as string);
    await setup.getByRole("button", { name: /^suggest-answer v2 · / }).click();
    await setup.getByRole("button", { name: /^suggest-answer v3 · / }).click();
    await setup.getByLabel("Models").fill("offline-fast-1, offline-strong-1");
    await setup.getByRole("button", { name: "f1 v1" }).click();
    // The seeded rubric judge too (offline, 1–5 with labels): the comparison shows its value on the scale.
    await setup.getByRole("button", { name: "helpfulness v1" }).click();
    await setup.getByTestId("matrix-size").getByText(/^4 variants/).waitFor();
    await setup.getByRole("button", { name: "Start experiment" }).click();
    await ada.page.getByTestId("experiment-detail").waitFor();

    // Mia sees it appear and opens it; its count and progress move to the end while she watches.
    const row = mia.page.getByTestId("experiment-row").filter({ hasText: expName });
    await row.waitFor({ timeout: 15_000 });
    await row.getByRole("link", { name: expName }).click();
    await mia.page.getByTestId("experiment-detail").waitFor();
    const total = oneStar * 4;
    await mia.page.getByTestId("experiment-count").getByText(`${total} of ${total} outputs scored`).waitFor({ timeout: 120_000 });
    await mia.page.getByTestId("experiment-progress").getByText("100%").waitFor({ timeout: 30_000 });
    const summary = mia.page.getByTestId("experiment-summary");
    await summary.getByText("Per variant").waitFor();
    await expect.poll(() => summary.getByTestId("variant-summary").count()).toBe(4);

    // The regressions filter: items where v3 · strong scored lower F1 than the baseline, as the database has them.
    const [exp] = await db`select id, variants from public.experiments where org_id = ${ACME.id} and name = ${expName}`;
    const labels = (exp!.variants as Array<{ label: string }>).map((v) => v.label);
    const target = labels.findIndex((l) => l.includes("v3") && l.includes("strong"));
    const [{ n: regressions }] = (await db`
      select count(*)::int as n from public.experiment_results b join public.experiment_results v
        on v.experiment_id = b.experiment_id and v.item_id = b.item_id and v.variant = ${target}
      where b.experiment_id = ${exp!.id} and b.variant = 0 and b.error is null
        and (v.error is not null or (v.scores ->> 'f1')::float8 < (b.scores ->> 'f1')::float8)`) as unknown as [{ n: number }];
    const comparison = mia.page.getByTestId("comparison");
    await comparison.getByLabel("Compared variant").selectOption(String(target));
    await comparison.getByTestId("comparison-count").getByText(`${oneStar} items`).waitFor();
    await comparison.getByLabel("Regressions only").check();
    await comparison.getByTestId("comparison-count").getByText(new RegExp(`^${regressions} item${regressions === 1 ? "" : "s"} where`)).waitFor();
    expect(await comparison.getByTestId("comparison-row").count()).toBe(Math.min(regressions, 50));

    // The database pages, searches and sorts: a word from an input finds the items whose input, expected
    // answer or compared outputs hold it, and "biggest drop first" opens on the item that lost the most.
    await comparison.getByLabel("Regressions only").uncheck();
    const [{ query: sample }] = (await db`select query from public.dataset_items where version_id = ${version!.id} order by position limit 1`) as unknown as [{ query: string }];
    const word = sample.split(/[^A-Za-z]+/).filter((w) => w.length >= 5).sort((a, b) => b.length - a.length)[0] ?? sample.slice(0, 5);
    const [{ n: hits }] = (await db`
      select count(*)::int as n from public.dataset_items i
        left join public.experiment_results b on b.experiment_id = ${exp!.id} and b.item_id = i.id and b.variant = 0
        left join public.experiment_results v on v.experiment_id = ${exp!.id} and v.item_id = i.id and v.variant = ${target}
       where i.version_id = ${version!.id}
         and (i.query ilike ${`%${word}%`} or i.expected ilike ${`%${word}%`} or b.output ilike ${`%${word}%`} or v.output ilike ${`%${word}%`})`) as unknown as [{ n: number }];
    expect(hits).toBeGreaterThan(0);
    await comparison.getByLabel("Search items").fill(word);
    await comparison.getByTestId("comparison-count").getByText(new RegExp(`^${hits} items?$`)).waitFor();
    await comparison.getByLabel("Search items").fill("");
    await comparison.getByTestId("comparison-count").getByText(`${oneStar} items`).waitFor();
    const [worst] = await db`
      select i.id, i.query from public.dataset_items i
        join public.experiment_results b on b.experiment_id = ${exp!.id} and b.item_id = i.id and b.variant = 0 and b.error is null
        join public.experiment_results v on v.experiment_id = ${exp!.id} and v.item_id = i.id and v.variant = ${target} and v.error is null
       where i.version_id = ${version!.id}
       order by (v.scores ->> 'f1')::float8 - (b.scores ->> 'f1')::float8, i.position limit 1`;
    await comparison.getByLabel("Sort").selectOption({ label: "Biggest drop first" });
    await expect.poll(() => comparison.getByTestId("comparison-row").first().locator("td").first().textContent(), { timeout: 10_000 }).toBe(worst!.query);

    // Next to the judge's normalized score: its value on the 1–5 scale and label, with its reason on hover.
    const [judged] = await db`select score_details -> 'helpfulness' as d from public.experiment_results where experiment_id = ${exp!.id} and item_id = ${worst!.id} and variant = ${target}`;
    const d = judged!.d as { raw: number; label?: string | null; reason: string };
    expect(typeof d.raw).toBe("number");
    const detail = comparison.getByTestId("comparison-row").first().locator("td").nth(3).getByTestId("judge-detail");
    await expect.poll(() => detail.textContent(), { timeout: 10_000 }).toBe(`(${d.raw}/5${d.label ? ` · ${d.label}` : ""})`);
    expect(await detail.getAttribute("title")).toBe(d.reason);
  }, 240_000);

  it("an admin caps an experiment on a paid model at two cents; it stops there, a manager sees why, and the admin raises the cap to score the rest", async () => {
    const stack = await getStack();
    const db = sql(stack);
    const [version] = await db`
      select v.id, v.item_count from public.dataset_versions v join public.datasets d on d.id = v.dataset_id
       where d.org_id = ${ACME.id} and d.name = 'Support answers (approved)' and v.status = 'published' order by v.version limit 1`;
    const items = Number(version!.item_count);
    // gpt-4o-mini at list price for what the loopback OpenAI reports per call (tests/e2e/loopback-openai.ts).
    const perOutput = costUsd("openai:gpt-4o-mini", { inputTokens: E2E_OPENAI_USAGE.input, outputTokens: E2E_OPENAI_USAGE.output })!;
    const cap = 0.02;
    expect(items * perOutput).toBeGreaterThan(2 * cap);

    const ada = await browser.open("ada (admin)", demoUser("admin"), `/o/${ACME.slug}/experiments`);
    await ada.page.getByRole("button", { name: "New experiment" }).click();
    const setup = ada.page.getByRole("dialog", { name: "New experiment" });
    const expName = unique("Capped gpt-4o-mini");
    await setup.getByLabel("Experiment name").fill(expName);
    await setup.getByLabel("Dataset version").selectOption(version!.id as string);
    await setup.getByLabel("Models").fill("openai:gpt-4o-mini");
    await setup.getByLabel("Cost cap (USD, optional)").fill(String(cap));
    await setup.getByTestId("matrix-size").getByText(/^1 variant: bare · openai:gpt-4o-mini/).waitFor();
    await setup.getByRole("button", { name: "Start experiment" }).click();
    await ada.page.getByTestId("experiment-detail").waitFor();

    // It ends on its own, and the page says where it stopped: fewer outputs than items, and what they cost.
    const notice = ada.page.getByTestId("cost-cap-notice");
    await notice.getByText("Stopped at the cost cap of $0.02").waitFor({ timeout: 60_000 });
    const [exp] = await db`select id from public.experiments where org_id = ${ACME.id} and name = ${expName}`;
    const rows = await db`select cost_usd::float8 as cost from public.experiment_results where experiment_id = ${exp!.id}`;
    const spent = rows.reduce((sum, r) => sum + (r.cost as number), 0);
    expect(spent).toBeGreaterThanOrEqual(cap);
    expect(rows.length).toBeGreaterThanOrEqual(Math.ceil(cap / perOutput));
    expect(rows.length).toBeLessThan(items);
    for (const r of rows) expect(r.cost).toBeCloseTo(perOutput, 10);
    await notice.getByText(`${rows.length} of ${items} outputs scored, $${spent.toFixed(4)} spent.`, { exact: false }).waitFor();
    await ada.page.getByTestId("experiment-count").getByText(`${rows.length} of ${items} outputs scored`).waitFor();

    // Mia (manager) sees it marked in the list, and on its page the same notice, without the means to spend more.
    const mia = await browser.open("mia (manager)", demoUser("manager"), `/o/${ACME.slug}/experiments`);
    const listed = mia.page.getByTestId("experiment-row").filter({ hasText: expName });
    await listed.getByText("cost cap", { exact: true }).waitFor({ timeout: 15_000 });
    await listed.getByRole("link", { name: expName }).click();
    await mia.page.getByTestId("cost-cap-notice").getByText("Stopped at the cost cap of $0.02").waitFor();
    expect(await mia.page.getByRole("button", { name: "Continue with this cap" }).count()).toBe(0);

    // Ada pays for the rest: the same experiment runs on to every item, and each output is paid for once.
    await notice.getByLabel("New cost cap (USD)").fill("1");
    await notice.getByRole("button", { name: "Continue with this cap" }).click();
    await mia.page.getByTestId("experiment-count").getByText(`${items} of ${items} outputs scored`).waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await db`select status::text from public.experiments where id = ${exp!.id}`)[0]!.status, { timeout: 15_000 }).toBe("completed");
    await mia.page.getByTestId("experiment-detail").getByText("completed", { exact: true }).waitFor();
    expect(await mia.page.getByTestId("cost-cap-notice").count()).toBe(0);
    await mia.page.getByRole("link", { name: "Experiments" }).first().click();
    await listed.getByText("completed", { exact: true }).waitFor();
    expect(await listed.getByText("cost cap", { exact: true }).count()).toBe(0);
    const [{ n, total }] = (await db`select count(*)::int as n, sum(cost_usd)::float8 as total from public.experiment_results where experiment_id = ${exp!.id}`) as unknown as [{ n: number; total: number }];
    expect(n).toBe(items);
    expect(total).toBeCloseTo(items * perOutput, 10);
  }, 120_000);
});
