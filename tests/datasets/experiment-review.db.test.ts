import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { TRY_EVALUATOR_MAX_ITEMS } from "@review/shared/api/datasets";
import { runDeterministic } from "@review/shared/datasets/evaluators";
import { isExcludedFromOnlineEval } from "@review/shared/datasets/online";
import { parseWorkerEnv, startWorker, type WorkerHandle } from "@review/worker";
import type { HandlerDeps } from "@review/worker/features/common";
import { runFineTune } from "@review/worker/features/fine-tune/handler";
import { createWorkerLlm } from "@review/worker/llm";
import { silentLogger } from "@review/worker/log";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, waitFor } from "../helpers/stack.ts";

// Experiments meet people (supabase/migrations/20260102000700_experiment_review.sql and the try-evaluator
// function): an experiment's outputs become review items (inside the queue's organization only), an
// unsaved evaluator is tried with the worker's own scoring code, and a version's items are split by a
// seeded hash.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
let db: postgres.Sql;

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "exp-review"), createOrg(stack, "exp-review-other")]);
  db = postgres(stack.dbUrl, { onnotice: () => {}, max: 2 });
});
let worker: WorkerHandle | undefined;
afterAll(async () => {
  await worker?.stop(2000);
  await db?.end({ timeout: 1 });
});

const ITEMS = [
  { query: "How do I get a refund for a double charge?", expected: "Refunds for double charges go back to the card within 5 days.", response: "We refund double charges to the card within 5 days." },
  { query: "Where is my parcel?", expected: "Track it under Orders, Track.", response: "Look under Orders." },
  { query: "Can I change my address?", expected: "Yes: Account, Addresses.", response: "Yes, under Account, Addresses." },
  { query: "How do I delete my account?", expected: "Settings, Privacy, Delete account.", response: "Write to support." },
  { query: "Do you ship abroad?", expected: "We ship to 30 countries.", response: "Yes, to 30 countries." },
  { query: "Is there a student discount?", expected: "Yes, 20% with a student email.", response: "No." },
];

/**
 * A published version of ITEMS and a two-variant experiment over it with stored outputs (as the worker
 * leaves them): variant 0 answers the expected text, variant 1 the logged response; the last item's
 * variant 1 failed.
 */
async function experimentFixture(t: TestOrg) {
  const [d] = await db`insert into public.datasets (org_id, name) values (${t.id}, ${`ds-${randomUUID().slice(0, 6)}`}) returning id`;
  const [v] = await db`insert into public.dataset_versions (org_id, dataset_id, version) values (${t.id}, ${d!.id}, 1) returning id`;
  const items = await db`
    insert into public.dataset_items (org_id, version_id, position, query, expected, metadata)
    select ${t.id}, ${v!.id}, o - 1, x ->> 'query', x ->> 'expected', jsonb_build_object('response', x ->> 'response')
      from jsonb_array_elements(${db.json(ITEMS)}) with ordinality as e(x, o)
    returning id, position, query, expected`;
  await db`update public.dataset_versions set status = 'published', item_count = ${ITEMS.length} where id = ${v!.id}`;
  const [job] = await db`
    insert into public.jobs (org_id, kind, name, status, config) values (${t.id}, 'experiment', 'exp', 'completed', ${db.json({
      datasetVersionId: v!.id, variants: [{ model: "offline-fast-1", label: "fast" }, { model: "offline-strong-1", label: "strong" }], evaluatorIds: [], baseline: 0,
    })}) returning id`;
  const [exp] = await db`select id from public.experiments where job_id = ${job!.id}`;
  const sorted = [...items].sort((a, b) => a.position - b.position);
  for (const it of sorted) {
    const src = ITEMS[it.position]!;
    await db`insert into public.experiment_results (org_id, experiment_id, item_id, variant, output, scores, latency_ms, cost_usd)
      values (${t.id}, ${exp!.id}, ${it.id}, 0, ${src.expected}, ${db.json({ judge: 0 })}, 100, 0.001)`;
    const failed = it.position === ITEMS.length - 1;
    await db`insert into public.experiment_results (org_id, experiment_id, item_id, variant, output, scores, latency_ms, cost_usd, error)
      values (${t.id}, ${exp!.id}, ${it.id}, 1, ${failed ? "" : src.response}, ${db.json(failed ? {} : { judge: it.position % 2 ? -0.5 : 0.5 })}, 250, 0.002, ${failed ? "llm_failed: boom" : null})`;
  }
  const results = await db`select id::text, item_id, variant, output, error from public.experiment_results where experiment_id = ${exp!.id}`;
  return { versionId: v!.id as string, experimentId: exp!.id as string, items: sorted, results };
}

