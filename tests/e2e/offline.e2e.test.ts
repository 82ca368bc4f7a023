import { afterAll, describe, expect, it } from "vitest";
import { callFunction } from "../helpers/org.ts";
import { createOrg, editorText, getStack, insertFeedback, sql, unique, useBrowser } from "./support.ts";
import { startCuttableProxy } from "./network-cut.ts";

const browser = useBrowser();
const proxies: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const p of proxies) await p.close();
});

describe("offline edits", () => {
  it("a curator who loses the network keeps typing; the edits are kept, shown as pending, and merge when she is back", async () => {
    const stack = await getStack();
    const org = await createOrg(stack, "offline");
    const [feedbackId] = await insertFeedback(stack, org.id, [{ query: unique("Can I change my plan?"), response: "No." }]);
    const created = await callFunction<{ case: { id: string } }>(stack, "create-improvement-case", { feedbackId }, org.users.curator.accessToken);
    expect(created.status).toBeLessThan(300);
    const path = `/o/${org.slug}/cases/${created.body.case.id}`;

    // Carol's window reaches the stack through a line that can be cut; Adam's directly.
    const line = await startCuttableProxy(stack.apiUrl);
    proxies.push(line);
    const carol = await browser.open("carol (curator)", org.users.curator, path, { apiUrl: line.url });
    const adam = await browser.open("adam (admin)", org.users.admin, path);
    for (const a of [carol, adam]) {
      await a.page.getByTestId("doc-status").getByText("Live").waitFor({ timeout: 20_000 });
      await expect.poll(() => editorText(a.page), { timeout: 15_000 }).not.toBe("");
    }
    const before = await editorText(adam.page);

    // The network goes: the socket drops and the browser says it is offline.
    line.cut();
    await carol.context.setOffline(true);
    await carol.page.getByTestId("doc-status").getByText("Offline — edits kept").waitFor({ timeout: 15_000 });
    await carol.page.getByTestId("connection-state").getByText("Offline").waitFor();

    await carol.page.getByTestId("answer-editor").click();
    await carol.page.keyboard.press("Control+Home");
    await carol.page.keyboard.type("WRITTEN-OFFLINE ");
    await adam.page.getByTestId("answer-editor").click();
    await adam.page.keyboard.press("Control+End");
    await adam.page.keyboard.type(" WRITTEN-ONLINE");

    // Carol is told her edits are waiting; Adam's are stored meanwhile, without hers.
    await carol.page.getByTestId("connection-state").getByText(/Offline · edits pending in 1 document/).waitFor({ timeout: 10_000 });
    const stored = async () => (await sql(stack)`select suggested_response from public.improvement_cases where id = ${created.body.case.id}`)[0]!.suggested_response as string;
    await expect.poll(stored, { timeout: 10_000 }).toContain("WRITTEN-ONLINE");
    expect(await stored()).not.toContain("WRITTEN-OFFLINE");
    expect(await editorText(carol.page)).toContain("WRITTEN-OFFLINE");

    // Back online: both editors converge on both edits, Carol's pending marker clears, and it is stored.
    line.restore();
    await carol.context.setOffline(false);
    await expect.poll(async () => {
      const [c, a] = await Promise.all([editorText(carol.page), editorText(adam.page)]);
      return c === a && c.includes("WRITTEN-OFFLINE") && c.includes("WRITTEN-ONLINE") ? c : null;
    }, { timeout: 30_000 }).not.toBeNull();
    const merged = await editorText(adam.page);
    expect(merged).toBe(`WRITTEN-OFFLINE ${before} WRITTEN-ONLINE`);
    await carol.page.getByTestId("connection-state").getByText("Live").waitFor({ timeout: 15_000 });
    await expect.poll(stored, { timeout: 10_000 }).toBe(merged);

    await adam.page.reload();
    await adam.page.getByTestId("doc-status").getByText("Live").waitFor({ timeout: 20_000 });
    await expect.poll(() => editorText(adam.page), { timeout: 10_000 }).toBe(merged);
  });
});
