import { describe, expect, it } from "vitest";
import { DEMO, demoUser, editorText, getStack, sql, unique, useBrowser } from "./support.ts";

const browser = useBrowser();

/** The seeded demo's suggest-answer prompt and its candidate v3 (supabase/seed.sql). */
const SUGGEST_PROMPT = "aaaaaaaa-0000-4000-8000-0000000000b1";
const CANDIDATE_V3 = "aaaaaaaa-0000-4000-8000-0000000000c3";

describe("the loop, from the seeded demo", () => {
  it("a bad rating becomes an approved answer and a fine-tune; the candidate passes the gate, and the next suggestion is served by it", async () => {
    const stack = await getStack();
    const db = sql(stack);
    const badOnes = () => db`
      select f.id, f.query from public.feedback f
      where f.org_id = ${DEMO.org.id} and f.rating = 1 and f.status = 'new'
        and not exists (select 1 from public.improvement_cases c where c.feedback_id = f.id)
      order by f.created_at desc limit 2`;
    const [first, second] = await badOnes();
    expect(first && second, "the seed has untriaged one-star feedback").toBeTruthy();

    // A reviewer opens a case for a one-star answer from the inbox.
    const ravi = await browser.open("ravi (reviewer)", demoUser("reviewer"), `/o/${DEMO.org.slug}/inbox/${first!.id}`);
    await ravi.page.getByTestId("feedback-panel").waitFor();
    await ravi.page.getByRole("button", { name: /Create case/ }).click();
    await ravi.page.getByTestId("case-room").waitFor({ timeout: 60_000 });
    const caseId = ravi.page.url().split("/cases/")[1]!;

    // A curator co-edits the suggestion in the case room and approves it: it becomes a training example.
    const carmen = await browser.open("carmen (curator)", demoUser("curator"), `/o/${DEMO.org.slug}/cases/${caseId}`);
    await carmen.page.getByTestId("doc-status").getByText("Live").waitFor({ timeout: 20_000 });
    await expect.poll(() => editorText(carmen.page), { timeout: 20_000 }).not.toBe("");
    const addition = ` ${unique("Reply here if anything is still unclear.")}`;
    await carmen.page.getByTestId("answer-editor").click();
    await carmen.page.keyboard.press("Control+End");
    await carmen.page.keyboard.type(addition, { delay: 10 });
    await expect.poll(() => editorText(ravi.page), { timeout: 15_000 }).toContain(addition.trim());
    await carmen.page.getByRole("button", { name: "Approve" }).click();
    await carmen.page.getByRole("dialog").getByRole("button", { name: "Approve" }).click();
    await ravi.page.getByTestId("decision-banner").getByText(/Approved by/).waitFor({ timeout: 15_000 });
    const [example] = await db`select id, answer from public.training_examples where org_id = ${DEMO.org.id} and source_case_id = ${caseId}`;
    expect(example!.answer).toContain(addition.trim());

    // An admin trains on every approved answer (the new one included) and promotes candidate v3 through
    // the gate; a manager watches the jobs.
    const ada = await browser.open("ada (admin)", demoUser("admin"), `/o/${DEMO.org.slug}/jobs`);
    const mona = await browser.open("mona (manager)", demoUser("manager"), `/o/${DEMO.org.slug}/jobs`);
    const ftName = unique("loop fine-tune");
    await ada.page.getByRole("button", { name: "New fine-tune" }).click();
    const dialog = ada.page.getByRole("dialog", { name: "Start a fine-tune" });
    await dialog.getByLabel("Name").fill(ftName);
    await dialog.getByRole("button", { name: "Start fine-tune" }).click();
    await ada.page.getByTestId("job-detail").waitFor();

    await ada.page.goto(`${new URL(ada.page.url()).origin}/o/${DEMO.org.slug}/prompts/${SUGGEST_PROMPT}`);
    const v3 = ada.page.getByTestId("version-row-3");
    await v3.getByText("candidate").waitFor({ timeout: 15_000 });
    await v3.getByRole("button", { name: "Promote" }).click();
    await ada.page.getByRole("dialog").getByRole("button", { name: "Start evaluation" }).click();
    await ada.page.getByTestId("promote-status").waitFor();
    // The gate runs as an A/B job; when it passes, the admin's open page shows v3 in production without a
    // reload (the row's Promote button, and its status line, go with the candidate status).
    await v3.getByText("production").waitFor({ timeout: 400_000 });
    // The job records the decision as it completes (the promotion itself comes first, in the gate).
    const gateDecision = async () => {
      const [gate] = await db`select result from public.jobs where org_id = ${DEMO.org.id} and kind = 'ab_eval' and config->'variantB'->>'promptVersionId' = ${CANDIDATE_V3} order by created_at desc limit 1`;
      return (gate?.result as { decision?: { promoted?: boolean } } | null | undefined)?.decision?.promoted;
    };
    await expect.poll(gateDecision, { timeout: 30_000 }).toBe(true);

    const ftRow = mona.page.locator("tr[data-job-id]", { hasText: ftName });
    await ftRow.getByText("completed").waitFor({ timeout: 400_000 });
    // The tuned model was trained (or validated) on the answer approved a minute ago.
    const [model] = await db`
      select m.dataset_snapshot from public.models m join public.jobs j on j.id = m.job_id
      where j.org_id = ${DEMO.org.id} and j.name = ${ftName}`;
    const snap = model!.dataset_snapshot as { trainIds: string[]; validationIds: string[] };
    expect([...snap.trainIds, ...snap.validationIds]).toContain(example!.id);

    // The next suggestion is served by the promoted version: the reviewer opens the second case, and its
    // LLM call is logged against v3.
    const since = new Date();
    await ravi.page.goto(`${new URL(ravi.page.url()).origin}/o/${DEMO.org.slug}/inbox/${second!.id}`);
    await ravi.page.getByRole("button", { name: /Create case/ }).click();
    await ravi.page.getByTestId("case-room").waitFor({ timeout: 60_000 });
    const calls = await db`
      select prompt_version_id from public.ai_requests
      where org_id = ${DEMO.org.id} and function_name = 'create-improvement-case' and created_at >= ${since}`;
    // (A slow answer may have been retried by the SDK: every call is v3's.)
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((c) => c.prompt_version_id))).toEqual(new Set([CANDIDATE_V3]));
  }, 900_000);
});
