import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { callFunction } from "../helpers/org.ts";
import { addMember, createOrg, displayName, getStack, insertFeedback, sql, unique, editorText, useBrowser } from "./support.ts";

const browser = useBrowser();


async function openCase(stack: Awaited<ReturnType<typeof getStack>>, label: string) {
  const org = await createOrg(stack, label);
  const [feedbackId] = await insertFeedback(stack, org.id, [{ query: unique("How long do refunds take?"), response: "Refunds are not possible." }]);
  const res = await callFunction<{ case: { id: string } }>(stack, "create-improvement-case", { feedbackId }, org.users.curator.accessToken);
  expect(res.status).toBeLessThan(300);
  return { org, caseId: res.body.case.id };
}

describe("case room", () => {
  it("two curators type into the same answer at once, end with the same text, and it survives a reload", async () => {
    const stack = await getStack();
    const { org, caseId } = await openCase(stack, "coedit");
    const path = `/o/${org.slug}/cases/${caseId}`;
    const carol = await browser.open("carol (curator)", org.users.curator, path);
    const adam = await browser.open("adam (admin)", org.users.admin, path);
    for (const a of [carol, adam]) {
      await a.page.getByTestId("doc-status").getByText("Live").waitFor({ timeout: 20_000 });
      await expect.poll(() => editorText(a.page), { timeout: 15_000 }).not.toBe("");
    }
    // Both see each other in the room.
    await expect.poll(() => carol.page.getByTestId("room-participants").locator(".avatar").count(), { timeout: 10_000 }).toBe(2);

    // Carol types at the start, Adam at the end, at the same time.
    await carol.page.getByTestId("answer-editor").click();
    await carol.page.keyboard.press("Control+Home");
    await adam.page.getByTestId("answer-editor").click();
    await adam.page.keyboard.press("Control+End");
    // At a brisk human pace (~15 keys/s each), interleaved.
    await Promise.all([carol.page.keyboard.type("CAROL-WAS-HERE ", { delay: 60 }), adam.page.keyboard.type(" ADAM-ADDED-THIS", { delay: 60 })]);

    await expect.poll(async () => {
      const [a, b] = await Promise.all([editorText(carol.page), editorText(adam.page)]);
      return a === b && a.includes("CAROL-WAS-HERE") && a.includes("ADAM-ADDED-THIS") ? a : null;
    }, { timeout: 15_000 }).not.toBeNull().catch(async (err) => {
      console.error("carol:", JSON.stringify(await editorText(carol.page)), "\nadam:", JSON.stringify(await editorText(adam.page)));
      throw err;
    });
    const finalText = await editorText(carol.page);
    // Adam's remote cursor is drawn in Carol's editor with his name.
    await carol.page.locator(".cm-ySelectionInfo").first().waitFor({ state: "attached" });

    // The text is stored (doc_updates), the worker copies it to the case row (no browser can), and it
    // survives a reload.
    await expect.poll(async () => (await sql(stack)`select suggested_response from public.improvement_cases where id = ${caseId}`)[0]!.suggested_response, { timeout: 10_000 }).toBe(finalText);
    await carol.page.reload();
    await carol.page.getByTestId("doc-status").getByText("Live").waitFor({ timeout: 20_000 });
    await expect.poll(() => editorText(carol.page), { timeout: 10_000 }).toBe(finalText);

    // Carol approves; Adam sees the decision at once and his editor turns read-only.
    await carol.page.getByRole("button", { name: "Approve" }).click();
    await carol.page.getByRole("dialog").getByRole("button", { name: "Approve" }).click();
    await adam.page.getByTestId("decision-banner").getByText(/Approved by/).waitFor({ timeout: 10_000 });
    const example = await sql(stack)`select answer from public.training_examples where source_case_id = ${caseId}`;
    expect(example[0]?.answer).toBe(finalText.trim());
  });

  it("a reviewer is not offered approve, and a forced call is refused", async () => {
    const stack = await getStack();
    const { org, caseId } = await openCase(stack, "norole");
    const rita = await browser.open("rita (reviewer)", org.users.reviewer, `/o/${org.slug}/cases/${caseId}`);
    await rita.page.getByTestId("case-room").waitFor();
    await rita.page.getByText("Read only for your role").waitFor();
    expect(await rita.page.getByRole("button", { name: "Approve" }).count()).toBe(0);
    expect(await rita.page.getByRole("button", { name: "Reject" }).count()).toBe(0);

    // The same call the curator's button makes, sent from Rita's own session.
    const result = await rita.page.evaluate(async ({ caseId, apiUrl, anonKey }) => {
      const key = Object.keys(localStorage).find((k) => /^sb-.*-auth-token$/.test(k))!;
      const token = (JSON.parse(localStorage.getItem(key)!) as { access_token: string }).access_token;
      const res = await fetch(`${apiUrl}/functions/v1/approve-improvement-case`, {
        method: "POST",
        headers: { apikey: anonKey, authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ caseId }),
      });
      return { status: res.status, body: await res.json() };
    }, { caseId, apiUrl: stack.apiUrl, anonKey: stack.anonKey });
    expect(result.status).toBe(403);
    expect((await sql(stack)`select status from public.improvement_cases where id = ${caseId}`)[0]!.status).toBe("pending");
  });

  it("two curators edit and delete comments and see each other's changes live, and authorship names both", async () => {
    const stack = await getStack();
    const { org, caseId } = await openCase(stack, "authors");
    const path = `/o/${org.slug}/cases/${caseId}`;
    const carolUser = org.users.curator;
    const codyUser = await addMember(stack, org, "authors-cody", "curator");
    const carol = await browser.open("carol (curator)", carolUser, path);
    const cody = await browser.open("cody (curator)", codyUser, path);
    for (const a of [carol, cody]) {
      await a.page.getByTestId("doc-status").getByText("Live").waitFor({ timeout: 20_000 });
      await expect.poll(() => editorText(a.page), { timeout: 15_000 }).not.toBe("");
    }

    // Carol leaves two comments; Cody sees them arrive, and is not offered to change hers.
    const first = unique("Tone is too curt");
    const second = unique("Mention the 5 day window");
    for (const body of [first, second]) {
      await carol.page.getByLabel("Comment", { exact: true }).fill(body);
      await carol.page.getByRole("button", { name: "Comment", exact: true }).click();
      await carol.page.getByTestId("comment").filter({ hasText: body }).waitFor();
    }
    const codysFirst = cody.page.getByTestId("comment").filter({ hasText: first });
    const codysSecond = cody.page.getByTestId("comment").filter({ hasText: second });
    await codysSecond.waitFor({ timeout: 10_000 });
    expect(await codysFirst.getByRole("button", { name: /Edit|Delete/ }).count()).toBe(0);

    // Carol edits the first inline (Enter saves) and deletes the second (after confirming).
    const edited = unique("Tone is fine, but add a greeting");
    const carolsFirst = carol.page.getByTestId("comment").filter({ hasText: first });
    await carolsFirst.getByRole("button", { name: "Edit" }).click();
    const box = carol.page.getByRole("textbox", { name: "Edit comment" });
    await box.fill(edited);
    await box.press("Enter");
    await carol.page.getByTestId("comment").filter({ hasText: edited }).waitFor();
    await carol.page.getByTestId("comment").filter({ hasText: second }).getByRole("button", { name: "Delete" }).click();
    await carol.page.getByRole("dialog").getByRole("button", { name: "Delete comment" }).click();
    await expect.poll(() => carol.page.getByTestId("comment").filter({ hasText: second }).count()).toBe(0);

    // Cody sees both changes without reloading.
    await cody.page.getByTestId("comment").filter({ hasText: edited }).waitFor({ timeout: 10_000 });
    await expect.poll(() => codysSecond.count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => codysFirst.count()).toBe(0);
    const stored = await sql(stack)`select body from public.comments where case_id = ${caseId} order by created_at`;
    expect(stored.map((r) => r.body)).toEqual([edited]);

    // Both type into the answer; with authorship on, Carol's legend names both of them.
    await carol.page.getByTestId("answer-editor").click();
    await carol.page.keyboard.press("Control+Home");
    await carol.page.keyboard.type("Hello! ", { delay: 30 });
    await cody.page.getByTestId("answer-editor").click();
    await cody.page.keyboard.press("Control+End");
    await cody.page.keyboard.type(" Thanks for waiting.", { delay: 30 });
    await expect.poll(() => editorText(carol.page), { timeout: 10_000 }).toContain("Thanks for waiting.");

    await carol.page.getByLabel("Show authorship").check();
    const legend = carol.page.getByTestId("authorship-legend");
    await expect.poll(() => legend.textContent(), { timeout: 15_000 }).toMatch(new RegExp(`(?=.*${displayName(carolUser)})(?=.*${displayName(codyUser)})(?=.*Suggestion)`));
    // The text itself carries who wrote it, in the editor.
    await carol.page.locator(`.cm-author[title="Written by ${displayName(codyUser)}"]`).filter({ hasText: "Thanks for waiting." }).waitFor({ timeout: 10_000 });
    await carol.page.locator(`.cm-author[title="Written by ${displayName(carolUser)}"]`).filter({ hasText: "Hello!" }).waitFor();
    expect(new URL(carol.page.url()).searchParams.get("authorship")).toBe("on");

    // It stays live: what Cody types now is shown as his as it arrives.
    await cody.page.keyboard.type(" See you soon.", { delay: 30 });
    await carol.page.locator(`.cm-author[title="Written by ${displayName(codyUser)}"]`).filter({ hasText: "See you soon." }).waitFor({ timeout: 10_000 });
  });
});
