import { describe, expect, it } from "vitest";
import { DEMO, getStack, sql, useBrowser, demoUser, type Actor } from "./support.ts";

const browser = useBrowser();

// The seeded demo (supabase/seed.sql, "review queues"): Acme's double-review queue, 14 of its 24 items
// already scored by the reviewer, curator and admin.
const QUEUE = "aaaaaaaa-0000-4000-8000-0000000000d9";
const demo = (role: "reviewer" | "curator" | "manager", name: string) => ({ user: demoUser(role), name });
const RAVI = demo("reviewer", "Ravi Reviewer");
const CARMEN = demo("curator", "Carmen Curator");
const MONA = demo("manager", "Mona Manager");
const path = `/o/acme/review-queues/${QUEUE}`;

const ratings = (a: Actor) => a.page.getByTestId("report-ratings");

async function scoreWithKeys(a: Actor, keys: string[]) {
  await a.page.getByTestId("claim-next").waitFor();
  await a.page.keyboard.press("Enter");
  await a.page.getByTestId("work-view").waitFor();
  for (const k of keys) await a.page.keyboard.press(k);
  await a.page.keyboard.press("Enter");
}

describe("review queues (from the seeded demo)", () => {
  it("two reviewers score blind and see each other; the report updates live; a curator adjudicates; the manager sees it", async () => {
    const stack = await getStack();
    const db = sql(stack);
    const mona = await browser.open("mona", MONA.user, path);
    const ravi = await browser.open("ravi", RAVI.user, path);
    const carmen = await browser.open("carmen", CARMEN.user, path);

    // Presence: each reviewer sees the other in the queue.
    await ravi.page.locator(`[data-testid="queue-presence"][aria-label*="${CARMEN.name}"]`).waitFor({ timeout: 15_000 });
    await carmen.page.locator(`[data-testid="queue-presence"][aria-label*="${RAVI.name}"]`).waitFor({ timeout: 15_000 });

    // The manager's report, from the seeded scores: 14 items, 28 submissions × 2 rubrics. The worker
    // computed it at start (public.review_reports); her browser reads that row, never the scores.
    const scoreReads: string[] = [];
    mona.page.on("request", (r) => {
      if (r.url().includes("/rest/v1/scores")) scoreReads.push(r.url());
    });
    await mona.page.getByRole("tab", { name: "Agreement report" }).click();
    await expect.poll(async () => ratings(mona).textContent(), { timeout: 15_000 }).toBe("56");
    await mona.page.getByTestId("alpha-Answer quality").getByTestId("alpha-value").waitFor();

    // Ravi scores the next item with the keyboard: quality 2, needs escalation (1 = yes), Enter.
    await scoreWithKeys(ravi, ["2", "1"]);
    await expect.poll(async () => (await db`select count(*)::int as n from public.scores where reviewer_id = ${RAVI.user.id} and queue_id = ${QUEUE}`)[0]!.n).toBe(30);
    const [{ item_id: itemId, position }] = (await db`
      select a.item_id, i.position from public.review_assignments a join public.review_items i on i.id = a.item_id
      where a.reviewer_id = ${RAVI.user.id} and a.queue_id = ${QUEUE} and a.status = 'submitted' order by a.submitted_at desc limit 1`) as unknown as [{ item_id: string; position: number }];
    // The report moved without a reload.
    await expect.poll(async () => ratings(mona).textContent(), { timeout: 15_000 }).toBe("58");

    // Carmen takes the same item (its second slot). Blind: her view of the queue's scores holds none of Ravi's on it.
    await carmen.page.getByTestId("claim-next").waitFor();
    await carmen.page.keyboard.press("Enter");
    await carmen.page.getByTestId("work-view").waitFor();
    await expect.poll(async () => (await db`select item_id from public.review_assignments where reviewer_id = ${CARMEN.user.id} and queue_id = ${QUEUE} and status = 'leased'`)[0]?.item_id).toBe(itemId);
    const carmenPeek = await carmen.page.evaluate(async ([q, item]) => {
      const raw = Object.entries(localStorage).find(([k]) => k.includes("auth-token"))?.[1];
      const token = raw ? (JSON.parse(raw) as { access_token: string }).access_token : "";
      const cfg = (window as unknown as { __REVIEW_ENV__: { supabaseUrl: string; supabaseAnonKey: string } }).__REVIEW_ENV__;
      const res = await fetch(`${cfg.supabaseUrl}/rest/v1/scores?select=reviewer_id,value&queue_id=eq.${q}&item_id=eq.${item}`, { headers: { apikey: cfg.supabaseAnonKey, authorization: `Bearer ${token}` } });
      return (await res.json()) as unknown[];
    }, [QUEUE, itemId] as const);
    expect(carmenPeek).toEqual([]);
    // She disagrees: quality 5, no escalation (2 = no).
    await carmen.page.keyboard.press("5");
    await carmen.page.keyboard.press("2");
    await carmen.page.keyboard.press("Enter");
    await expect.poll(async () => ratings(mona).textContent(), { timeout: 15_000 }).toBe("60");

    expect(scoreReads).toEqual([]);

    // Ravi's progress bar moved on Mona's progress tab too.
    await mona.page.getByRole("tab", { name: "Progress" }).click();
    await expect.poll(async () => mona.page.getByTestId(`progress-${RAVI.name}`).getByTestId("progress-count").textContent()).toBe("15");

    // Carmen adjudicates the disagreement she now sees side by side.
    await carmen.page.getByRole("tab", { name: "Adjudication" }).click();
    const row = carmen.page.getByTestId(`disagreement-${position}-Answer quality`);
    await row.waitFor({ timeout: 15_000 });
    await row.getByText(`${RAVI.name}:`).waitFor();
    await row.getByRole("button", { name: "3 · Partial" }).click();
    await row.getByLabel("Reason").fill("Correct policy, but it misses the refund timeline");
    await row.getByRole("button", { name: "Decide" }).click();
    await row.getByText("Final: 3").waitFor({ timeout: 10_000 });
    const audit = await db`select actor_id from public.audit_logs where action = 'review.adjudicated' and entity_id = ${itemId}`;
    expect(audit.map((a) => a.actor_id)).toEqual([CARMEN.user.id]);

    // The manager sees the decision.
    await mona.page.getByRole("tab", { name: "Adjudication" }).click();
    await mona.page.getByTestId(`disagreement-${position}-Answer quality`).getByText("Final: 3").waitFor({ timeout: 15_000 });

    // And the throughput board counts today's scoring: Ravi's 14 seeded items, the one he just scored, and
    // whatever other scenarios on the same seeded demo had him score (the experiment-review one does).
    await mona.page.locator(".nav-link", { hasText: "Review queues" }).click();
    const [{ n: scored }] = (await db`
      select count(*)::int as n from public.review_assignments
      where org_id = ${DEMO.org.id} and reviewer_id = ${RAVI.user.id} and status = 'submitted' and submitted_at >= now() - interval '14 days'`) as unknown as [{ n: number }];
    expect(scored).toBeGreaterThanOrEqual(15);
    await expect.poll(async () => mona.page.getByTestId(`throughput-${RAVI.name}`).getByTestId("throughput-total").textContent(), { timeout: 15_000 }).toBe(String(scored));
  });
});
