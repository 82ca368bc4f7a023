import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { winRate } from "@review/shared/stats/winrate";
import { waitFor } from "../helpers/stack.ts";
import { DEMO, demoUser, getStack, seededExperiment, sql, unique, useBrowser, type Actor } from "./support.ts";

const browser = useBrowser();

// The seeded demo (supabase/seed.sql): Acme's experiment "Suggest-answer v2 vs v3 × fast vs strong",
// which the worker runs on start, the "Better answer" preference rubric and the "Needs escalation"
// boolean rubric. Nothing else is prepared: the curator makes the queue in the queues page's dialog.
const BETTER = "aaaaaaaa-0000-4000-8000-0000000000d3";
const ESCALATE = "aaaaaaaa-0000-4000-8000-0000000000d2";
const RAVI = demoUser("reviewer");
const CARMEN = demoUser("curator");
const MONA = demoUser("manager");

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The CSV the export writes (RFC 4180 quoting), as rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"', i++);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") (row.push(cell), (cell = ""));
    else if (c === "\n") (row.push(cell), rows.push(row), (row = []), (cell = ""));
    else if (c !== "\r") cell += c;
  }
  if (cell || row.length) (row.push(cell), rows.push(row));
  return rows;
}

describe("pairwise review of an experiment's outputs, the preference card and the exports (from the seeded demo)", () => {
  it("a curator makes a pairwise queue from the experiment in the queue dialog; two people score it by keyboard and mouse; B's win rate and its Wilson CI follow; the manager exports the finals; the reviewer gets no export", async () => {
    const db = sql(await getStack());
    const exp = await seededExperiment(db);
    const b = exp.labels.indexOf("v3 · strong");
    expect(b).toBeGreaterThan(0);

    // ---- Carmen creates the queue from the review-queues page: experiment outputs, v2 · fast vs v3 · strong.
    const carmen = await browser.open("carmen (curator)", CARMEN, `/o/${DEMO.org.slug}/review-queues`);
    await carmen.page.getByRole("button", { name: "New queue" }).click();
    const dialog = carmen.page.getByRole("dialog", { name: "New review queue" });
    const name = unique("Pairwise v2 fast vs v3 strong");
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    await dialog.getByLabel("Items from", { exact: true }).selectOption("experiment");
    await dialog.getByLabel("Experiment", { exact: true }).selectOption(exp.id as string);
    await dialog.getByLabel("Outputs", { exact: true }).selectOption("pairwise");
    await dialog.getByLabel("Variant A", { exact: true }).selectOption("0");
    await dialog.getByLabel("Variant B", { exact: true }).selectOption(String(b));
    await dialog.getByLabel("At most this many items", { exact: true }).fill("3");
    await dialog.getByRole("checkbox", { name: "Better answer v1" }).check();
    await dialog.getByRole("checkbox", { name: "Needs escalation v1" }).check();
    await dialog.getByLabel("Reviewers per item", { exact: true }).fill("2");
    await dialog.getByRole("button", { name: "Create queue" }).click();
    await dialog.waitFor({ state: "hidden" });

    // The same server path as the experiment page's "Send to review queue": a queue row whose trigger
    // draws one pairwise item per dataset item both variants answered, A = v2 · fast, B = v3 · strong.
    const [queue] = await waitFor(async () => {
      const rows = await db`select id, source_kind, source, score_config_ids from public.review_queues where org_id = ${DEMO.org.id} and name = ${name}`;
      return rows.length ? rows : null;
    }, { message: "the queue was created" });
    expect(queue!.source_kind).toBe("experiment");
    expect(queue!.source).toEqual({ experiment_id: exp.id, variant_ids: [0, b], limit: 3 });
    expect(queue!.score_config_ids).toEqual([BETTER, ESCALATE]);
    const items = (await db`select id, position, query, output_a, output_b, is_pairwise, context from public.review_items where queue_id = ${queue!.id} order by position`) as unknown as
      Array<{ id: string; position: number; query: string; output_a: string; output_b: string; is_pairwise: boolean; context: { result_ids: number[] } }>;
    const outputs = await db`
      select a.id as a_id, a.output as a_out, r.id as b_id, r.output as b_out from public.experiment_results a
      join public.experiment_results r on r.item_id = a.item_id and r.experiment_id = a.experiment_id and r.variant = ${b} and r.error is null
      join public.dataset_items i on i.id = a.item_id
      where a.experiment_id = ${exp.id} and a.variant = 0 and a.error is null order by i.position, i.id limit 3`;
    expect(items.map((i) => [i.is_pairwise, i.output_a, i.output_b, i.context.result_ids.map(Number)])).toEqual(outputs.map((o) => [true, o.a_out, o.b_out, [Number(o.a_id), Number(o.b_id)]]));
    const byId = new Map(items.map((i) => [i.id, i]));

    // ---- Mona (manager) watches the report tab: the preference card starts empty.
    const path = `/o/${DEMO.org.slug}/review-queues/${queue!.id}`;
    const mona = await browser.open("mona (manager)", MONA, path);
    await mona.page.getByRole("tab", { name: "Agreement report" }).click();
    const card = mona.page.getByTestId("preference-section");
    await card.waitFor({ timeout: 30_000 });
    await expect.poll(() => card.getByTestId("preference-counts").textContent()).toBe("0 / 0 / 0");
    const showsRate = async (prefs: number[]) => {
      const w = winRate(prefs);
      await expect.poll(() => card.getByTestId("preference-counts").textContent(), { timeout: 20_000 }).toBe(`${w.wins} / ${w.losses} / ${w.ties}`);
      expect(await card.getByTestId("preference-rate").textContent()).toBe(pct(w.rate));
      expect(await card.getByTestId("preference-ci").textContent()).toBe(`[${pct(w.lower)}, ${pct(w.upper)}]`);
    };

    // ---- Ravi (reviewer) scores the three items: two with the keyboard, one with the mouse.
    const ravi = await browser.open("ravi (reviewer)", RAVI, path);
    const held = async (who: string) =>
      (await db`select a.item_id from public.review_assignments a where a.queue_id = ${queue!.id} and a.reviewer_id = ${who} and a.status = 'leased' and a.lease_expires_at > now()`)[0]?.item_id as string | undefined;
    /** The item the person now holds, once their screen shows it. */
    const onItem = async (a: Actor, who: string) => {
      const id = await waitFor(() => held(who), { timeout: 15_000, message: `${a.name} holds an item` });
      await a.page.getByTestId("work-view").getByText(`Item ${byId.get(id)!.position}`, { exact: true }).waitFor({ timeout: 15_000 });
      return id;
    };
    const submitted = async (who: string) => Number((await db`select count(*)::int as n from public.review_assignments where queue_id = ${queue!.id} and reviewer_id = ${who} and status = 'submitted'`)[0]!.n);
    const pressed = (a: Actor, group: string, option: string) => a.page.getByRole("group", { name: group }).getByRole("button", { name: new RegExp(option) }).getAttribute("aria-pressed");

    await ravi.page.getByTestId("claim-next").waitFor();
    await ravi.page.keyboard.press("Enter");
    const r1 = await onItem(ravi, RAVI.id);
    // 2 = "B is better" (focus moves on), 2 = "No" for escalation, Enter submits and takes the next.
    for (const k of ["2", "2", "Enter"]) await ravi.page.keyboard.press(k);
    await expect.poll(() => submitted(RAVI.id), { timeout: 15_000 }).toBe(1);
    const r2 = await onItem(ravi, RAVI.id);
    // B, then k back up to the preference, 1 = "A is better" instead, 1 = "Yes" for escalation.
    for (const k of ["2", "k", "1", "1"]) await ravi.page.keyboard.press(k);
    expect(await pressed(ravi, "Better answer", "A is better")).toBe("true");
    expect(await pressed(ravi, "Better answer", "B is better")).toBe("false");
    expect(await pressed(ravi, "Needs escalation", "Yes")).toBe("true");
    await ravi.page.keyboard.press("Enter");
    await expect.poll(() => submitted(RAVI.id), { timeout: 15_000 }).toBe(2);
    const r3 = await onItem(ravi, RAVI.id);
    await ravi.page.getByRole("group", { name: "Better answer" }).getByRole("button", { name: /B is better/ }).click();
    await ravi.page.getByRole("group", { name: "Needs escalation" }).getByRole("button", { name: /No/ }).click();
    await ravi.page.getByTestId("submit-scores").click();
    await ravi.page.getByText("Nothing left for you in this queue.").waitFor({ timeout: 15_000 });
    const raviScores = await db`select item_id, score_config_id, value from public.scores where queue_id = ${queue!.id} and reviewer_id = ${RAVI.id}`;
    const valueOf = (rows: typeof raviScores, item: string, rubric: string) => rows.find((s) => s.item_id === item && s.score_config_id === rubric)?.value;
    expect([r1, r2, r3].map((i) => [valueOf(raviScores, i, BETTER), valueOf(raviScores, i, ESCALATE)])).toEqual([["B", false], ["A", true], ["B", false]]);
    // One rating per item is not a final yet (two reviewers per item): the card has nothing to count.
    expect(await card.getByTestId("preference-counts").textContent()).toBe("0 / 0 / 0");

    // ---- Carmen scores the same three items (their second slots) with the keyboard: B and "No" each time.
    await carmen.page.getByRole("link", { name }).click();
    await carmen.page.getByTestId("claim-next").waitFor();
    await carmen.page.keyboard.press("Enter");
    expect(await onItem(carmen, CARMEN.id)).toBe(r1);
    for (const k of ["2", "2", "Enter"]) await carmen.page.keyboard.press(k);
    // Item 1 has both its ratings and they agree: B preferred once.
    await showsRate([1]);
    await expect.poll(() => submitted(CARMEN.id), { timeout: 15_000 }).toBe(1);
    expect(await onItem(carmen, CARMEN.id)).toBe(r2);
    for (const k of ["2", "2", "Enter"]) await carmen.page.keyboard.press(k);
    await expect.poll(() => submitted(CARMEN.id), { timeout: 15_000 }).toBe(2);
    expect(await onItem(carmen, CARMEN.id)).toBe(r3);
    for (const k of ["2", "2", "Enter"]) await carmen.page.keyboard.press(k);
    await expect.poll(() => submitted(CARMEN.id), { timeout: 15_000 }).toBe(3);
    // Item 2 is a tie between the two (A against B): no final preference until someone decides.
    await showsRate([1, 1]);

    // ---- Carmen adjudicates item 2's preference: A.
    await carmen.page.getByRole("tab", { name: "Adjudication" }).click();
    const row = carmen.page.getByTestId(`disagreement-${byId.get(r2)!.position}-Better answer`);
    await row.waitFor({ timeout: 20_000 });
    await row.getByRole("button", { name: "A is better" }).click();
    await row.getByLabel("Reason").fill("A states the refund window; B invents a fee");
    await row.getByRole("button", { name: "Decide" }).click();
    await showsRate([1, -1, 1]);

    // ---- Mona downloads the final scores as JSONL and as CSV.
    const download = async (label: string) => {
      const [file] = await Promise.all([mona.page.waitForEvent("download"), mona.page.getByRole("button", { name: label }).click()]);
      return { name: file.suggestedFilename(), text: fs.readFileSync((await file.path())!, "utf8") };
    };
    const reviewers = [RAVI.id, CARMEN.id].sort();
    const expected = [
      [r1, BETTER, "B", "consensus"], [r1, ESCALATE, false, "consensus"],
      [r2, BETTER, "A", "adjudicated"], [r2, ESCALATE, null, "none"],
      [r3, BETTER, "B", "consensus"], [r3, ESCALATE, false, "consensus"],
    ] as const;
    const rubricName = { [BETTER]: "Better answer", [ESCALATE]: "Needs escalation" } as Record<string, string>;

    const jsonl = await download("Export JSONL");
    expect(jsonl.name).toMatch(/final-scores\.jsonl$/);
    const lines = jsonl.text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(expected.length);
    for (const [item, rubric, value, source] of expected) {
      const line = lines.find((l) => l.item_id === item && l.rubric_id === rubric);
      expect(line, `${item}/${rubric}`).toBeDefined();
      expect(line).toMatchObject({ rubric: rubricName[rubric], rubric_version: 1, value, decided_by: source, query: byId.get(item)!.query, source_kind: "experiment" });
      expect([...(line!.reviewers as string[])].sort()).toEqual(reviewers);
    }

    const csv = await download("Export CSV");
    expect(csv.name).toMatch(/final-scores\.csv$/);
    const [header, ...cells] = parseCsv(csv.text);
    expect(header).toEqual(["item_id", "source_kind", "source_id", "query", "rubric", "rubric_version", "rubric_id", "value", "decided_by", "reviewers"]);
    expect(cells).toHaveLength(expected.length);
    const col = (r: string[], c: string) => r[header!.indexOf(c)];
    for (const [item, rubric, value, source] of expected) {
      const r = cells.find((x) => col(x, "item_id") === item && col(x, "rubric_id") === rubric)!;
      expect(r, `${item}/${rubric}`).toBeDefined();
      expect([col(r, "rubric"), col(r, "rubric_version"), col(r, "value"), col(r, "decided_by"), col(r, "query")]).toEqual([rubricName[rubric], "1", value === null ? "" : String(value), source, byId.get(item)!.query]);
      expect(col(r, "reviewers")!.split(" ").sort()).toEqual(reviewers);
    }

    // ---- The wrong role: Ravi's page offers no report and no export, and asking REST for the finals gives nothing.
    await ravi.page.reload();
    await ravi.page.getByRole("tab", { name: "Progress" }).waitFor();
    expect(await ravi.page.getByRole("tab", { name: "Agreement report" }).count()).toBe(0);
    expect(await ravi.page.getByRole("button", { name: /Export/ }).count()).toBe(0);
    const peek = await ravi.page.evaluate(async (q) => {
      const raw = Object.entries(localStorage).find(([k]) => k.includes("auth-token"))?.[1];
      const token = raw ? (JSON.parse(raw) as { access_token: string }).access_token : "";
      const cfg = (window as unknown as { __REVIEW_ENV__: { supabaseUrl: string; supabaseAnonKey: string } }).__REVIEW_ENV__;
      const res = await fetch(`${cfg.supabaseUrl}/rest/v1/review_reports?select=finals,report&queue_id=eq.${q}`, { headers: { apikey: cfg.supabaseAnonKey, authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as unknown[] };
    }, queue!.id as string);
    expect(peek).toEqual({ status: 200, body: [] });
    // The row is there for those who may read it (Mona's exports above came from it).
    expect((await db`select count(*)::int as n from public.review_reports where queue_id = ${queue!.id}`)[0]!.n).toBe(1);
  }, 300_000);
});