async function rubric(t: TestOrg, kind: "preference" | "boolean") {
  const r = await t.users.curator.client.from("score_configs").insert({ org_id: t.id, name: `r-${randomUUID().slice(0, 6)}`, kind }).select("id").single();
  expect(r.error).toBeNull();
  return r.data!.id as string;
}

describe("experiment outputs in a review queue", () => {
  it("one variant gives single items, two give pairwise items; each links back to its result rows, failed outputs are left out", async () => {
    const fx = await experimentFixture(org);
    const single = await org.users.curator.client.from("review_queues").insert({
      org_id: org.id, name: "strong only", source_kind: "experiment", source: { experiment_id: fx.experimentId, variant_ids: [1] }, score_config_ids: [await rubric(org, "boolean")], overlap: 1,
    }).select("id").single();
    expect(single.error).toBeNull();
    const sItems = (await org.users.reviewer.client.from("review_items").select("*").eq("queue_id", single.data!.id).order("position")).data!;
    const ok1 = fx.results.filter((r) => r.variant === 1 && !r.error);
    expect(sItems).toHaveLength(ITEMS.length - 1);
    expect(sItems.map((i) => i.source_id).sort()).toEqual(ok1.map((r) => r.id).sort());
    for (const i of sItems) {
      const r = fx.results.find((x) => x.id === i.source_id)!;
      expect(i).toMatchObject({ source_kind: "experiment", response: r.output, is_pairwise: false, query: ITEMS[i.context.item_position]!.query });
      expect(i.context).toMatchObject({ experiment_id: fx.experimentId, item_id: r.item_id, variant_ids: [1], result_ids: [Number(r.id)], variant_labels: ["strong"] });
    }

    const pair = await org.users.curator.client.from("review_queues").insert({
      org_id: org.id, name: "fast vs strong", source_kind: "experiment", source: { experiment_id: fx.experimentId, variant_ids: [0, 1] }, score_config_ids: [await rubric(org, "preference")], overlap: 2,
    }).select("id").single();
    expect(pair.error).toBeNull();
    const pItems = (await org.users.reviewer.client.from("review_items").select("*").eq("queue_id", pair.data!.id).order("position")).data!;
    expect(pItems).toHaveLength(ITEMS.length - 1);
    for (const i of pItems) {
      const a = fx.results.find((r) => r.item_id === i.context.item_id && r.variant === 0)!;
      const b = fx.results.find((r) => r.item_id === i.context.item_id && r.variant === 1)!;
      expect(i).toMatchObject({ is_pairwise: true, output_a: a.output, output_b: b.output, source_id: `${a.id}:${b.id}` });
      expect(i.context.result_ids).toEqual([Number(a.id), Number(b.id)]);
    }
    // The items are in the dataset's order, and a reviewer can claim and score one as any other.
    expect(pItems.map((i) => i.context.item_position)).toEqual([0, 1, 2, 3, 4]);
    const claimed = await org.users.reviewer.client.rpc("claim_next_review_item", { p_queue: pair.data!.id });
    expect(claimed.error).toBeNull();
    const cfg = (await db`select score_config_ids from public.review_queues where id = ${pair.data!.id}`)[0]!.score_config_ids[0];
    const submitted = await org.users.reviewer.client.rpc("submit_scores", { p_item: claimed.data.item.id, p_scores: { [cfg]: "B" } });
    expect(submitted.error).toBeNull();
  });

  it("attack: another tenant's experiment id gives an empty queue, and reveals nothing of its outputs", async () => {
    const fx = await experimentFixture(org);
    const q = await other.users.curator.client.from("review_queues").insert({
      org_id: other.id, name: "stolen", source_kind: "experiment", source: { experiment_id: fx.experimentId, variant_ids: [0, 1] }, score_config_ids: [await rubric(other, "preference")], overlap: 1,
    }).select("id").single();
    expect(q.error).toBeNull();
    expect((await db`select count(*)::int as n from public.review_items where queue_id = ${q.data!.id}`)[0]!.n).toBe(0);
    // Nor can it be written straight into the other organization.
    const forged = await other.users.curator.client.from("review_queues").insert({
      org_id: org.id, name: "forged", source_kind: "experiment", source: { experiment_id: fx.experimentId, variant_ids: [0] }, score_config_ids: [await rubric(other, "boolean")], overlap: 1,
    });
    expect(forged.error).not.toBeNull();
    // A reviewer may not create queues at all.
    const reviewer = await org.users.reviewer.client.from("review_queues").insert({
      org_id: org.id, name: "not mine", source_kind: "experiment", source: { experiment_id: fx.experimentId, variant_ids: [0] }, score_config_ids: [await rubric(org, "boolean")], overlap: 1,
    });
    expect(reviewer.error).not.toBeNull();
  });

  it("refuses variants the experiment does not have, and more than two", async () => {
    const fx = await experimentFixture(org);
    const cfg = await rubric(org, "boolean");
    for (const variant_ids of [[2], [0, 0], [0, 1, 1], [], ["x"]]) {
      const r = await org.users.curator.client.from("review_queues").insert({
        org_id: org.id, name: "bad", source_kind: "experiment", source: { experiment_id: fx.experimentId, variant_ids }, score_config_ids: [cfg], overlap: 1,
      });
      expect(r.error?.code, JSON.stringify(variant_ids)).toBe("invalid_input");
    }
  });
});

