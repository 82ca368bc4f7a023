import { describe, expect, it } from "vitest";
import { waitForMail } from "../helpers/mail.ts";
import { getStack, sql, useBrowser, demoUser } from "./support.ts";

const browser = useBrowser();
const ACME = "aaaaaaaa-0000-4000-8000-000000000001";

describe("alert centre", () => {
  it("an alert fires while the seeded manager watches: the badge appears without a reload, and the admin acknowledges it", async () => {
    const stack = await getStack();
    const db = sql(stack);
    const [{ slug }] = (await db`select slug from public.organizations where id = ${ACME}`) as unknown as [{ slug: string }];
    // The seeded first evaluation has run, and the error-rate rule is not firing.
    await expect.poll(async () => (await db`select count(*)::int as n from public.job_queue where task = 'alerts_evaluate'`)[0]!.n, { timeout: 30_000 }).toBe(0);
    // Other scenarios on this demo (online judges, experiments) may make another rule fire at any
    // evaluation, so the badge is compared with what the database holds open, not with a fixed count.
    const open = async () =>
      String((await db`select count(*)::int as n from public.alerts where org_id = ${ACME} and status = 'firing' and acknowledged_at is null`)[0]!.n);
    const errorsOpen = async () =>
      (await db`select count(*)::int as n from public.alerts a join public.alert_rules r on r.id = a.rule_id
                 where a.org_id = ${ACME} and r.default_key = 'llm_errors' and a.status = 'firing' and a.acknowledged_at is null`)[0]!.n as number;
    expect(await errorsOpen()).toBe(0);

    const mia = await browser.open("mia (manager)", demoUser("manager"), `/o/${slug}/boards`);
    const badge = mia.page.getByTestId("alert-badge");
    await badge.waitFor();
    const count = () => mia.page.getByTestId("alert-badge-count").textContent({ timeout: 1000 }).catch(() => "0");
    await expect.poll(async () => (await count()) === (await open())).toBe(true);
    const reloads: string[] = [];
    mia.page.on("framenavigated", (f) => f === mia.page.mainFrame() && reloads.push(f.url()));

    // Production traffic goes bad: at least as many failed LLM calls as Acme made in the last day (other
    // scenarios on this demo run A/B gates and experiments, so the hour may already hold hundreds of good
    // calls), then the minute's evaluation.
    const [{ n: recent }] = (await db`select count(*)::int as n from public.ai_requests where org_id = ${ACME} and created_at > now() - interval '1 day'`) as unknown as [{ n: number }];
    await db`insert into public.ai_requests (org_id, function_name, model, latency_ms, status, error)
             select ${ACME}, 'create-improvement-case', 'offline-fast-1', 900, 'error', 'upstream 503' from generate_series(1, ${Math.max(40, recent)})`;
    await db`select private.enqueue_alert_evaluation()`;

    await expect.poll(errorsOpen, { timeout: 20_000 }).toBe(1);
    await expect.poll(async () => (await count()) === (await open()), { timeout: 10_000 }).toBe(true);
    expect(await badge.getAttribute("class")).toContain("alert-badge-critical");
    expect(reloads).toEqual([]);

    // Mia follows the badge: the alert is there, but acknowledging is an admin's.
    await badge.click();
    const miaRow = mia.page.getByTestId("open-alert").filter({ hasText: "LLM error rate above 5%" });
    await miaRow.waitFor();
    expect(await miaRow.getByRole("button", { name: "Acknowledge" }).count()).toBe(0);
    await expect.poll(() => miaRow.getByRole("link", { name: "Open the boards" }).count()).toBe(1);

    const ada = await browser.open("ada (admin)", demoUser("admin"), `/o/${slug}/alerts`);
    const row = ada.page.getByTestId("open-alert").filter({ hasText: "LLM error rate above 5%" });
    await row.getByRole("button", { name: "Acknowledge" }).click();
    const dialog = ada.page.getByRole("dialog", { name: "Acknowledge alert" });
    await dialog.getByLabel("Note").fill("Provider outage, failing over to the backup model");
    await dialog.getByRole("button", { name: "Acknowledge" }).click();
    await row.getByTestId("acknowledged").getByText("Provider outage, failing over to the backup model", { exact: false }).waitFor();

    // Mia's page follows live: the badge count drops and the row says who is on it.
    expect(await errorsOpen()).toBe(0);
    await expect.poll(async () => (await count()) === (await open()), { timeout: 10_000 }).toBe(true);
    await miaRow.getByTestId("acknowledged").waitFor({ timeout: 10_000 });
    const [event] = await db`select e.kind, e.note, e.actor_id from public.alert_events e join public.alerts a on a.id = e.alert_id
                             where a.org_id = ${ACME} and e.kind = 'acknowledged' order by e.id desc limit 1`;
    expect(event).toMatchObject({ kind: "acknowledged", note: "Provider outage, failing over to the backup model", actor_id: "a0000000-0000-4000-8000-000000000001" });

    // The critical alert also went to Acme's on-call mailbox (the seeded email channel, over SMTP).
    const mail = await waitForMail(stack, "oncall@acme.example.com");
    expect(mail.Subject).toBe("CRITICAL: LLM error rate above 5%");

    // The online-evaluation floor is one alert per evaluator (a passing length check must not hide a
    // failing judge); Ada narrows it to the seeded "helpfulness" judge, and the queue depth offers no split.
    const oeRule = ada.page.locator('tr[data-rule="online_eval"]');
    await oeRule.getByText("for each evaluator").waitFor();
    await oeRule.getByRole("button", { name: "Edit" }).click();
    const edit = ada.page.getByRole("dialog", { name: "Edit “Online evaluation score below 0.7”" });
    const split = edit.getByRole("combobox", { name: /^One alert for/ });
    expect(await split.locator("option").allTextContents()).toEqual(["the whole organization", "each function", "each model", "each prompt version", "each evaluator"]);
    expect(await split.inputValue()).toBe("evaluator");
    await edit.getByRole("textbox", { name: /^Only/ }).fill("helpfulness");
    await edit.getByRole("button", { name: "Save" }).click();
    await oeRule.getByText("only evaluator helpfulness").waitFor();
    expect((await db`select scope, scope_value from public.alert_rules where org_id = ${ACME} and default_key = 'online_eval'`)[0]).toEqual({ scope: "evaluator", scope_value: "helpfulness" });
    await ada.page.locator('tr[data-rule="queue_depth"]').getByRole("button", { name: "Edit" }).click();
    const queueEdit = ada.page.getByRole("dialog", { name: "Edit “More than 100 jobs waiting”" });
    await queueEdit.getByRole("button", { name: "Save" }).waitFor();
    expect(await queueEdit.getByRole("combobox", { name: /^One alert for/ }).count()).toBe(0);
  });
});
