import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { parseJsonl } from "@review/shared/datasets/import";
import { DEMO, demoUser, editorText, getStack, sql, unique, useBrowser } from "./support.ts";

const browser = useBrowser();

// The seeded demo's co-edited draft (supabase/seed.sql, "dataset draft co-editing"): Ada (admin) and
// Carmen (curator) edit it together, Ravi (reviewer) watches, and publishing freezes what they wrote.
describe("a dataset draft co-edited live", () => {
  it("two editors see each other and each other's edits; the reviewer watches read-only; publishing freezes the co-edited text, which the export reads", async () => {
    const stack = await getStack();
    const db = sql(stack);
    const [draft] = await db`
      select v.id::text, v.dataset_id::text, v.version from public.dataset_versions v join public.datasets d on d.id = v.dataset_id
       where d.org_id = ${DEMO.org.id} and d.name = 'Refund answers (co-edited draft)' and v.status = 'draft'`;
    expect(draft).toBeDefined();
    const path = `/o/${DEMO.org.slug}/datasets/${draft!.dataset_id}?version=${draft!.id}`;
    const ada = await browser.open("ada (admin)", demoUser("admin"), path);
    const carmen = await browser.open("carmen (curator)", demoUser("curator"), path);

    // Each sees the other in the draft.
    await ada.page.getByTestId("room-participants").locator('[data-name="Carmen Curator"]').waitFor({ timeout: 15_000 });
    await carmen.page.getByTestId("room-participants").locator('[data-name="Ada Admin"]').waitFor({ timeout: 15_000 });

    // Carmen opens item 1's expected answer and adds a sentence.
    await carmen.page.getByRole("button", { name: "Edit expected answer 1" }).click();
    await carmen.page.getByTestId("answer-editor").click();
    await carmen.page.keyboard.press("Control+End");
    await carmen.page.keyboard.type(" Card refunds can take 3 more days to appear.", { delay: 30 });

    // Ada sees that Carmen is in that field, and her sentence as she types it.
    const adaFirst = ada.page.getByTestId("dataset-item").first().getByTestId("item-expected");
    await adaFirst.getByTestId("field-presence").getByText(/Carmen Curator/).waitFor({ timeout: 10_000 });
    await expect
      .poll(() => adaFirst.getByTestId("field-text").textContent(), { timeout: 15_000 })
      .toBe("Refunds are processed within 5 business days. Card refunds can take 3 more days to appear.");

    // Ada joins the same field and writes at its start; Carmen's editor shows it.
    await ada.page.getByRole("button", { name: "Edit expected answer 1" }).click();
    await ada.page.getByTestId("answer-editor").click();
    await ada.page.keyboard.press("Control+Home");
    await ada.page.keyboard.type("Good news: ", { delay: 30 });
    const final = "Good news: Refunds are processed within 5 business days. Card refunds can take 3 more days to appear.";
    await expect.poll(() => editorText(carmen.page), { timeout: 15_000 }).toBe(final);
    await expect.poll(() => editorText(ada.page), { timeout: 15_000 }).toBe(final);

    // Ada adds an item; Carmen's list grows without a reload (the draft's count moves, her page refetches).
    const before = await carmen.page.getByTestId("dataset-item").count();
    await ada.page.getByLabel("New item input").fill("Is a refund possible after 30 days?");
    await ada.page.getByRole("button", { name: "Add item" }).click();
    await expect.poll(() => carmen.page.getByTestId("dataset-item").count(), { timeout: 15_000 }).toBe(before + 1);
    await carmen.page.getByText("Is a refund possible after 30 days?").waitFor({ timeout: 15_000 });

    // Ravi (reviewer) watches: the live text, nothing to edit, nothing to publish.
    const ravi = await browser.open("ravi (reviewer)", demoUser("reviewer"), path);
    await expect
      .poll(() => ravi.page.getByTestId("dataset-item").first().getByTestId("item-expected").getByTestId("field-text").textContent(), { timeout: 15_000 })
      .toBe(final);
    await ravi.page.getByTestId("room-participants").locator('[data-name="Ada Admin"]').waitFor({ timeout: 15_000 });
    expect(await ravi.page.getByRole("button", { name: /^Edit / }).count()).toBe(0);
    expect(await ravi.page.getByRole("button", { name: /^Publish/ }).count()).toBe(0);
    expect(await ravi.page.getByTestId("answer-editor").count()).toBe(0);

    // Carmen publishes right away: her and Ada's last keystrokes are stored and copied first.
    await carmen.page.getByRole("button", { name: `Publish v${draft!.version}` }).click();
    await carmen.page.getByText(`v${draft!.version} · published`).first().waitFor({ timeout: 30_000 });
    const [row] = await db`select expected from public.dataset_items where version_id = ${draft!.id} and position = 0`;
    expect(row!.expected).toBe(final);
    await expect
      .poll(() => carmen.page.getByTestId("dataset-item").first().getByTestId("item-expected").textContent(), { timeout: 10_000 })
      .toBe(final);
    // Frozen: nobody is offered an editor any more, and the document refuses appends.
    expect(await carmen.page.getByRole("button", { name: /^Edit / }).count()).toBe(0);
    expect(await carmen.page.getByTestId("answer-editor").count()).toBe(0);

    // The export of the published version carries the co-edited text.
    const [download] = await Promise.all([
      carmen.page.waitForEvent("download"),
      carmen.page.getByRole("button", { name: "Export JSONL" }).click(),
    ]);
    const parsed = parseJsonl(fs.readFileSync((await download.path())!, "utf8"));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.items[0]!.expected).toBe(final);
    expect(parsed.items).toHaveLength(before + 1);
    expect(parsed.items.at(-1)!.query).toBe("Is a refund possible after 30 days?");
  }, 180_000);

  it("a 1,000-item import: only the rows in view are in the page, draft and published; two editors co-edit its last item after scrolling to it, and publishing keeps it", async () => {
    const stack = await getStack();
    const db = sql(stack);
    const N = 1000;
    const name = unique("Bulk import");
    const jsonl = Array.from({ length: N }, (_, i) => JSON.stringify({ query: `Bulk question ${i + 1}: where is order ${5000 + i}?`, expected: `Order ${5000 + i} ships within 2–4 days.` })).join("\n");

    // Carmen imports the file through the dialog and lands on its draft.
    const carmen = await browser.open("carmen (curator)", demoUser("curator"), `/o/${DEMO.org.slug}/datasets`);
    await carmen.page.getByRole("button", { name: "Import CSV / JSONL" }).click();
    const dialog = carmen.page.getByRole("dialog", { name: "Import a dataset" });
    await dialog.getByLabel("Dataset file").setInputFiles({ name: "bulk.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(jsonl) });
    await dialog.getByLabel("Import name").fill(name);
    await dialog.getByRole("button", { name: "Import" }).click();
    await carmen.page.getByTestId("dataset-item").first().waitFor({ timeout: 30_000 });
    const [version] = await db`select v.id::text, v.dataset_id::text, v.item_count from public.dataset_versions v join public.datasets d on d.id = v.dataset_id where d.org_id = ${DEMO.org.id} and d.name = ${name}`;
    expect(version!.item_count).toBe(N);
    // A page of rows, not a thousand.
    const inPage = await carmen.page.getByTestId("dataset-item").count();
    expect(inPage).toBeGreaterThan(3);
    expect(inPage).toBeLessThan(100);

    // Ada opens the same draft; both scroll to the end, where item 1,000 is rendered when reached.
    const ada = await browser.open("ada (admin)", demoUser("admin"), `/o/${DEMO.org.slug}/datasets/${version!.dataset_id}?version=${version!.id}`);
    await ada.page.getByTestId("dataset-item").first().waitFor({ timeout: 30_000 });
    const toEnd = (page: typeof ada.page) => page.locator(".content").evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    const lastEdit = (page: typeof ada.page) => page.getByRole("button", { name: `Edit expected answer ${N}`, exact: true });
    for (const who of [carmen, ada]) {
      await expect.poll(async () => {
        await toEnd(who.page);
        return lastEdit(who.page).count();
      }, { timeout: 15_000 }).toBe(1);
    }
    const adaLast = ada.page.getByTestId("dataset-item").filter({ has: lastEdit(ada.page) }).getByTestId("item-expected");

    await lastEdit(carmen.page).click();
    await carmen.page.getByTestId("answer-editor").click();
    await carmen.page.keyboard.press("Control+End");
    await carmen.page.keyboard.type(" Express: next day.", { delay: 20 });
    await expect.poll(() => adaLast.getByTestId("field-text").textContent(), { timeout: 15_000 }).toBe(`Order ${5000 + N - 1} ships within 2–4 days. Express: next day.`);
    await adaLast.getByTestId("field-presence").getByText(/Carmen Curator/).waitFor();

    // Carmen scrolls back to the top: her open field stays rendered (the editor keeps its text and
    // focus), and what she types there still reaches Ada.
    await carmen.page.locator(".content").evaluate((el) => el.scrollTo({ top: 0 }));
    await carmen.page.getByRole("button", { name: "Edit expected answer 1", exact: true }).waitFor();
    expect(await carmen.page.getByTestId("answer-editor").count()).toBe(1);
    await carmen.page.keyboard.type(" Free.", { delay: 20 });
    const final = `Order ${5000 + N - 1} ships within 2–4 days. Express: next day. Free.`;
    await expect.poll(() => adaLast.getByTestId("field-text").textContent(), { timeout: 15_000 }).toBe(final);

    // Published, the frozen table is rendered the same way, and its last row holds the co-edited text.
    await carmen.page.getByRole("button", { name: "Done" }).click();
    await carmen.page.getByRole("button", { name: "Publish v1" }).click();
    await carmen.page.getByText("v1 · published").first().waitFor({ timeout: 60_000 });
    const [stored] = await db`select expected from public.dataset_items where version_id = ${version!.id} and position = ${N - 1}`;
    expect(stored!.expected).toBe(final);
    const published = await carmen.page.getByTestId("dataset-item").count();
    expect(published).toBeGreaterThan(3);
    expect(published).toBeLessThan(100);
    const lastRow = carmen.page.getByTestId("dataset-item").filter({ has: carmen.page.getByText(`${N}`, { exact: true }) });
    await expect.poll(async () => {
      await toEnd(carmen.page);
      return lastRow.count();
    }, { timeout: 15_000 }).toBe(1);
    expect(await lastRow.getByTestId("item-expected").textContent()).toBe(final);
  }, 180_000);
});
