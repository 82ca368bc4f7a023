import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { queueReport, type Rubric } from "@review/shared/review/report";
import { krippendorffAlpha } from "@review/shared/stats/agreement";
import { createUser, getStack, sql, type TestUser } from "../helpers/stack.ts";
import { addFeedback, createOrg, type TestOrg } from "../helpers/org.ts";

let stack: StackInfo;
beforeAll(async () => {
  stack = await getStack();
});

async function rubric(org: TestOrg, extra: Record<string, unknown> = {}) {
  const { data, error } = await org.users.curator.client
    .from("score_configs")
    .insert({ org_id: org.id, name: `Helpfulness ${Math.random()}`, kind: "ordinal", levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: `L${v}` })), ...extra })
    .select()
    .single();
  if (error) throw error;
  return data as Rubric & { org_id: string; frozen_at: string | null };
}

async function queue(org: TestOrg, rubricIds: string[], items: number, extra: Record<string, unknown> = {}) {
  const ids: string[] = [];
  for (let i = 0; i < items; i++) ids.push(await addFeedback(stack, org.id, { query: `question ${i}` }));
  const { data, error } = await org.users.curator.client
    .from("review_queues")
    .insert({ org_id: org.id, name: "Queue", source_kind: "feedback", source: { feedback_ids: ids }, score_config_ids: rubricIds, overlap: 2, ...extra })
    .select()
    .single();
  if (error) throw error;
  return data as { id: string };
}

async function claim(user: TestUser, queueId: string) {
  const { data, error } = await user.client.rpc("claim_next_review_item", { p_queue: queueId });
  if (error) throw error;
  return data as { assignment: { id: string; slot: number; item_id: string }; item: { id: string } } | null;
}

