import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import type { StackInfo } from "@review/local-supabase";
import { startWorker, type WorkerHandle } from "@review/worker";
import { REPORT_RESAMPLES, storeQueueReport } from "@review/worker/features/review-report/handler";
import { silentLogger } from "@review/worker/log";
import { queueReport, type AdjudicationRow, type Rubric, type ScoreRow } from "@review/shared/review/report";
import { addFeedback, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, waitFor, type TestUser } from "../helpers/stack.ts";
import { subscribe } from "../realtime/helpers.ts";

// A queue's report is the worker's (review_report task, queued by the scores and adjudications
// triggers, one waiting entry per queue): people score through the functions the app calls, the worker
// stores the report, and the stored row is what queueReport gives on the same rows.

let stack: StackInfo;
let owner: postgres.Sql;
let worker: WorkerHandle | undefined;

beforeAll(async () => {
  stack = await getStack();
  owner = postgres(stack.dbUrl, { onnotice: () => undefined, max: 4 });
});
afterAll(async () => {
  await worker?.stop(2000);
  await owner?.end({ timeout: 5 });
});

async function ensureWorker() {
  worker ??= await startWorker({
    env: { DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl, WORKER_SCHEDULER: "false", WORKER_TASKS: "review_report", WORKER_POLL_MS: "100" },
    log: silentLogger,
  });
}

async function setup(label: string, items: number) {
  const org = await createOrg(stack, label);
  const insert = async (row: Record<string, unknown>) => {
    const { data, error } = await org.users.curator.client.from("score_configs").insert({ org_id: org.id, ...row }).select().single();
    if (error) throw error;
    return data as Rubric;
  };
  const quality = await insert({ name: `Quality ${Math.random()}`, kind: "ordinal", levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: `L${v}` })) });
  const escalate = await insert({ name: `Escalate ${Math.random()}`, kind: "boolean" });
  const ids: string[] = [];
  for (let i = 0; i < items; i++) ids.push(await addFeedback(stack, org.id, { query: `question ${i}` }));
  const { data: q, error } = await org.users.curator.client
    .from("review_queues")
    .insert({ org_id: org.id, name: "Reported", source_kind: "feedback", source: { feedback_ids: ids }, score_config_ids: [quality.id, escalate.id], overlap: 2, disagreement_threshold: 0.3 })
    .select()
    .single();
  if (error) throw error;
  return { org, queueId: (q as { id: string }).id, quality, escalate };
}

/** Claims the next item and scores it (quality, escalate) as `user`; returns the item id. */
async function score(user: TestUser, queueId: string, rubrics: { quality: Rubric; escalate: Rubric }, quality: number, escalate: boolean) {
  const { data, error } = await user.client.rpc("claim_next_review_item", { p_queue: queueId });
  if (error) throw error;
  const item = (data as { item: { id: string } }).item.id;
  const sub = await user.client.rpc("submit_scores", { p_item: item, p_scores: { [rubrics.quality.id]: quality, [rubrics.escalate.id]: escalate } });
  if (sub.error) throw sub.error;
  return item;
}

/** What the worker should have stored: queueReport over the queue's rows as they are now. */
async function expected(queueId: string) {
  const [q] = await owner`select score_config_ids, disagreement_threshold from public.review_queues where id = ${queueId}`;
  const configs = await owner<Rubric[]>`select * from public.score_configs where id = any (${q!.score_config_ids}::uuid[])`;
  const rubrics = (q!.score_config_ids as string[]).map((id) => configs.find((c) => c.id === id)!);
  const scores = await owner<ScoreRow[]>`select item_id, reviewer_id, score_config_id, value from public.scores where queue_id = ${queueId} order by id`;
  const adjudications = await owner<AdjudicationRow[]>`select item_id, score_config_id, value from public.adjudications where queue_id = ${queueId} order by id`;
  const complete = await owner<{ id: string }[]>`select id from public.review_items where queue_id = ${queueId} and status = 'complete'`;
  const report = queueReport(rubrics, scores, adjudications, { threshold: Number(q!.disagreement_threshold), resamples: REPORT_RESAMPLES, seed: queueId, detailItems: new Set(complete.map((c) => c.id)) });
  // As stored: JSON (NaN → null), finals in their own column.
  const { finals, ...rest } = JSON.parse(JSON.stringify(report)) as typeof report;
  return { report: rest, finals, scores: scores.length };
}

async function storedRow(queueId: string) {
  const [row] = await owner`select report, finals, scores_count from public.review_reports where queue_id = ${queueId}`;
  return row as { report: unknown; finals: unknown; scores_count: number } | undefined;
}

