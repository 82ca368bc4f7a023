import { describe, expect, it } from "vitest";
import { humanConsensus } from "@review/shared/review/judge";
import type { Rubric } from "@review/shared/review/report";
import { demoUser, getStack, sql, useBrowser } from "./support.ts";

const browser = useBrowser();

// The seeded demo (supabase/seed.sql, "review queues" and "judge vs human"): Acme's double-review queue
// with 14 of its 24 items scored by Ravi, Carmen and the admin, and a first judge run the worker does at start.
const QUEUE = "aaaaaaaa-0000-4000-8000-0000000000d9";

describe("judge vs human and the reviewers' board (from the seeded demo)", () => {
  it("a curator runs the judge on the seeded queue and sees the Judge vs human section; the manager's board shows the seeded reviewers' throughput", async () => {
    const db = sql(await getStack());
    const carmen = await browser.open("carmen", demoUser("curator"), `/o/acme/review-queues/${QUEUE}`);
    await carmen.page.getByRole("tab", { name: "Agreement report" }).click();
    const section = carmen.page.getByTestId("judge-section");
    await section.waitFor();

    // The seeded run finishes first (the worker took it at start); Carmen then runs the judge again.
    const seeded = async () => (await db`select status::text from public.jobs where kind = 'review_judge' and config ->> 'queueId' = ${QUEUE} order by created_at limit 1`)[0]?.status;
    await expect.poll(seeded, { timeout: 60_000 }).toBe("completed");
    const button = carmen.page.getByTestId("run-judge");
    await expect.poll(async () => (await button.textContent()) ?? "", { timeout: 15_000 }).toMatch(/Run the judge again/);
    await expect.poll(async () => button.isEnabled(), { timeout: 15_000 }).toBe(true);
    await button.click();
    const runs = async () => (await db`select status::text, created_by from public.jobs where kind = 'review_judge' and config ->> 'queueId' = ${QUEUE} order by created_at`) as unknown as Array<{ status: string; created_by: string }>;
    await expect.poll(async () => (await runs()).length, { timeout: 15_000 }).toBe(2);
    expect((await runs())[1]!.created_by).toBe(demoUser("curator").id);
    await expect.poll(async () => (await runs())[1]!.status, { timeout: 60_000 }).toBe("completed");

    // The section shows the newest run against the reviewers' consensus, per rubric: compared over the
    // scored items where people reached one (a tie between two reviewers is none), of the 24 judged.
    const rubrics = (await db`select id, name, version, kind, min_value, max_value, step, levels, categories, multi from public.score_configs
      where id in ('aaaaaaaa-0000-4000-8000-0000000000d1', 'aaaaaaaa-0000-4000-8000-0000000000d2')`) as unknown as Rubric[];
    const expected = async () => {
      const scores = await db`select item_id, reviewer_id, score_config_id, value from public.scores where queue_id = ${QUEUE}`;
      const adj = await db`select item_id, score_config_id, value from public.adjudications where queue_id = ${QUEUE}`;
      const c = humanConsensus(rubrics, scores as never, adj as never);
      return `${[...c.keys()].filter((k) => k.endsWith("/aaaaaaaa-0000-4000-8000-0000000000d1")).length} of 24`;
    };
    const quality = section.getByTestId("judge-Answer quality");
    await expect.poll(async () => ((await quality.getByTestId("judge-n").textContent()) ?? "") === (await expected()), { timeout: 20_000 }).toBe(true);
    expect(await expected()).not.toBe("0 of 24");
    await expect.poll(async () => (await quality.getByTestId("judge-alpha").textContent()) ?? "").toMatch(/^-?\d\.\d{3}$/);
    await section.getByTestId("judge-Needs escalation").waitFor();
    const [{ n }] = (await db`
      select count(*)::int as n from public.judge_scores s join public.jobs j on j.id = s.job_id
      where s.queue_id = ${QUEUE} and j.created_by = ${demoUser("curator").id}`) as unknown as [{ n: number }];
    expect(n).toBe(2 * 2 * 24);

    // The manager's board: reviewer throughput for the seeded reviewers (the seed gives Ravi 14 ratings,
    // Carmen 10, Ada 4; other scenarios on the same demo may add a few), as the slots say.
    const mona = await browser.open("mona", demoUser("manager"), "/o/acme/boards");
    const board = mona.page.getByTestId("review-board");
    await board.waitFor({ timeout: 20_000 });
    const items = (who: string) => board.getByTestId(`board-throughput-${who}`).getByTestId("board-throughput-items");
    const submitted = async (id: string) =>
      String((await db`select count(*)::int as n from public.review_assignments where reviewer_id = ${id} and status = 'submitted' and org_id = 'aaaaaaaa-0000-4000-8000-000000000001'`)[0]!.n);
    for (const [who, role] of [["Ravi Reviewer", "reviewer"], ["Carmen Curator", "curator"], ["Ada Admin", "admin"]] as const) {
      await expect.poll(async () => ((await items(who).textContent()) ?? "") === (await submitted(demoUser(role).id)), { timeout: 20_000 }).toBe(true);
    }
    expect(Number(await items("Ravi Reviewer").textContent())).toBeGreaterThanOrEqual(14);
    // Cost per reviewed item: over the items completed in the range (the offline judge is free: $0.0000).
    const completed = async () => String((await db`select count(*)::int as n from public.review_items where org_id = 'aaaaaaaa-0000-4000-8000-000000000001' and status = 'complete'`)[0]!.n);
    await expect.poll(async () => ((await board.getByTestId("items-reviewed").textContent()) ?? "") === (await completed()), { timeout: 20_000 }).toBe(true);
    await expect.poll(async () => (await board.getByTestId("cost-per-item").textContent()) ?? "").toMatch(/^\$\d+\.\d{4}$/);
  }, 180_000);
});
