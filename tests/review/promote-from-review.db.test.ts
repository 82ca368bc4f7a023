import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql } from "../helpers/stack.ts";
import { newPrompt, promoteDirect, saveVersion, statuses } from "../prompts/helpers.ts";

// Pairwise human preference feeding the gate: people review an A/B evaluation's outputs side by side; when
// B's human win rate's CI lower bound clears the gate's threshold, an admin promotes B on that evidence,
// and the promotion history records it. Attacks: a curator, another organization's admin, forged numbers.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
let prompt: { id: string };
let v2: { id: string };
let jobId: string;
let rubricId: string;
const N = 24;

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "pref-gate"), createOrg(stack, "pref-gate-x")]);
  prompt = await newPrompt(stack, org);
  const v1 = await saveVersion(stack, org, prompt.id, "Answer: {{query}}");
  await promoteDirect(stack, v1.id);
  v2 = await saveVersion(stack, org, prompt.id, "Answer well: {{query}}");
  const db = sql(stack);
  // A finished evaluation of v2 (B) against v1 (A), with its per-item outputs (what the worker stores).
  const [job] = await db`insert into public.jobs (org_id, kind, name, status, config) values (${org.id}, 'ab_eval', 'v1 vs v2', 'completed',
    ${db.json({ variantA: { promptVersionId: v1.id }, variantB: { promptVersionId: v2.id }, evalSet: { source: "curated", items: [{ query: "q" }] } })}) returning id`;
  jobId = job!.id;
  for (let i = 0; i < N; i++) {
    await db`insert into public.eval_results (job_id, org_id, item_index, query, output_a, output_b) values (${jobId}, ${org.id}, ${i}, ${`question ${i}`}, ${`a ${i}`}, ${`b ${i}`})`;
  }
  const { data: r, error } = await org.users.curator.client.from("score_configs").insert({ org_id: org.id, name: "Better answer", kind: "preference" }).select().single();
  if (error) throw error;
  rubricId = r!.id;
});

/** A queue over the evaluation where the curator prefers B on the first `bWins` items and A on the rest. */
async function reviewed(bWins: number) {
  const { data: q, error } = await org.users.curator.client.from("review_queues")
    .insert({ org_id: org.id, name: `Side by side ${bWins}`, source_kind: "ab_eval", source: { job_id: jobId }, score_config_ids: [rubricId], overlap: 1 }).select().single();
  if (error) throw error;
  for (let k = 0; ; k++) {
    const { data: c, error: ce } = await org.users.curator.client.rpc("claim_next_review_item", { p_queue: q!.id });
    if (ce) throw ce;
    if (!c) break;
    const item = (c as { item: { id: string; output_a: string } }).item;
    const { error: se } = await org.users.curator.client.rpc("submit_scores", { p_item: item.id, p_scores: { [rubricId]: k < bWins ? "B" : "A" } });
    if (se) throw se;
  }
  return q!.id as string;
}

describe("promote-from-review", () => {
  it("weak human evidence does not promote; strong evidence promotes B and is recorded as the promotion's evidence", async () => {
    const split = await reviewed(13);
    const weak = await callFunction(stack, "promote-from-review", { queueId: split }, org.users.admin.accessToken);
    expect(weak.status).toBe(200);
    expect(weak.body.promoted).toBe(false);
    expect(weak.body.evidence.n).toBe(N);
    expect(weak.body.reasons.join(" ")).toMatch(/lower bound/);
    expect(await statuses(stack, prompt.id)).toEqual({ 1: "production", 2: "candidate" });

    const strong = await reviewed(22);
    const res = await callFunction(stack, "promote-from-review", { queueId: strong }, org.users.admin.accessToken);
    expect(res.status).toBe(200);
    expect(res.body.promoted).toBe(true);
    expect(res.body.versionId).toBe(v2.id);
    expect(res.body.evidence).toMatchObject({ n: N, wins: 22, losses: 2, ties: 0, threshold: 0.525 });
    expect(res.body.evidence.lower).toBeGreaterThan(0.525);
    expect(await statuses(stack, prompt.id)).toEqual({ 1: "retired", 2: "production" });
    const db = sql(stack);
    const [p] = await db`select kind, evidence_job_id, actor_id, reason from public.prompt_promotions where version_id = ${v2.id} order by id desc limit 1`;
    expect(p).toMatchObject({ kind: "human_review", evidence_job_id: jobId, actor_id: org.users.admin.id });
    expect(p!.reason).toMatch(/people preferred B at 91\.7% over 24 items/);
    const [audit] = await db`select details from public.audit_logs where org_id = ${org.id} and action = 'prompt.human_evidence' order by id desc limit 1`;
    expect(audit!.details).toMatchObject({ queue_id: strong, job_id: jobId, wins: 22, n: N });
  });

  it("the attacks: a curator may not promote, another organization's admin finds nothing, and nobody calls the recording function with numbers of their own", async () => {
    const q = await reviewed(20);
    const curator = await callFunction(stack, "promote-from-review", { queueId: q }, org.users.curator.accessToken);
    expect(curator.status).toBe(403);
    const cross = await callFunction(stack, "promote-from-review", { queueId: q }, other.users.admin.accessToken);
    expect(cross.status).toBe(404);
    const forged = await org.users.admin.client.rpc("promote_prompt_version_from_review", {
      p_version_id: v2.id, p_job_id: jobId, p_queue_id: q, p_evidence: { n: 1000, lower: 0.99 }, p_actor: org.users.admin.id,
    });
    expect(forged.error).not.toBeNull();
    expect(forged.data).toBeNull();
  });
});
