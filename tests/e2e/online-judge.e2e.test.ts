import { describe, expect, it } from "vitest";
import { DEMO, demoUser, getStack, seededExperiment, sql, useBrowser } from "./support.ts";

const browser = useBrowser();

// The seeded demo (supabase/seed.sql): Acme's first experiment runs on `npm start`, and its
// "helpfulness" rubric judge already runs on a quarter of the live calls.

describe("a rubric LLM judge, tried, saved and put on live traffic", () => {
  it("an admin writes a rubric judge, tries it on the experiment's outputs, attaches it to regenerated suggestions, and judge scores arrive", async () => {
    const stack = await getStack();
    const db = sql(stack);
    const exp = await seededExperiment(db);

    // The seeded rule's scores come from the worker judging the seeded run's own calls (none typed in the seed).
    await expect.poll(async () => (await db`
      select count(*)::int as n from public.online_eval_results r join public.evaluators e on e.id = r.evaluator_id
       where r.org_id = ${DEMO.org.id} and e.name = 'helpfulness' and r.score is not null and r.details ? 'raw'`)[0]!.n, { timeout: 120_000 }).toBeGreaterThan(0);

    const ada = await browser.open("ada (admin)", demoUser("admin"), `/o/${DEMO.org.slug}/experiments`);
    await ada.page.getByRole("button", { name: "New evaluator" }).click();
    const dialog = ada.page.getByRole("dialog", { name: "New evaluator" });
    const name = `steps-judge-${Date.now() % 100000}`;
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByLabel("Kind").selectOption("llm_judge");
    // The rubric judge is configured through the form: choosing the mode starts from a labelled 1–5 example.
    await dialog.getByLabel("Judge mode", { exact: true }).selectOption("rubric");
    await dialog.getByLabel("Rubric", { exact: true }).fill("Does the answer give the customer a concrete next step?");
    await dialog.getByLabel("Judge model", { exact: true }).fill("offline-strong-1");
    await dialog.getByLabel("Scale min").fill("1");
    await dialog.getByLabel("Scale max").fill("5");
    await dialog.getByRole("button", { name: "Remove point 2" }).click();
    await dialog.getByLabel("Point 1 value").fill("1");
    await dialog.getByLabel("Point 1 label").fill("no next step");
    await dialog.getByLabel("Point 2 value").fill("5");
    await dialog.getByLabel("Point 2 label").fill("clear next step");
    const config = {
      mode: "rubric", rubric: "Does the answer give the customer a concrete next step?", model: "offline-strong-1",
      scale: { min: 1, max: 5, labels: [{ value: 1, label: "no next step" }, { value: 5, label: "clear next step" }] }, useReference: true,
    };
    expect(await dialog.getByTestId("config-issues").count()).toBe(0);
    // The JSON under "Edit as JSON" is the configuration the form built.
    await dialog.getByText("Edit as JSON").click();
    expect(JSON.parse(await dialog.getByLabel("Configuration (JSON)").inputValue())).toEqual(config);
    await dialog.getByLabel("Try on dataset version").selectOption(exp.dataset_version_id);
    await dialog.getByLabel("Outputs from").selectOption(exp.id);
    await dialog.getByRole("button", { name: "Try on 5 items" }).click();
    await expect.poll(() => dialog.getByTestId("try-result").count(), { timeout: 30_000 }).toBe(5);
    // Each judged output shows the labelled point the judge picked and its score normalized from 1–5.
    const judgements = await dialog.getByTestId("try-judgement").allTextContents();
    expect(judgements.length).toBeGreaterThan(0);
    const scores = await dialog.getByTestId("try-score").allTextContents();
    for (const [k, j] of judgements.entries()) {
      const raw = Number(/^judge (\d+)/.exec(j)![1]);
      expect([1, 5]).toContain(raw);
      expect(scores[k]!.startsWith(((raw - 1) / 4).toFixed(2))).toBe(true);
    }
    expect((await db`select 1 from public.evaluators where org_id = ${DEMO.org.id} and name = ${name}`).length).toBe(0);
    await dialog.getByRole("button", { name: "Save evaluator" }).click();
    await dialog.waitFor({ state: "detached", timeout: 10_000 });
    const [saved] = await db`select kind::text, config from public.evaluators where org_id = ${DEMO.org.id} and name = ${name}`;
    expect(saved).toEqual({ kind: "llm_judge", config });

    // Online: on every regenerated suggestion, at most 50 judge calls a day.
    await ada.page.goto(ada.page.url().replace(/\/experiments$/, "/online-eval"));
    await ada.page.getByTestId("online-evaluator-row").filter({ hasText: "helpfulness" }).waitFor();
    await ada.page.getByRole("button", { name: "Attach evaluator" }).click();
    const attach = ada.page.getByRole("dialog", { name: "Attach an evaluator to live traffic" });
    const option = attach.getByLabel("Evaluator", { exact: true }).locator("option", { hasText: `${name} v1` });
    await attach.getByLabel("Evaluator", { exact: true }).selectOption((await option.getAttribute("value"))!);
    await attach.getByLabel("Sampling rate (%)").fill("100");
    await attach.getByLabel("Judge calls per day").fill("50");
    await attach.getByLabel("Function").fill("regenerate-suggestion");
    await attach.getByRole("button", { name: "Attach" }).click();
    const mine = ada.page.getByTestId("online-evaluator-row").filter({ hasText: name });
    await mine.getByTestId("judge-usage").getByText("0 / 50").waitFor({ timeout: 10_000 });
    const [rule] = await db`select r.id from public.online_evaluators r join public.evaluators e on e.id = r.evaluator_id where r.org_id = ${DEMO.org.id} and e.name = ${name}`;
    expect(rule).toBeDefined();

    // New traffic: Ada regenerates the suggestion of a pending case.
    const [kase] = await db`select id from public.improvement_cases where org_id = ${DEMO.org.id} and status = 'pending' order by created_at limit 1`;
    await ada.page.goto(ada.page.url().replace(/\/online-eval$/, `/cases/${kase!.id}`));
    await ada.page.getByTestId("case-room").waitFor();
    await ada.page.getByRole("region", { name: "Regenerate suggestion" }).getByRole("button", { name: "Regenerate" }).click();
    await ada.page.getByRole("button", { name: "Replace the answer" }).waitFor({ timeout: 30_000 });

    // The worker judges it; the score arrives live with the judge's value, and the rule's usage counts it.
    await ada.page.goto(ada.page.url().replace(/\/cases\/.*$/, "/online-eval"));
    const result = ada.page.getByTestId("online-result-row").filter({ hasText: `${name} v1` }).first();
    await result.getByTestId("judge-raw").waitFor({ timeout: 60_000 });
    const [stored] = await db`select score, details from public.online_eval_results where rule_id = ${rule!.id} order by id limit 1`;
    expect(await result.getByTestId("online-result-score").textContent()).toContain(Number(stored!.score).toFixed(2));
    expect(Number(stored!.score)).toBeCloseTo((Number(stored!.details.raw) - 1) / 4, 9);
    await mine.getByTestId("judge-usage").getByText("1 / 50").waitFor({ timeout: 10_000 });
    // The judge's own call was logged and not sampled by any rule.
    const judged = await db`select r.id from public.ai_requests r where r.org_id = ${DEMO.org.id} and r.function_name = 'worker:online-eval:judge' and r.created_at > now() - interval '5 minutes'`;
    expect(judged.length).toBeGreaterThan(0);
    expect(await db`select 1 from public.online_eval_results where ai_request_id = any(${judged.map((j) => j.id)}::uuid[])`).toHaveLength(0);

    await mine.getByRole("button", { name: "Remove" }).click();
    await mine.waitFor({ state: "detached", timeout: 10_000 });
  }, 400_000);
});