describe("review queues (database-backed)", () => {
  it("a queue materializes its items and freezes its rubric; a frozen version cannot change, a new version can be made", async () => {
    const org = await createOrg(stack, "rq-freeze");
    const r = await rubric(org);
    expect(r.version).toBe(1);
    const q = await queue(org, [r.id], 3);
    const { data: items } = await org.users.reviewer.client.from("review_items").select("position, query").eq("queue_id", q.id).order("position");
    expect(items!.map((i) => i.query)).toEqual(["question 0", "question 1", "question 2"]);
    const edit = await org.users.curator.client.from("score_configs").update({ description: "changed" }).eq("id", r.id).select();
    expect(edit.error?.message ?? "").toMatch(/frozen/);
    const v2 = await org.users.curator.client.from("score_configs").insert({ org_id: org.id, name: r.name, kind: "boolean" }).select().single();
    expect(v2.data?.version).toBe(2);
  });

  it("a rubric of another organization cannot be put in a queue", async () => {
    const org = await createOrg(stack, "rq-x1");
    const other = await createOrg(stack, "rq-x2");
    const theirs = await rubric(other);
    const { error } = await org.users.curator.client
      .from("review_queues")
      .insert({ org_id: org.id, name: "Sneaky", source_kind: "feedback", source: {}, score_config_ids: [theirs.id] });
    expect(error).not.toBeNull();
  });

  it("blind mode, as the attack: a reviewer reading scores over REST before submitting gets nothing; after submitting, sees them; a manager sees all", async () => {
    const org = await createOrg(stack, "rq-blind");
    const r = await rubric(org);
    const q = await queue(org, [r.id], 1);
    const c = await claim(org.users.curator, q.id);
    const rv = await claim(org.users.reviewer, q.id);
    expect(c!.item.id).toBe(rv!.item.id);
    const item = c!.item.id;
    const sub = await org.users.curator.client.rpc("submit_scores", { p_item: item, p_scores: { [r.id]: 5 } });
    expect(sub.error).toBeNull();

    const peek = await org.users.reviewer.client.from("scores").select("*").eq("item_id", item);
    expect(peek.error).toBeNull();
    expect(peek.data).toEqual([]);
    const peekAdj = await org.users.reviewer.client.from("scores").select("value").eq("queue_id", q.id);
    expect(peekAdj.data).toEqual([]);
    expect((await org.users.manager.client.from("scores").select("value").eq("item_id", item)).data).toHaveLength(1);

    const mine = await org.users.reviewer.client.rpc("submit_scores", { p_item: item, p_scores: { [r.id]: 2 } });
    expect(mine.error).toBeNull();
    const after = await org.users.reviewer.client.from("scores").select("value").eq("item_id", item);
    expect(after.data!.map((s) => s.value).sort()).toEqual([2, 5]);

    const again = await org.users.reviewer.client.rpc("submit_scores", { p_item: item, p_scores: { [r.id]: 3 } });
    expect(again.error?.message).toMatch(/already scored/);
  });

  it("another organization's reviewer cannot claim, score or read", async () => {
    const org = await createOrg(stack, "rq-tenant");
    const other = await createOrg(stack, "rq-tenant2");
    const r = await rubric(org);
    const q = await queue(org, [r.id], 1);
    const c = await claim(org.users.reviewer, q.id);
    const stranger = other.users.admin;
    const claimTry = await stranger.client.rpc("claim_next_review_item", { p_queue: q.id });
    expect(claimTry.error).not.toBeNull();
    const submitTry = await stranger.client.rpc("submit_scores", { p_item: c!.item.id, p_scores: { [r.id]: 1 } });
    expect(submitTry.error).not.toBeNull();
    expect((await stranger.client.from("review_items").select("id").eq("queue_id", q.id)).data).toEqual([]);
    const managerTry = await org.users.manager.client.rpc("claim_next_review_item", { p_queue: q.id });
    expect(managerTry.error?.message).toMatch(/review:score/);
  });

  it("an invalid value is refused and scoring without a slot is refused", async () => {
    const org = await createOrg(stack, "rq-invalid");
    const r = await rubric(org);
    const q = await queue(org, [r.id], 2);
    const c = await claim(org.users.reviewer, q.id);
    const bad = await org.users.reviewer.client.rpc("submit_scores", { p_item: c!.item.id, p_scores: { [r.id]: 9 } });
    expect(bad.error?.message).toMatch(/valid ordinal/);
    const { data: items } = await org.users.reviewer.client.from("review_items").select("id").eq("queue_id", q.id);
    const unclaimed = items!.find((i) => i.id !== c!.item.id)!;
    const noSlot = await org.users.reviewer.client.rpc("submit_scores", { p_item: unclaimed.id, p_scores: { [r.id]: 3 } });
    expect(noSlot.error?.message).toMatch(/no slot/);
  });

  it("leases: reviewers claiming together get distinct slots, never more than N per item, and an expired lease frees its slot", async () => {
    const org = await createOrg(stack, "rq-race");
    const r = await rubric(org);
    const q = await queue(org, [r.id], 1);
    const extra = await Promise.all([1, 2, 3, 4].map((i) => createUser(stack, `rq-race-${i}`)));
    await sql(stack)`insert into public.memberships ${sql(stack)(extra.map((u) => ({ org_id: org.id, user_id: u.id, role: "reviewer" })))}`;
    const everyone = [org.users.reviewer, org.users.curator, org.users.admin, ...extra];
    const results = await Promise.all(everyone.map((u) => claim(u, q.id)));
    const got = results.filter((x) => x !== null);
    expect(got).toHaveLength(2);
    expect(new Set(got.map((g) => g!.assignment.slot))).toEqual(new Set([1, 2]));

    // All score at once: only the two slot holders get in.
    const submits = await Promise.all(everyone.map((u, i) => u.client.rpc("submit_scores", { p_item: got[0]!.item.id, p_scores: { [r.id]: 1 + (i % 5) } })));
    expect(submits.filter((s) => !s.error)).toHaveLength(2);
    const [{ n }] = (await sql(stack)`select count(*)::int as n from public.scores where queue_id = ${q.id}`) as unknown as [{ n: number }];
    expect(n).toBe(2);

    // An expired lease goes back to the queue.
    const org2 = await createOrg(stack, "rq-lease");
    const r2 = await rubric(org2);
    const q2 = await queue(org2, [r2.id], 1, { overlap: 1 });
    const first = await claim(org2.users.reviewer, q2.id);
    expect(await claim(org2.users.curator, q2.id)).toBeNull();
    await sql(stack)`update public.review_assignments set lease_expires_at = now() - interval '1 second' where id = ${first!.assignment.id}`;
    const second = await claim(org2.users.curator, q2.id);
    expect(second!.item.id).toBe(first!.item.id);
    const late = await org2.users.reviewer.client.rpc("submit_scores", { p_item: first!.item.id, p_scores: { [r2.id]: 4 } });
    expect(late.error?.message).toMatch(/no slot/);
  });

  it("adjudication: only curators and admins, with a reason, audited; the report's finals use it", async () => {
    const org = await createOrg(stack, "rq-adj");
    const r = await rubric(org);
    const q = await queue(org, [r.id], 1);
    for (const [u, v] of [[org.users.reviewer, 1], [org.users.admin, 5]] as const) {
      const c = await claim(u, q.id);
      const s = await u.client.rpc("submit_scores", { p_item: c!.item.id, p_scores: { [r.id]: v } });
      expect(s.error).toBeNull();
    }
    const { data: items } = await org.users.curator.client.from("review_items").select("id, status").eq("queue_id", q.id);
    expect(items![0]!.status).toBe("complete");
    const item = items![0]!.id;
    // The curator did not score, but the item is complete: the adjudicator sees both ratings.
    expect((await org.users.curator.client.from("scores").select("value").eq("item_id", item)).data).toHaveLength(2);

    const byReviewer = await org.users.reviewer.client.rpc("adjudicate", { p_item: item, p_score_config: r.id, p_value: 3, p_reason: "middle" });
    expect(byReviewer.error?.message).toMatch(/review:adjudicate/);
    const noReason = await org.users.curator.client.rpc("adjudicate", { p_item: item, p_score_config: r.id, p_value: 3, p_reason: "" });
    expect(noReason.error?.message).toMatch(/Say why/);
    const ok = await org.users.curator.client.rpc("adjudicate", { p_item: item, p_score_config: r.id, p_value: 4, p_reason: "The answer is mostly right" });
    expect(ok.error).toBeNull();
    const audit = await sql(stack)`select actor_id, details from public.audit_logs where org_id = ${org.id} and action = 'review.adjudicated'`;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_id).toBe(org.users.curator.id);
    expect(audit[0]!.details.ratings).toHaveLength(2);

    const { data: scores } = await org.users.manager.client.from("scores").select("item_id, reviewer_id, score_config_id, value").eq("queue_id", q.id);
    const { data: adj } = await org.users.manager.client.from("adjudications").select("item_id, score_config_id, value").eq("queue_id", q.id);
    const report = queueReport([r], scores!, adj!, { threshold: 0.34 });
    expect(report.finals).toEqual([expect.objectContaining({ itemId: item, value: 4, source: "adjudicated" })]);
    expect(report.disagreements).toHaveLength(1);
  });

  it("the report computed from the rows a manager reads agrees with the statistics on the same matrix", async () => {
    const org = await createOrg(stack, "rq-report");
    const r = await rubric(org);
    const q = await queue(org, [r.id], 4);
    const plan: Array<[TestUser, number[]]> = [
      [org.users.reviewer, [1, 2, 3, 4]],
      [org.users.curator, [1, 2, 4, 4]],
    ];
    for (const [u, values] of plan) {
      for (const v of values) {
        const c = await claim(u, q.id);
        expect((await u.client.rpc("submit_scores", { p_item: c!.item.id, p_scores: { [r.id]: v } })).error).toBeNull();
      }
    }
    const { data: scores } = await org.users.manager.client.from("scores").select("item_id, reviewer_id, score_config_id, value").eq("queue_id", q.id);
    const report = queueReport([r], scores!, [], { resamples: 100 });
    expect(report.items).toBe(4);
    expect(report.ratings).toBe(8);
    expect(report.rubrics[0]!.alpha.estimate).toBeCloseTo(krippendorffAlpha([[1, 1], [2, 2], [3, 4], [4, 4]], "ordinal"), 12);
    expect(report.pairs).toHaveLength(1);
  });

  it("an A/B evaluation's outputs become pairwise items scored with a preference; round-robin gives reviewers different first items", async () => {
    const org = await createOrg(stack, "rq-ab");
    const db = sql(stack);
    const [job] = await db`insert into public.jobs (org_id, kind, name, status) values (${org.id}, 'ab_eval', 'A/B', 'completed') returning id`;
    for (let i = 0; i < 4; i++) {
      await db`insert into public.eval_results (job_id, org_id, item_index, query, output_a, output_b) values (${job!.id}, ${org.id}, ${i}, ${`q${i}`}, ${`a${i}`}, ${`b${i}`})`;
    }
    const pref = await rubric(org, { kind: "preference", levels: [] });
    const { data: q, error } = await org.users.curator.client
      .from("review_queues")
      .insert({ org_id: org.id, name: "Human preference", source_kind: "ab_eval", source: { job_id: job!.id }, score_config_ids: [pref.id], overlap: 1, assignment_mode: "round_robin", assignees: [org.users.reviewer.id, org.users.curator.id] })
      .select()
      .single();
    expect(error).toBeNull();
    const { data: items } = await org.users.reviewer.client.from("review_items").select("position, is_pairwise, output_a, output_b").eq("queue_id", q!.id).order("position");
    expect(items!.map((i) => [i.is_pairwise, i.output_a, i.output_b])).toEqual([0, 1, 2, 3].map((i) => [true, `a${i}`, `b${i}`]));

    const mine = await claim(org.users.reviewer, q!.id);
    const theirs = await claim(org.users.curator, q!.id);
    expect(mine!.item.id).not.toBe(theirs!.item.id);
    const bad = await org.users.reviewer.client.rpc("submit_scores", { p_item: mine!.item.id, p_scores: { [pref.id]: "C" } });
    expect(bad.error).not.toBeNull();
    const ok = await org.users.reviewer.client.rpc("submit_scores", { p_item: mine!.item.id, p_scores: { [pref.id]: "B" } });
    expect(ok.error).toBeNull();
    // The admin is not one of this queue's reviewers.
    const outsider = await org.users.admin.client.rpc("claim_next_review_item", { p_queue: q!.id });
    expect(outsider.error?.message).toMatch(/not one of this queue/);
  });

  it("reviewer throughput counts submitted items per day per reviewer, for report readers only", async () => {
    const org = await createOrg(stack, "rq-throughput");
    const r = await rubric(org);
    const q = await queue(org, [r.id], 3);
    for (let i = 0; i < 3; i++) {
      const c = await claim(org.users.reviewer, q.id);
      expect((await org.users.reviewer.client.rpc("submit_scores", { p_item: c!.item.id, p_scores: { [r.id]: 3 } })).error).toBeNull();
    }
    const c = await claim(org.users.curator, q.id);
    expect((await org.users.curator.client.rpc("submit_scores", { p_item: c!.item.id, p_scores: { [r.id]: 4 } })).error).toBeNull();
    const { data, error } = await org.users.manager.client.rpc("review_throughput", { p_org: org.id, p_days: 7 });
    expect(error).toBeNull();
    const byReviewer = Object.fromEntries((data as Array<{ reviewer_id: string; items: number }>).map((x) => [x.reviewer_id, x.items]));
    expect(byReviewer).toEqual({ [org.users.reviewer.id]: 3, [org.users.curator.id]: 1 });
    const refused = await org.users.reviewer.client.rpc("review_throughput", { p_org: org.id, p_days: 7 });
    expect(refused.error?.message).toMatch(/review:report/);
    const other = await createOrg(stack, "rq-throughput-other");
    const stranger = await other.users.admin.client.rpc("review_throughput", { p_org: org.id, p_days: 7 });
    expect(stranger.error).not.toBeNull();
  });
});
