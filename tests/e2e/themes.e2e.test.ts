import { describe, expect, it } from "vitest";
import { getStack, sql, useBrowser, demoUser } from "./support.ts";

const browser = useBrowser();
const ACME = "aaaaaaaa-0000-4000-8000-000000000001";

describe("feedback themes", () => {
  it("the seeded reviewer reads the themes the worker computed and labels every item of one", async () => {
    const stack = await getStack();
    const db = sql(stack);
    // The seed queued Acme's first themes job; the run's worker computes them.
    await expect.poll(async () => (await db`select status from public.jobs where org_id = ${ACME} and kind = 'themes'`)[0]?.status, { timeout: 60_000 }).toBe("completed");
    const [{ slug }] = (await db`select slug from public.organizations where id = ${ACME}`) as unknown as [{ slug: string }];
    const themes = await db`select id, name, size from public.feedback_themes where org_id = ${ACME} and is_current order by size desc, name`;
    expect(themes.length).toBeGreaterThanOrEqual(2);

    const rita = await browser.open("rita (reviewer)", demoUser("reviewer"), `/o/${slug}/themes`);
    const cards = rita.page.getByTestId("theme");
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(themes.length);
    const top = cards.filter({ hasText: themes[0]!.name });
    await top.getByText(`${themes[0]!.size} items`).waitFor();
    await expect.poll(() => top.getByRole("list", { name: "Examples" }).locator("li").count()).toBeGreaterThan(0);
    // A reviewer triages and opens cases; recomputing is an admin's.
    expect(await rita.page.getByRole("button", { name: "Recompute" }).count()).toBe(0);

    await top.getByLabel(`Label for ${themes[0]!.name}`).fill("theme-top");
    await top.getByRole("button", { name: "Label all" }).click();
    await expect.poll(async () => (await db`select count(*)::int as n from public.feedback_theme_items i join public.feedback f on f.id = i.feedback_id
                                            where i.theme_id = ${themes[0]!.id} and 'theme-top' = any (f.labels)`)[0]!.n, { timeout: 15_000 }).toBe(themes[0]!.size);
  });
});
