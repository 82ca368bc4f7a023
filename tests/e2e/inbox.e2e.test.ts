import { describe, expect, it } from "vitest";
import { addMember, createOrg, displayName, getStack, insertFeedback, sql, unique, useBrowser, type Actor } from "./support.ts";

const browser = useBrowser();

const row = (a: Actor, id: string) => a.page.locator(`[data-feedback-id="${id}"]`);

describe("inbox", () => {
  it("two reviewers see each other's presence on a row and a claim at once", async () => {
    const stack = await getStack();
    const org = await createOrg(stack, "presence");
    const bob = await addMember(stack, org, "presence-bob", "reviewer");
    const [first] = await insertFeedback(stack, org.id, [{ query: unique("Refund for a double charge?") }, { query: unique("Where is my parcel?") }]);

    const alice = await browser.open("alice", org.users.reviewer, `/o/${org.slug}/inbox`);
    const bobA = await browser.open("bob", bob, `/o/${org.slug}/inbox`);
    await row(alice, first!).waitFor();
    await row(bobA, first!).waitFor();

    // Alice opens the item: Bob sees her avatar on that row.
    await row(alice, first!).click();
    await alice.page.getByTestId("feedback-panel").waitFor();
    await row(bobA, first!).locator(`[data-testid="row-viewers"] [data-name="${displayName(org.users.reviewer)}"]`).waitFor({ timeout: 10_000 });

    // Alice claims it with the keyboard: Bob sees the claim on the row, and it is stored.
    await alice.page.keyboard.press("m");
    await row(bobA, first!).locator(`[data-testid="row-claim"][data-claimed-by="${org.users.reviewer.id}"]`).waitFor({ timeout: 10_000 });
    await expect.poll(async () => (await sql(stack)`select claimed_by from public.feedback where id = ${first!}`)[0]!.claimed_by).toBe(org.users.reviewer.id);

    // Alice leaves the item: her avatar leaves Bob's row.
    await alice.page.keyboard.press("Escape");
    await row(bobA, first!).locator('[data-testid="row-viewers"]').waitFor({ state: "detached", timeout: 10_000 });
  });

  it("new feedback appears in an open inbox without a reload", async () => {
    const stack = await getStack();
    const org = await createOrg(stack, "live");
    await insertFeedback(stack, org.id, [{ query: unique("Existing question") }]);
    const rev = await browser.open("reviewer", org.users.reviewer, `/o/${org.slug}/inbox`);
    await rev.page.locator("[data-feedback-id]").first().waitFor();
    const before = await rev.page.getByTestId("inbox-count").textContent();

    const text = unique("Brand new complaint about shipping");
    const [id] = await insertFeedback(stack, org.id, [{ query: text, rating: 2 }]);
    await row(rev, id!).getByText(text).waitFor({ timeout: 10_000 });
    expect(await rev.page.getByTestId("inbox-count").textContent()).not.toBe(before);
    // It arrived through Realtime: the page never navigated.
    expect(await rev.page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
  });

  it("a reviewer adds feedback by hand; a second reviewer's open inbox shows it without a reload", async () => {
    const stack = await getStack();
    const org = await createOrg(stack, "manual");
    const bob = await addMember(stack, org, "manual-bob", "reviewer");
    await insertFeedback(stack, org.id, [{ query: unique("Existing question"), labels: ["billing"] }]);
    const alice = await browser.open("alice", org.users.reviewer, `/o/${org.slug}/inbox`);
    const bobA = await browser.open("bob", bob, `/o/${org.slug}/inbox`);
    await alice.page.locator("[data-feedback-id]").first().waitFor();
    await bobA.page.locator("[data-feedback-id]").first().waitFor();

    await alice.page.getByRole("button", { name: "New feedback" }).click();
    const dialog = alice.page.getByRole("dialog", { name: "New feedback" });
    await dialog.waitFor();
    const query = unique("Manual: the bot promised a refund it cannot give");
    await dialog.getByLabel("Question").fill(query);
    await dialog.getByLabel("Answer being rated").fill("Sure, I have refunded you twice.");
    await dialog.getByLabel("Comment (optional)").fill("It made up a refund.");
    await dialog.getByLabel("Labels (optional)").fill("Refund, #hallucination");

    // No rating chosen: said next to the rating, nothing stored, nothing typed lost.
    await dialog.getByRole("button", { name: "Add feedback" }).click();
    await dialog.getByRole("alert").filter({ hasText: "Choose a rating from 1 to 5." }).waitFor();
    expect((await sql(stack)`select count(*)::int as n from public.feedback where org_id = ${org.id}`)[0]!.n).toBe(1);
    expect(await dialog.getByLabel("Question").inputValue()).toBe(query);

    await dialog.getByRole("radio", { name: /^2 / }).check();
    await dialog.getByRole("alert").waitFor({ state: "detached" });

    // The server refuses (her role was just lowered to manager): a clear toast, the dialog stays filled in.
    await sql(stack)`update public.memberships set role = 'manager' where org_id = ${org.id} and user_id = ${org.users.reviewer.id}`;
    await dialog.getByRole("button", { name: "Add feedback" }).click();
    const failure = alice.page.locator(".toast-error").filter({ hasText: "Could not add the feedback" });
    await failure.getByText(/does not allow adding feedback\. Everything you typed is still in the form\./).waitFor();
    expect(await dialog.getByLabel("Question").inputValue()).toBe(query);
    expect(await dialog.getByRole("radio", { name: /^2 / }).isChecked()).toBe(true);

    // Role restored, the same dialog saves: stored as manual feedback, and the dialog closes.
    await sql(stack)`update public.memberships set role = 'reviewer' where org_id = ${org.id} and user_id = ${org.users.reviewer.id}`;
    await dialog.getByRole("button", { name: "Add feedback" }).click();
    await dialog.waitFor({ state: "detached" });
    const [stored] = await sql(stack)`select id, rating, response, comment, labels, source, status from public.feedback where org_id = ${org.id} and query = ${query}`;
    expect(stored).toMatchObject({ rating: 2, response: "Sure, I have refunded you twice.", comment: "It made up a refund.", labels: ["refund", "hallucination"], source: "manual", status: "new" });

    // Alice sees it at once, under her cursor; Bob sees it arrive live.
    await row(alice, stored!.id).getByText(query).waitFor();
    await expect.poll(() => alice.page.locator('[data-feedback-id][aria-current="true"]').getAttribute("data-feedback-id")).toBe(stored!.id);
    await row(bobA, stored!.id).getByText(query).waitFor({ timeout: 10_000 });
    await expect.poll(() => bobA.page.getByTestId("inbox-count").textContent()).toMatch(/^2 /);
    expect(await bobA.page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
  });

  it("keyboard triage of five items: move, select, dismiss, label, claim, open a case", async () => {
    const stack = await getStack();
    const org = await createOrg(stack, "keys");
    // Inserted oldest first, so the inbox (newest first) lists them as q5 … q1.
    const ids = await insertFeedback(stack, org.id, [1, 2, 3, 4, 5].map((n) => ({ query: unique(`Keyboard question ${n}`), rating: n === 5 ? 1 : 2 })));
    const [q1, q2, q3, q4, q5] = ids as [string, string, string, string, string];
    const rev = await browser.open("reviewer", org.users.reviewer, `/o/${org.slug}/inbox`);
    const page = rev.page;
    const cursorId = () => page.locator('[data-feedback-id][aria-current="true"]').getAttribute("data-feedback-id");
    await row(rev, q5).waitFor();
    await expect.poll(cursorId).toBe(q5);

    // ? shows the shortcuts.
    await page.keyboard.press("?");
    await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });

    // j/k move the cursor.
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await expect.poll(cursorId).toBe(q3);
    await page.keyboard.press("k");
    await expect.poll(cursorId).toBe(q4);

    // x selects q4 and q3, d dismisses both (optimistically, then stored).
    await page.keyboard.press("x");
    await page.keyboard.press("j");
    await page.keyboard.press("x");
    await expect.poll(() => page.locator('[data-feedback-id][aria-selected="true"]').count()).toBe(2);
    await page.keyboard.press("d");
    await expect.poll(() => row(rev, q4).getAttribute("data-status")).toBe("dismissed");
    await expect.poll(async () => (await sql(stack)`select count(*)::int as n from public.feedback where id in (${q4}, ${q3}) and status = 'dismissed'`)[0]!.n).toBe(2);

    // l labels the item under the cursor.
    await page.keyboard.press("j"); // q2
    await expect.poll(cursorId).toBe(q2);
    await page.keyboard.press("l");
    await page.getByRole("dialog", { name: /Label 1 item/ }).waitFor();
    await page.getByLabel("Label", { exact: true }).fill("shipping");
    await page.keyboard.press("Enter");
    await row(rev, q2).getByText("#shipping").waitFor();
    await expect.poll(async () => (await sql(stack)`select labels from public.feedback where id = ${q2}`)[0]!.labels).toEqual(["shipping"]);

    // m claims it.
    await page.keyboard.press("m");
    await row(rev, q2).locator(`[data-testid="row-claim"][data-claimed-by="${org.users.reviewer.id}"]`).waitFor();

    // Enter opens q1; c creates its improvement case and lands in the case room.
    await page.keyboard.press("j");
    await page.keyboard.press("Enter");
    await page.getByTestId("feedback-panel").getByText("Keyboard question 1").waitFor();
    await page.keyboard.press("c");
    await page.getByText("The model is drafting a better answer").waitFor();
    await page.getByTestId("case-room").waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await sql(stack)`select status from public.feedback where id = ${q1}`)[0]!.status).toBe("case_open");
  });
});
