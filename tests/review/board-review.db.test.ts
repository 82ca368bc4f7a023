import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { agreementOverTime } from "@review/shared/review/boards";
import { krippendorffAlpha } from "@review/shared/stats/agreement";
import { addFeedback, createOrg, type TestOrg } from "../helpers/org.ts";
import { client, getStack } from "../helpers/stack.ts";

// The reviewers' board RPC (public.board_review): what a manager gets, and the attacks: another
// organization's admin naming this organization's id, a reviewer, an anonymous caller.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
let rubricId: string;
const today = new Date().toISOString().slice(0, 10);
const weekAgo = new Date(Date.now() - 6 * 864e5).toISOString().slice(0, 10);

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "board-rv"), createOrg(stack, "board-rv-x")]);
  const { data: r, error } = await org.users.curator.client.from("score_configs")
    .insert({ org_id: org.id, name: "Quality", kind: "ordinal", levels: [1, 2, 3].map((v) => ({ value: v, label: `L${v}` })) }).select().single();
  if (error) throw error;
  rubricId = r!.id;
  const ids = [await addFeedback(stack, org.id, { query: "q1" }), await addFeedback(stack, org.id, { query: "q2" }), await addFeedback(stack, org.id, { query: "q3" })];
  const { data: q, error: qe } = await org.users.curator.client.from("review_queues")
    .insert({ org_id: org.id, name: "Board", source_kind: "feedback", source: { feedback_ids: ids }, score_config_ids: [rubricId], overlap: 2 }).select().single();
  if (qe) throw qe;
  // The curator scores all three items (3, 1, 2), the reviewer the first two (3, 2): two complete items.
  const plan: Array<[keyof TestOrg["users"], number[]]> = [["curator", [3, 1, 2]], ["reviewer", [3, 2]]];
  for (const [who, values] of plan) {
    for (const v of values) {
      const { data: c, error: ce } = await org.users[who].client.rpc("claim_next_review_item", { p_queue: q!.id });
      if (ce) throw ce;
      const item = (c as { item: { id: string } }).item.id;
      const { error: se } = await org.users[who].client.rpc("submit_scores", { p_item: item, p_scores: { [rubricId]: v } });
      if (se) throw se;
    }
  }
});

describe("public.board_review", () => {
  it("gives a manager throughput per reviewer and day, the ratings of the completed items and the cost they are divided into", async () => {
    const { data, error } = await org.users.manager.client.rpc("board_review", { p_org: org.id, p_from: weekAgo, p_to: today });
    expect(error).toBeNull();
    const b = data as { throughput: Array<{ reviewer_id: string; items: number }>; agreement: { rubrics: Array<{ id: string }>; units: Array<{ day: string; rubric_id: string; values: unknown[] }> }; cost: Array<{ items: number; cost_usd: number }> | null };
    const per = Object.fromEntries(b.throughput.map((t) => [t.reviewer_id, t.items]));
    expect(per).toEqual({ [org.users.curator.id]: 3, [org.users.reviewer.id]: 2 });
    expect(b.agreement.units).toHaveLength(2);
    expect(b.agreement.units.map((u) => [...u.values].map(Number).sort()).sort()).toEqual([[1, 2], [3, 3]]);
    expect(b.cost!.reduce((s, c) => s + c.items, 0)).toBe(2);
    const points = agreementOverTime(b.agreement.rubrics as never, b.agreement.units, "day", { resamples: 20 });
    expect(points).toHaveLength(1);
    expect(points[0]!.alpha.estimate).toBeCloseTo(krippendorffAlpha(b.agreement.units.map((u) => u.values as number[]), "ordinal"), 12);
    // Outside the range: nothing.
    const old = await org.users.manager.client.rpc("board_review", { p_org: org.id, p_from: "2020-01-01", p_to: "2020-01-31" });
    expect((old.data as { throughput: unknown[] }).throughput).toEqual([]);
  });

  it("a curator reads the board without the LLM cost (that needs usage:read)", async () => {
    const { data, error } = await org.users.curator.client.rpc("board_review", { p_org: org.id, p_from: weekAgo, p_to: today });
    expect(error).toBeNull();
    expect((data as { cost: unknown }).cost).toBeNull();
    expect((data as { agreement: { units: unknown[] } }).agreement.units).toHaveLength(2);
  });

  it("the attack: another organization's admin naming this organization's id is refused as if it did not exist, a reviewer is refused, anon reaches nothing", async () => {
    const cross = await other.users.admin.client.rpc("board_review", { p_org: org.id, p_from: weekAgo, p_to: today });
    expect(cross.data).toBeNull();
    expect(cross.error?.message ?? "").toMatch(/not found/i);
    const reviewer = await org.users.reviewer.client.rpc("board_review", { p_org: org.id, p_from: weekAgo, p_to: today });
    expect(reviewer.data).toBeNull();
    expect(reviewer.error?.message ?? "").toMatch(/review:report/);
    const anon = await client(stack).rpc("board_review", { p_org: org.id, p_from: weekAgo, p_to: today });
    expect(anon.data).toBeNull();
    expect(anon.error).not.toBeNull();
    // Their own organization answers (empty): the refusal above is about the id, not the caller.
    const own = await other.users.admin.client.rpc("board_review", { p_org: other.id, p_from: weekAgo, p_to: today });
    expect(own.error).toBeNull();
    expect((own.data as { throughput: unknown[] }).throughput).toEqual([]);
  });

  it("refuses a range the boards refuse", async () => {
    const { error } = await org.users.manager.client.rpc("board_review", { p_org: org.id, p_from: today, p_to: weekAgo });
    expect(error?.message ?? "").toMatch(/p_from <= p_to/);
  });
});