describe("try-evaluator", () => {
  it("a deterministic evaluator scores the experiment's outputs exactly as the worker's shared code does; nothing is stored", async () => {
    const fx = await experimentFixture(org);
    const before = (await db`select count(*)::int as n from public.evaluators where org_id = ${org.id}`)[0]!.n;
    const config = { type: "token_f1" as const };
    const r = await callFunction(stack, "try-evaluator", { datasetVersionId: fx.versionId, evaluator: { kind: "deterministic", config }, experimentId: fx.experimentId, variant: 1 }, org.users.curator.accessToken);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.outputsFrom).toMatchObject({ kind: "experiment", variant: 1, label: "strong", baseline: 0 });
    expect(r.body.items).toHaveLength(TRY_EVALUATOR_MAX_ITEMS);
    for (const it of r.body.items) {
      const res = fx.results.find((x) => x.item_id === it.itemId && x.variant === 1)!;
      expect(it.output).toBe(res.output);
      expect(it.score).toBe(runDeterministic(config, { output: res.output, expected: ITEMS[it.position]!.expected, latencyMs: 250, costUsd: 0.002 }));
    }
    // Without an experiment: the items' logged answers; a smaller limit is honoured.
    const logged = await callFunction(stack, "try-evaluator", { datasetVersionId: fx.versionId, evaluator: { kind: "deterministic", config: { type: "contains", value: "refund" } }, limit: 2 }, org.users.admin.accessToken);
    expect(logged.status).toBe(200);
    expect(logged.body.items.map((i: { score: number | null }) => i.score)).toEqual([1, 0]);
    expect((await db`select count(*)::int as n from public.evaluators where org_id = ${org.id}`)[0]!.n).toBe(before);
  });

  it("an LLM judge goes through the live judge prompt, in both orders, and every call is logged to ai_requests", async () => {
    const fx = await experimentFixture(org);
    const r = await callFunction(stack, "try-evaluator", { datasetVersionId: fx.versionId, evaluator: { kind: "llm_judge", config: { mode: "reference" } }, experimentId: fx.experimentId, variant: 1, limit: 2 }, org.users.curator.accessToken);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    for (const it of r.body.items) {
      expect(it.verdicts.map((v: { order: string }) => v.order)).toEqual(["AB", "BA"]);
      expect(it.score).toBeGreaterThanOrEqual(-1);
      expect(it.score).toBeLessThanOrEqual(1);
      expect(it.against).toBe(ITEMS[it.position]!.expected);
    }
    // Logged under a judge's name, so an online rule on all traffic never samples a try-out's judge calls.
    const [{ n }] = (await db`select count(*)::int as n from public.ai_requests where org_id = ${org.id} and function_name = 'try-evaluator:judge'`) as unknown as [{ n: number }];
    expect(n).toBeGreaterThanOrEqual(4);
    expect(isExcludedFromOnlineEval("try-evaluator:judge")).toBe(true);
  });

  it("a rubric judge scores each output alone on its scale (normalized, raw value and label shown), with the expected answer when there is one", async () => {
    const fx = await experimentFixture(org);
    const config = { mode: "rubric", rubric: "Does the answer give the concrete next step?", scale: { min: 1, max: 5, labels: [{ value: 1, label: "no" }, { value: 3, label: "partly" }, { value: 5, label: "yes" }] } };
    const r = await callFunction(stack, "try-evaluator", { datasetVersionId: fx.versionId, evaluator: { kind: "llm_judge", config }, experimentId: fx.experimentId, variant: 1, limit: 3 }, org.users.curator.accessToken);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.items).toHaveLength(3);
    for (const it of r.body.items) {
      if (it.output === null) continue;
      expect([1, 3, 5]).toContain(it.judgement.raw);
      expect(it.score).toBe((it.judgement.raw - 1) / 4);
      expect(it.judgement.label).toBe({ 1: "no", 3: "partly", 5: "yes" }[it.judgement.raw as 1 | 3 | 5]);
      expect(it.judgement.usedReference).toBe(it.expected !== null);
      expect(it.verdicts).toBeUndefined();
    }
    const [{ n }] = (await db`select count(*)::int as n from public.ai_requests where org_id = ${org.id} and function_name = 'try-evaluator:judge'`) as unknown as [{ n: number }];
    expect(n).toBeGreaterThanOrEqual(2);
    // A rubric judge without its scale is refused by the shared schema, before any call.
    const bad = await callFunction(stack, "try-evaluator", { datasetVersionId: fx.versionId, evaluator: { kind: "llm_judge", config: { mode: "rubric", rubric: "x" } } }, org.users.curator.accessToken);
    expect(bad.status).toBe(400);
  });

  it("attack: a reviewer is refused; another tenant's version is not found; more items than the limit and bad bytes are 400 JSON", async () => {
    const fx = await experimentFixture(org);
    const body = { datasetVersionId: fx.versionId, evaluator: { kind: "deterministic", config: { type: "rouge_l" } } };
    const reviewer = await callFunction(stack, "try-evaluator", body, org.users.reviewer.accessToken);
    expect(reviewer.status).toBe(403);
    expect(reviewer.body.error.code).toBe("forbidden");
    const manager = await callFunction(stack, "try-evaluator", body, org.users.manager.accessToken);
    expect(manager.status).toBe(403);
    const stranger = await callFunction(stack, "try-evaluator", body, other.users.admin.accessToken);
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe("not_found");
    // Their own version with our experiment's id: the experiment is not found either.
    const theirs = await experimentFixture(other);
    const mixed = await callFunction(stack, "try-evaluator", { ...body, datasetVersionId: theirs.versionId, experimentId: fx.experimentId }, other.users.admin.accessToken);
    expect(mixed.status).toBe(404);
    const anonymous = await callFunction(stack, "try-evaluator", body);
    expect(anonymous.status).toBe(401);

    const tooMany = await callFunction(stack, "try-evaluator", { ...body, limit: TRY_EVALUATOR_MAX_ITEMS + 1 }, org.users.curator.accessToken);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.fields).toHaveProperty("limit");
    const badConfig = await callFunction(stack, "try-evaluator", { ...body, evaluator: { kind: "deterministic", config: { type: "regex", pattern: "(" } } }, org.users.curator.accessToken);
    expect(badConfig.status).toBe(400);

    const bytes = Buffer.concat([Buffer.from(`{"datasetVersionId":"${fx.versionId}","evaluator":{"kind":"deterministic","config":{"type":"contains","value":"`), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(`"}}}`)]);
    const res = await fetch(`${stack.functionsUrl}/try-evaluator`, {
      method: "POST",
      headers: { apikey: stack.anonKey, authorization: `Bearer ${org.users.curator.accessToken}`, "content-type": "application/json" },
      body: bytes,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect((await res.json()).error.code).toBe("invalid_input");
    const nul = await callFunction(stack, "try-evaluator", { ...body, evaluator: { kind: "deterministic", config: { type: "contains", value: "a\u0000b" } } }, org.users.curator.accessToken);
    expect(nul.status).toBe(400);
  });
});