describe("review_report task (worker)", () => {
  it("a burst of scores waits as one entry; the worker stores what queueReport gives on the same rows, and follows a decision", async () => {
    const { org, queueId, quality, escalate } = await setup("rr-worker", 6);
    const r = { quality, escalate };
    // Disagreeing on the second item, agreeing elsewhere; the last item has one rating only (open).
    const plan: Array<[number, boolean, number, boolean]> = [[4, true, 4, true], [1, false, 5, true], [3, false, 3, false], [2, true, 2, false], [5, false, 4, false]];
    let disputed = "";
    for (const [i, [qa, ea, qb, eb]] of plan.entries()) {
      const item = await score(org.users.curator, queueId, r, qa, ea);
      expect(await score(org.users.reviewer, queueId, r, qb, eb)).toBe(item);
      if (i === 1) disputed = item;
    }
    await score(org.users.admin, queueId, r, 3, true);
    const waiting = await owner`select count(*)::int as n from public.job_queue where task = 'review_report' and job_key = ${`review_report:${queueId}`} and state = 'queued'`;
    expect(waiting[0]!.n).toBe(1);

    await ensureWorker();
    const want = await expected(queueId);
    expect(want.scores).toBe(22);
    // The finals land just after the report (the live change does not wait for them).
    await waitFor(async () => {
      const r = await storedRow(queueId);
      return (r?.scores_count === 22 && (r.finals as unknown[]).length === 10) || undefined;
    }, { timeout: 20_000 });
    const row = (await storedRow(queueId))!;
    expect(row.report).toEqual(want.report);
    expect(row.finals).toEqual(want.finals);
    // Per-item details are for complete items only: five finals per rubric, not the open sixth item's.
    expect((row.finals as unknown[]).length).toBe(10);
    const disagreements = (row.report as { disagreements: Array<{ itemId: string }> }).disagreements;
    expect(disagreements.map((d) => d.itemId)).toContain(disputed);

    // A curator's decision: the report follows.
    const adj = await org.users.curator.client.rpc("adjudicate", { p_item: disputed, p_score_config: quality.id, p_value: 3, p_reason: "Both half right" });
    expect(adj.error).toBeNull();
    await waitFor(async () => {
      const stored = (await storedRow(queueId))!.report as { disagreements: Array<{ itemId: string; rubricId: string; adjudicated?: unknown }> };
      return stored.disagreements.find((d) => d.itemId === disputed && d.rubricId === quality.id)?.adjudicated === 3 || undefined;
    }, { timeout: 20_000 });
    const after = await expected(queueId);
    expect((await storedRow(queueId))!.report).toEqual(after.report);

    // Recomputed with nothing new: the report's change goes out, the same finals are not rewritten.
    await waitFor(async () => ((await storedRow(queueId))!.finals as Array<{ source: string }>).some((f) => f.source === "adjudicated") || undefined, { timeout: 20_000 });
    // The live change carries the finals' digest (pages refetch the finals only when it moves) and
    // none of the large columns.
    const digestOf = async () => (await owner`select finals_digest from public.review_reports where queue_id = ${queueId}`)[0]!.finals_digest as string | null;
    const heard: Array<Record<string, unknown>> = [];
    const ch = await subscribe(org.users.manager.client.channel(`review-report-${queueId}`)
      .on("postgres_changes", { event: "UPDATE", schema: "public", table: "review_reports", filter: `queue_id=eq.${queueId}` }, (m) => heard.push(m.new)));
    const held = await digestOf();
    expect(held).toMatch(/^[0-9a-f]{64}$/);
    const again = await storeQueueReport(owner, queueId);
    expect(again.finalsWritten).toBe(false);
    expect((await storedRow(queueId))!.finals).toEqual(after.finals);
    await waitFor(() => heard.length > 0 || undefined, { timeout: 10_000 });
    expect(Object.keys(heard[0]!).sort()).toEqual(["computed_at", "finals_digest", "org_id", "queue_id", "scores_count"]);
    expect(heard.map((h) => h.finals_digest)).toEqual(heard.map(() => held));
    // A changed item (one more decision): the finals are rewritten with it.
    const second = (await storedRow(queueId))!.finals as Array<{ itemId: string; rubricId: string }>;
    const target = second.find((f) => f.rubricId === escalate.id)!;
    const decided = await org.users.curator.client.rpc("adjudicate", { p_item: target.itemId, p_score_config: escalate.id, p_value: true, p_reason: "Escalate" });
    expect(decided.error).toBeNull();
    await waitFor(async () => {
      const f = ((await storedRow(queueId))!.finals as Array<{ itemId: string; rubricId: string; source: string }>).find((x) => x.itemId === target.itemId && x.rubricId === escalate.id);
      return f?.source === "adjudicated" || undefined;
    }, { timeout: 20_000 });
    expect((await storedRow(queueId))!.finals).toEqual((await expected(queueId)).finals);
    const rewritten = await digestOf();
    expect(rewritten).not.toBe(held);
    await waitFor(() => heard.some((h) => h.finals_digest === rewritten) || undefined, { timeout: 10_000 });
    await org.users.manager.client.removeChannel(ch);
  });

  it("as the attack: a reviewer (scoring blind) reads no report, nor does another organization's admin; managers and curators read theirs", async () => {
    const { org, queueId, quality, escalate } = await setup("rr-blind", 2);
    const stranger = await createOrg(stack, "rr-stranger");
    await score(org.users.curator, queueId, { quality, escalate }, 4, true);
    await ensureWorker();
    await waitFor(async () => (await storedRow(queueId))?.scores_count === 2 || undefined, { timeout: 20_000 });

    const reviewer = await org.users.reviewer.client.from("review_reports").select("*").eq("queue_id", queueId);
    expect(reviewer.error).toBeNull();
    expect(reviewer.data).toEqual([]);
    const other = await stranger.users.admin.client.from("review_reports").select("*").eq("queue_id", queueId);
    expect(other.data).toEqual([]);
    for (const who of [org.users.manager, org.users.curator, org.users.admin]) {
      const { data } = await who.client.from("review_reports").select("scores_count").eq("queue_id", queueId);
      expect(data).toEqual([{ scores_count: 2 }]);
    }
    // Nobody writes it but the worker.
    const forged = await org.users.admin.client.from("review_reports").update({ scores_count: 99 }).eq("queue_id", queueId).select();
    expect(forged.data ?? []).toEqual([]);
    expect((await storedRow(queueId))!.scores_count).toBe(2);
  });
});
