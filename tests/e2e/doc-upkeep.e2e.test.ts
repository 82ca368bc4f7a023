import { describe, expect, it } from "vitest";
import { demoUser, editorText, getStack, sql, useBrowser } from "./support.ts";

const browser = useBrowser();

// From the seeded demo: Acme's pending case 8 was co-edited before the stack started (supabase/seed.sql,
// "document upkeep"). The worker owns its document: it folded the long update log and keeps the case
// row's text copy equal to what the curators see, whoever typed last, with no browser writing it.
const carmen = demoUser("curator");
const caseId = "cccccccc-0000-4000-8000-000000000008";

describe("document upkeep (seeded demo)", () => {
  it("the co-edited answer is what the case row holds, and Carmen's next edit reaches it through the worker", async () => {
    const stack = await getStack();
    const stored = async () => (await sql(stack)`select suggested_response from public.improvement_cases where id = ${caseId}`)[0]!.suggested_response as string;
    const a = await browser.open("carmen (curator)", carmen, `/o/acme/cases/${caseId}`);
    await a.page.getByTestId("doc-status").getByText("Live").waitFor({ timeout: 20_000 });
    await expect.poll(() => editorText(a.page), { timeout: 15_000 }).toMatch(/Good news: the refund is already on its way .* the same day\.$/);
    const seeded = await editorText(a.page);
    // The worker folded the 200+ updates into a snapshot on start and copied the text.
    await expect.poll(stored, { timeout: 15_000 }).toBe(seeded);
    const [snap] = await sql(stack)`select count(*)::int as n from public.doc_snapshots where doc_id = ${`case:${caseId}`}`;
    expect(snap!.n).toBeGreaterThan(0);
    // Authorship still names who wrote what after the compaction.
    await a.page.getByLabel("Show authorship").check();
    await expect.poll(() => a.page.getByTestId("authorship-legend").textContent(), { timeout: 15_000 }).toMatch(/(?=.*Carmen Curator)(?=.*Suggestion)/);

    await a.page.getByTestId("answer-editor").click();
    await a.page.keyboard.press("Control+End");
    await a.page.keyboard.type(" Thanks for your patience.", { delay: 20 });
    await expect.poll(() => editorText(a.page), { timeout: 10_000 }).toBe(`${seeded} Thanks for your patience.`);
    await expect.poll(stored, { timeout: 15_000 }).toBe(`${seeded} Thanks for your patience.`);
  });
});