describe("splits", () => {
  async function draft(t: TestOrg, n: number) {
    const items = Array.from({ length: n }, (_, i) => ({ query: `Question number ${i}?`, expected: `Answer ${i}` }));
    const r = await t.users.curator.client.rpc("import_dataset_items", { p_org_id: t.id, p_name: `split-${randomUUID().slice(0, 6)}`, p_items: items });
    expect(r.error).toBeNull();
    return r.data.id as string;
  }
  const splitOf = async (versionId: string) =>
    Object.fromEntries((await db`select query, split from public.dataset_items where version_id = ${versionId}`).map((r) => [r.query, r.split]));

  it("are deterministic for a seed, follow the proportions exactly, keep repeated questions together, and freeze with the version", async () => {
    const v = await draft(org, 40);
    const r = await org.users.curator.client.rpc("split_dataset_version", { p_version_id: v, p_train: 0.5, p_validation: 0.25, p_test: 0.25, p_seed: "s1" });
    expect(r.error).toBeNull();
    expect(r.data).toEqual([{ split: "train", items: 20 }, { split: "validation", items: 10 }, { split: "test", items: 10 }]);
    const first = await splitOf(v);
    await org.users.curator.client.rpc("split_dataset_version", { p_version_id: v, p_train: 0.5, p_validation: 0.25, p_test: 0.25, p_seed: "s2" });
    const second = await splitOf(v);
    expect(second).not.toEqual(first);
    await org.users.curator.client.rpc("split_dataset_version", { p_version_id: v, p_train: 0.5, p_validation: 0.25, p_test: 0.25, p_seed: "s1" });
    expect(await splitOf(v)).toEqual(first);
    // The same questions in another version split the same way (the hash is of the question, not the row).
    const v2 = await draft(org, 40);
    await org.users.curator.client.rpc("split_dataset_version", { p_version_id: v2, p_train: 0.5, p_validation: 0.25, p_test: 0.25, p_seed: "s1" });
    expect(await splitOf(v2)).toEqual(first);
    const [ver] = await db`select splits from public.dataset_versions where id = ${v}`;
    expect(ver!.splits).toMatchObject({ train: 0.5, validation: 0.25, test: 0.25, seed: "s1" });

    const bad = await org.users.curator.client.rpc("split_dataset_version", { p_version_id: v, p_train: 0.9, p_validation: 0.25, p_test: 0 });
    expect(bad.error?.code).toBe("invalid_input");
    const reviewer = await org.users.reviewer.client.rpc("split_dataset_version", { p_version_id: v });
    expect(reviewer.error?.code).toBe("42501");
    const stranger = await other.users.admin.client.rpc("split_dataset_version", { p_version_id: v });
    expect(stranger.error?.code).toBe("not_found");
    await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: v });
    const frozen = await org.users.curator.client.rpc("split_dataset_version", { p_version_id: v });
    expect(frozen.error?.code).toBe("version_frozen");
  });
});

