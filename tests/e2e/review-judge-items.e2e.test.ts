import { describe, expect, it } from "vitest";
import { judgeItems, type JudgeScoreRow } from "@review/shared/review/judge";
import type { FinalScore, Rubric } from "@review/shared/review/report";
import { waitFor } from "../helpers/stack.ts";
import { DEMO, demoUser, getStack, sql, useBrowser, type Actor } from "./support.ts";

const browser = useBrowser();

// The seeded demo (supabase/seed.sql, "review queues" and "judge vs human"): Acme's double-review queue,
// 14 of its 24 items scored by two people, and a review_judge run the worker does at start.
const QUEUE = "aaaaaaaa-0000-4000-8000-0000000000d9";
const RUBRICS = ["aaaaaaaa-0000-4000-8000-0000000000d1", "aaaaaaaa-0000-4000-8000-0000000000d2"];
const CARMEN = demoUser("curator");
const path = `/o/${DEMO.org.slug}/review-queues/${QUEUE}`;

/** A value as the table writes it: levels are numbers, escalation yes or no. */
const shown = (v: unknown) => (v === undefined || v === null ? "—" : typeof v === "boolean" ? (v ? "yes" : "no") : String(v));

describe("judge vs human, per item (from the seeded demo)", () => {
  it("a curator sees the judge's value next to the people's final on the items she may read, the disagreements highlighted and filtered; the manager sees every judged item", async () => {
    const db = sql(await getStack());
    // The seeded run (and any other run of this queue) has finished: the page shows the newest that completed.
    const job = await waitFor(async () => {
      const jobs = await db`select id, status::text from public.jobs where kind = 'review_judge' and config ->> 'queueId' = ${QUEUE} order by created_at desc`;
      if (!jobs.length || jobs.some((j) => j.status === "pending" || j.status === "running")) return null;
      return jobs.find((j) => j.status === "completed") ?? null;
    }, { timeout: 120_000, message: "the seeded judge run finished" });
    const rubrics = (await db`select id, name, version, kind, min_value, max_value, step, levels, categories, multi from public.score_configs where id in ${db(RUBRICS)}`) as unknown as Rubric[];

    /** What the reader should see, computed from the rows with the shared code: Carmen reads the items she scored or that are complete. */
    const expected = async (blind: boolean) => {
      const judge = (await db`
        select s.item_id, s.score_config_id, s.value from public.judge_scores s join public.review_items i on i.id = s.item_id
        where s.job_id = ${job.id} and (${!blind} or i.status = 'complete' or exists (
          select 1 from public.review_assignments a where a.item_id = i.id and a.reviewer_id = ${CARMEN.id} and a.status = 'submitted'))`) as unknown as JudgeScoreRow[];
      const [report] = await db`select finals from public.review_reports where queue_id = ${QUEUE}`;
      const items = judgeItems(rubrics, (report?.finals ?? []) as FinalScore[], judge);
      return { items, judged: items.size, disagreeing: [...items.values()].filter((i) => i.disagrees).length };
    };
    const counted = (a: Actor) => a.page.getByTestId("judge-items-count").textContent();

    const carmen = await browser.open("carmen (curator)", CARMEN, path);
    await carmen.page.getByRole("tab", { name: "Agreement report" }).click();
    const table = carmen.page.getByTestId("judge-items");
    await table.waitFor({ timeout: 30_000 });
    await expect.poll(async () => {
      const e = await expected(true);
      return (await counted(carmen))?.startsWith(`${e.judged} items judged, ${e.disagreeing} where the judge differs from the people's final`);
    }, { timeout: 20_000 }).toBe(true);
    const mine = await expected(true);
    expect(mine.judged).toBeGreaterThan(0);
    expect(await table.getByTestId("judge-item").count()).toBe(mine.judged);

    // Blind: the items nobody has finished and she has not scored are not among them, and asking REST
    // for the judge's value of one gives nothing.
    const [open] = await db`
      select i.id from public.review_items i where i.queue_id = ${QUEUE} and i.status = 'open'
        and not exists (select 1 from public.review_assignments a where a.item_id = i.id and a.reviewer_id = ${CARMEN.id} and a.status = 'submitted')
      order by i.position limit 1`;
    expect(open).toBeDefined();
    expect(mine.items.has(open!.id as string)).toBe(false);
    const [{ n: judgedThere }] = (await db`select count(*)::int as n from public.judge_scores where job_id = ${job.id} and item_id = ${open!.id}`) as unknown as [{ n: number }];
    expect(judgedThere).toBeGreaterThan(0);
    const peek = await carmen.page.evaluate(async (item) => {
      const raw = Object.entries(localStorage).find(([k]) => k.includes("auth-token"))?.[1];
      const token = raw ? (JSON.parse(raw) as { access_token: string }).access_token : "";
      const cfg = (window as unknown as { __REVIEW_ENV__: { supabaseUrl: string; supabaseAnonKey: string } }).__REVIEW_ENV__;
      const res = await fetch(`${cfg.supabaseUrl}/rest/v1/judge_scores?select=value&item_id=eq.${item}`, { headers: { apikey: cfg.supabaseAnonKey, authorization: `Bearer ${token}` } });
      return (await res.json()) as unknown[];
    }, open!.id as string);
    expect(peek).toEqual([]);

    // "Judge disagrees with humans": only the highlighted rows remain, each with a value that differs.
    // (The seeded judge differs from the people on some item she may read: the rows below are checked.)
    expect(mine.disagreeing).toBeGreaterThan(0);
    await carmen.page.getByRole("checkbox", { name: "Judge disagrees with humans" }).check();
    const rows = table.getByTestId("judge-item");
    await expect.poll(() => rows.count()).toBe(mine.disagreeing);
    for (const flag of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-disagrees")))) expect(flag).toBe("true");
    if (mine.disagreeing > 0) {
      // The first flagged row shows the judge's value and the people's for each rubric, the different one marked.
      const first = rows.first();
      const position = Number(await first.getAttribute("data-position"));
      const [{ id: itemId }] = (await db`select id from public.review_items where queue_id = ${QUEUE} and position = ${position}`) as unknown as [{ id: string }];
      const item = mine.items.get(itemId)!;
      expect(item.disagrees).toBe(true);
      for (const c of item.cells) {
        const name = rubrics.find((r) => r.id === c.rubricId)!.name;
        expect(await first.getByTestId(`judge-value-${name}`).textContent()).toBe(shown(c.judge));
        const human = (await first.getByTestId(`human-value-${name}`).textContent()) ?? "";
        expect(human.startsWith(c.human === undefined ? "no final yet" : shown(c.human))).toBe(true);
        expect(human.includes("differs")).toBe(c.disagrees);
      }
    }
    await carmen.page.getByRole("checkbox", { name: "Judge disagrees with humans" }).uncheck();
    await expect.poll(() => rows.count()).toBe(mine.judged);

    // Mona (manager, reads everything) sees every item the judge scored, more than the curator.
    const mona = await browser.open("mona (manager)", demoUser("manager"), path);
    await mona.page.getByRole("tab", { name: "Agreement report" }).click();
    await mona.page.getByTestId("judge-items").waitFor({ timeout: 30_000 });
    const all = await expected(false);
    expect(all.judged).toBeGreaterThan(mine.judged);
    await expect.poll(async () => (await counted(mona))?.startsWith(`${all.judged} items judged, ${all.disagreeing} where`), { timeout: 20_000 }).toBe(true);
  }, 240_000);
});
