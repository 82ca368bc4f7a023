import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { addFeedback, createOrg, type TestOrg } from "../helpers/org.ts";
import { client, getStack, sql } from "../helpers/stack.ts";

// The LLM judge's values per item (judge_scores) are shown on the report tab next to the people's
// finals. They are scores like any other: a curator, who may still score an item, must not read the
// judge's value of it before scoring, as for the other reviewers' scores (blind mode). Written as the
// attack: a curator holding an item asks REST for the judge's value of it.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
let queueId: string;
let rubricId: string;
let items: string[];

const judgeOf = async (who: { client: ReturnType<typeof client> }, filter: { item?: string } = {}) => {
  let q = who.client.from("judge_scores").select("item_id, value").eq("queue_id", queueId);
  if (filter.item) q = q.eq("item_id", filter.item);
  const { data, error } = await q;
  expect(error).toBeNull();
  return (data ?? []).map((r) => r.item_id as string).sort();
};

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "judge-blind"), createOrg(stack, "judge-blind-x")]);
  const { data: r, error } = await org.users.curator.client.from("score_configs").insert({ org_id: org.id, name: "Correct", kind: "boolean" }).select().single();
  if (error) throw error;
  rubricId = r!.id;
  const ids = [await addFeedback(stack, org.id, { query: "q1" }), await addFeedback(stack, org.id, { query: "q2" }), await addFeedback(stack, org.id, { query: "q3" })];
  const { data: q, error: qe } = await org.users.curator.client.from("review_queues")
    .insert({ org_id: org.id, name: "Blind judge", source_kind: "feedback", source: { feedback_ids: ids }, score_config_ids: [rubricId], overlap: 2 }).select().single();
  if (qe) throw qe;
  queueId = q!.id;
  const db = sql(stack);
  items = (await db`select id from public.review_items where queue_id = ${queueId} order by position`).map((i) => i.id as string);
  // A finished judge run's values, as the worker writes them (service role).
  const [job] = await db`insert into public.jobs (org_id, kind, name, config, status) values (${org.id}, 'review_judge', 'judge', ${db.json({ queueId })}, 'completed') returning id`;
  for (const [k, item] of items.entries()) {
    await db`insert into public.judge_scores (org_id, job_id, queue_id, item_id, score_config_id, value, model)
      values (${org.id}, ${job!.id}, ${queueId}, ${item}, ${rubricId}, ${db.json(k % 2 === 0)}, 'offline-strong-1')`;
  }
});

async function scoreNext(who: TestOrg["users"]["curator"], value: boolean, submit = true): Promise<string> {
  const { data, error } = await who.client.rpc("claim_next_review_item", { p_queue: queueId });
  expect(error).toBeNull();
  const item = (data as { item: { id: string } }).item.id;
  if (submit) {
    const s = await who.client.rpc("submit_scores", { p_item: item, p_scores: { [rubricId]: value } });
    expect(s.error).toBeNull();
  }
  return item;
}

describe("judge_scores under blind mode", () => {
  it("admins and managers read every value; a curator only those of items they have scored or that have all their ratings; reviewers and other organizations none", async () => {
    const all = [...items].sort();
    expect(await judgeOf(org.users.admin)).toEqual(all);
    expect(await judgeOf(org.users.manager)).toEqual(all);
    // Nobody has scored anything: the curator may still score every item, so reads no judge value.
    expect(await judgeOf(org.users.curator)).toEqual([]);
    expect(await judgeOf(other.users.admin)).toEqual([]);
    // Anonymous callers hold no grant on the table at all.
    const anon = await client(stack).from("judge_scores").select("item_id").eq("queue_id", queueId);
    expect(anon.data).toBeNull();
    expect(anon.error?.code).toBe("42501");

    // The reviewer scores item 1: reviewers never read the judge (no review:report), even after scoring.
    expect(await scoreNext(org.users.reviewer, true)).toBe(items[0]);
    expect(await judgeOf(org.users.reviewer)).toEqual([]);
    expect(await judgeOf(org.users.curator)).toEqual([]);

    // The curator takes item 1 (its second slot): while holding it, asking for its judge value by id gives nothing.
    const held = await scoreNext(org.users.curator, true, false);
    expect(held).toBe(items[0]);
    expect(await judgeOf(org.users.curator, { item: held })).toEqual([]);
    const s = await org.users.curator.client.rpc("submit_scores", { p_item: held, p_scores: { [rubricId]: false } });
    expect(s.error).toBeNull();
    // Scored (and now complete): readable.
    expect(await judgeOf(org.users.curator)).toEqual([items[0]]);

    // Item 2: scored by the curator alone (one of its two ratings): readable, their own scores are in.
    expect(await scoreNext(org.users.curator, true)).toBe(items[1]);
    expect(await judgeOf(org.users.curator)).toEqual([items[0], items[1]].sort());
    // Item 3: the reviewer alone scored it; the curator may still score it blind: hidden.
    expect(await scoreNext(org.users.reviewer, false)).toBe(items[1]);
    expect(await scoreNext(org.users.reviewer, false)).toBe(items[2]);
    expect(await judgeOf(org.users.curator, { item: items[2] })).toEqual([]);
    expect(await judgeOf(org.users.curator)).toEqual([items[0], items[1]].sort());
    expect(await judgeOf(org.users.manager)).toEqual(all);
  });
});