describe("the seeded fine-tune and the seeded dataset", () => {
  const ACME = "aaaaaaaa-0000-4000-8000-000000000001";
  const norm = (q: string) => q.trim().replace(/\s+/g, " ").toLowerCase();

  it("per split, the overlap RPC counts the items the fine-tune trained on, as a direct comparison of the snapshot finds them", async () => {
    // The seed's fine-tune, trained by the worker's real handler (as `npm start`'s worker would).
    const [job] = await db`select id from public.jobs where org_id = ${ACME} and job_key = 'seed:first-fine-tune'`;
    const task = `fine_tune_seed_${randomUUID().slice(0, 8)}`;
    const renamed = await db`update public.job_queue set task = ${task} where job_id = ${job!.id} and state = 'queued' and task = 'fine_tune' returning id`;
    if (renamed.length) {
      const env = parseWorkerEnv({ DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl, SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey, WORKER_SCHEDULER: "false", LOG_LEVEL: "error" });
      const deps: HandlerDeps = { sql: db, llm: createWorkerLlm(env, db, silentLogger), env, log: silentLogger };
      worker = await startWorker({ env: { ...env, WORKER_TASKS: task, WORKER_POLL_MS: 100 } as never, handlers: { [task]: (j, ctx) => runFineTune(deps, j, ctx) }, log: silentLogger });
    }
    await waitFor(async () => {
      const [j] = await db`select status::text from public.jobs where id = ${job!.id}`;
      if (j?.status === "failed") throw new Error("the seeded fine-tune failed");
      return j?.status === "completed";
    }, { timeout: 180_000, message: "seeded fine-tune finished" });
    const [model] = await db`select id, name, dataset_snapshot -> 'trainIds' as train_ids from public.models where job_id = ${job!.id}`;
    const trained = await db`select id::text, query from public.training_examples where id::text in ${db(model!.train_ids as string[])}`;
    const trainedIds = new Set(trained.map((t) => t.id));
    const trainedQueries = new Set(trained.map((t) => norm(t.query)));

    // The seed split a v2 draft of the approved-answers dataset 70/15/15.
    const [v2] = await db`select v.id, v.splits from public.dataset_versions v join public.datasets d on d.id = v.dataset_id
      where d.org_id = ${ACME} and d.name = 'Support answers (approved)' and v.status = 'draft'`;
    expect(v2!.splits).toMatchObject({ train: 0.7, validation: 0.15, test: 0.15, seed: "demo" });
    const items = await db`select id, query, split, metadata from public.dataset_items where version_id = ${v2!.id}`;
    expect(items.every((i) => ["train", "validation", "test"].includes(i.split))).toBe(true);
    const expected = new Map<string, number>();
    for (const i of items) {
      if (trainedIds.has(i.metadata.trainingExampleId) || trainedQueries.has(norm(i.query))) expected.set(i.split, (expected.get(i.split) ?? 0) + 1);
    }
    expect([...expected.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    // Read as Acme's manager (a member without dataset:edit may still see the warning).
    const manager = await db`select id from auth.users where id = 'a0000000-0000-4000-8000-000000000004'`;
    expect(manager).toHaveLength(1);
    const rows = await db.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: "a0000000-0000-4000-8000-000000000004", role: "authenticated" })}, true)`;
      await tx`set local role authenticated`;
      return tx`select model_name, split, overlapping, items from public.dataset_split_overlap(${v2!.id})`;
    });
    const mine = rows.filter((r) => r.model_name === model!.name);
    expect(Object.fromEntries(mine.map((r) => [r.split, r.overlapping]))).toEqual(Object.fromEntries(expected));
    const total = await db`select overlapping from public.dataset_training_overlap(${v2!.id}) where model_id = ${model!.id}`;
    expect(total[0]!.overlapping).toBe([...expected.values()].reduce((a, b) => a + b, 0));

    // Another organization's admin asks about Acme's version: not found.
    const globex = db.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: "b0000000-0000-4000-8000-000000000001", role: "authenticated" })}, true)`;
      await tx`set local role authenticated`;
      return tx`select * from public.dataset_split_overlap(${v2!.id})`;
    });
    await expect(globex).rejects.toThrow(/not_found/);
  }, 240_000);
});
