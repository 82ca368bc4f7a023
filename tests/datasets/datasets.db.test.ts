import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { parseJsonl } from "@review/shared/datasets/import";
import { addFeedback, callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack } from "../helpers/stack.ts";

// Datasets as the database enforces them: builders check the caller inside, imports land whole or not
// at all, and a published version (or one an experiment used) never changes.
let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
let db: postgres.Sql;

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "datasets"), createOrg(stack, "datasets-other")]);
  db = postgres(stack.dbUrl, { onnotice: () => {}, max: 2 });
});
afterAll(async () => {
  await db?.end({ timeout: 1 });
});

const count = async (versionId: string) => Number((await db`select count(*) from public.dataset_items where version_id = ${versionId}`)[0]!.count);

describe("building a dataset", () => {
  it("from an inbox filter: the rows the filter shows, with the approved answer as expected; only curators and admins, only in their organization", async () => {
    await addFeedback(stack, org.id, { rating: 1, query: "Refund for a double charge?", labels: ["billing"] });
    await addFeedback(stack, org.id, { rating: 2, query: "Invoice PDF missing", labels: ["billing"] });
    await addFeedback(stack, org.id, { rating: 5, query: "Great app", labels: ["praise"] });
    const filter = { rating: [1, 2], labels: ["billing"] };
    const built = await org.users.curator.client.rpc("build_dataset_from_feedback", { p_org_id: org.id, p_name: "billing-lows", p_filter: filter });
    expect(built.error).toBeNull();
    expect(built.data).toMatchObject({ status: "draft", version: 1, item_count: 2, source: { kind: "inbox_filter", filter } });
    const items = await org.users.manager.client.from("dataset_items").select("query, metadata").eq("version_id", built.data.id).order("position");
    expect(items.data!.map((i) => i.query)).toEqual(["Refund for a double charge?", "Invoice PDF missing"]);

    // Building again adds only what is new (no duplicates of the same feedback).
    const again = await org.users.curator.client.rpc("build_dataset_from_feedback", { p_org_id: org.id, p_name: "billing-lows", p_filter: filter });
    expect(again.data).toMatchObject({ id: built.data.id, item_count: 2 });

    const reviewer = await org.users.reviewer.client.rpc("build_dataset_from_feedback", { p_org_id: org.id, p_name: "nope", p_filter: {} });
    expect(reviewer.error?.code).toBe("42501");
    const stranger = await other.users.admin.client.rpc("build_dataset_from_feedback", { p_org_id: org.id, p_name: "nope", p_filter: {} });
    expect(stranger.error?.message).toMatch(/not found/);
    expect(await db`select 1 from public.datasets where name = 'nope'`).toHaveLength(0);
  });

  it("from approved training examples", async () => {
    await db`insert into public.training_examples (org_id, query, answer, tags) values (${org.id}, 'How do I reset my password?', 'Click Forgot password.', '{account}'), (${org.id}, 'Dark mode?', 'Settings, Appearance.', '{ui}')`;
    const built = await org.users.admin.client.rpc("build_dataset_from_examples", { p_org_id: org.id, p_name: "account", p_tags: ["account"] });
    expect(built.error).toBeNull();
    const items = await org.users.admin.client.from("dataset_items").select("query, expected").eq("version_id", built.data.id);
    expect(items.data).toEqual([{ query: "How do I reset my password?", expected: "Click Forgot password." }]);
  });
});

describe("importing", () => {
  it("a file with bad rows: every one is reported by line and field, and nothing is stored", async () => {
    const file = '{"query": "ok"}\n{"query": ""}\n{"query": "x", "metadata": 3}\n';
    const parsed = parseJsonl(file);
    expect(parsed).toMatchObject({ ok: false, errors: [{ line: 2, field: "query" }, { line: 3, field: "metadata" }] });
    // The database refuses the same rows on its own (a hand-made call cannot store half a file).
    const raw = file.trim().split("\n").map((l) => JSON.parse(l));
    const r = await org.users.curator.client.rpc("import_dataset_items", { p_org_id: org.id, p_name: "bad-import", p_items: raw });
    expect(r.error?.message).toMatch(/Item 2 is not valid.*nothing was stored/);
    expect(await db`select 1 from public.datasets where org_id = ${org.id} and name = 'bad-import'`).toHaveLength(0);
  });
});

describe("versions", () => {
  it("a published version is immutable; a new draft copies it; a version an experiment used cannot change or be deleted", async () => {
    const { curator, admin } = org.users;
    const v1 = (await curator.client.rpc("import_dataset_items", { p_org_id: org.id, p_name: "frozen", p_items: [{ query: "a", expected: "A" }, { query: "b" }] })).data;
    expect(v1.item_count).toBe(2);
    // A draft is editable.
    const edit = await curator.client.from("dataset_items").update({ expected: "B" }).eq("version_id", v1.id).eq("query", "b").select("id");
    expect(edit.error).toBeNull();
    expect(edit.data).toHaveLength(1);
    await curator.client.rpc("publish_dataset_version", { p_version_id: v1.id });

    // After publishing: no edits, inserts or deletes, not even as the owner.
    for (const attempt of [
      curator.client.from("dataset_items").update({ expected: "tampered" }).eq("version_id", v1.id),
      curator.client.from("dataset_items").insert({ org_id: org.id, version_id: v1.id, position: 9, query: "late" }),
      curator.client.from("dataset_items").delete().eq("version_id", v1.id),
    ]) {
      const r = await attempt;
      expect(r.error?.message).toMatch(/cannot change/);
    }
    await expect(db`update public.dataset_versions set source = '{"kind":"forged"}' where id = ${v1.id}`).rejects.toThrow(/cannot change/);
    await expect(db`update public.dataset_items set query = 'owner edit' where version_id = ${v1.id}`).rejects.toThrow(/cannot change/);
    expect(await count(v1.id)).toBe(2);

    // A new draft starts as a copy and is editable; v1 is untouched.
    const v2 = (await curator.client.rpc("new_dataset_draft", { p_dataset_id: v1.dataset_id })).data;
    expect(v2).toMatchObject({ version: 2, status: "draft", item_count: 2 });
    expect((await curator.client.from("dataset_items").update({ query: "b, reworded" }).eq("version_id", v2.id).eq("query", "b").select("id")).data).toHaveLength(1);
    expect((await db`select query from public.dataset_items where version_id = ${v1.id} order by position`).map((r) => r.query)).toEqual(["a", "b"]);

    // Adding or removing an item on the page moves the draft's count at once (the co-editors follow that
    // row live and refetch the items); a removal the published version refuses leaves its count alone.
    const itemCount = async (id: string) => Number((await db`select item_count from public.dataset_versions where id = ${id}`)[0]!.item_count);
    const added = await curator.client.from("dataset_items").insert([{ org_id: org.id, version_id: v2.id, position: 5, query: "c" }, { org_id: org.id, version_id: v2.id, position: 6, query: "d" }]).select("id");
    expect(added.error).toBeNull();
    expect(await itemCount(v2.id)).toBe(4);
    expect((await curator.client.from("dataset_items").delete().eq("version_id", v2.id).eq("query", "d").select("id")).data).toHaveLength(1);
    expect(await itemCount(v2.id)).toBe(3);
    expect(await itemCount(v1.id)).toBe(2);

    // A draft cannot run an experiment; a published one can, and is then pinned for good.
    const exp = (p_config: unknown) => admin.client.rpc("start_job", { p_org_id: org.id, p_kind: "experiment", p_name: "pin", p_config });
    const onDraft = await exp({ datasetVersionId: v2.id, variants: [{ model: "offline-fast-1" }] });
    expect(onDraft.error?.message).toMatch(/Publish the dataset version/);
    const onOther = await other.users.admin.client.rpc("start_job", { p_org_id: other.id, p_kind: "experiment", p_name: "steal", p_config: { datasetVersionId: v1.id, variants: [{ model: "offline-fast-1" }] } });
    expect(onOther.error?.message).toMatch(/not found/);
    const started = await exp({ datasetVersionId: v1.id, variants: [{ model: "offline-fast-1" }] });
    expect(started.error).toBeNull();
    await admin.client.rpc("cancel_job", { p_job_id: started.data.job.id });
    const del = await curator.client.from("dataset_versions").delete().eq("id", v1.id).select("id");
    expect(del.data ?? []).toHaveLength(0);
    await expect(db`delete from public.dataset_versions where id = ${v1.id}`).rejects.toThrow(/experiment used this dataset version/);
    await expect(db`delete from public.datasets where id = ${v1.dataset_id}`).rejects.toThrow(/experiment used this dataset version/);
    // Discarding the draft is fine.
    expect((await curator.client.from("dataset_versions").delete().eq("id", v2.id).select("id")).data).toHaveLength(1);
  });

  it("only admins start, cancel and resume experiments", async () => {
    const v = (await org.users.curator.client.rpc("import_dataset_items", { p_org_id: org.id, p_name: "perm", p_items: [{ query: "q" }] })).data;
    await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: v.id });
    const cfg = { datasetVersionId: v.id, variants: [{ model: "offline-fast-1" }] };
    const cur = await org.users.curator.client.rpc("start_job", { p_org_id: org.id, p_kind: "experiment", p_name: "x", p_config: cfg });
    expect(cur.error?.code).toBe("42501");
    const ok = await org.users.admin.client.rpc("start_job", { p_org_id: org.id, p_kind: "experiment", p_name: "x", p_config: cfg });
    await org.users.admin.client.rpc("cancel_job", { p_job_id: ok.data.job.id });
    const [e] = await db`select id, status::text from public.experiments where job_id = ${ok.data.job.id}`;
    expect(e!.status).toBe("cancelled");
    const asCurator = await org.users.curator.client.rpc("resume_experiment", { p_experiment_id: e!.id });
    expect(asCurator.error?.code).toBe("42501");
    const asStranger = await other.users.admin.client.rpc("resume_experiment", { p_experiment_id: e!.id });
    expect(asStranger.error?.message).toMatch(/not found/);
    await db`delete from public.job_queue where job_id = ${ok.data.job.id}`;
  });
});

describe("training overlap", () => {
  it("names the fine-tuned models whose training set holds items of a version; strangers learn nothing", async () => {
    const ex = await db`insert into public.training_examples (org_id, query, answer, tags) values
      (${org.id}, 'Where is my parcel?', 'Orders, Track.', '{overlap}'), (${org.id}, 'Change my address?', 'Account, Addresses.', '{overlap}'), (${org.id}, 'Delete my account?', 'Settings, Privacy.', '{overlap}')
      returning id`;
    await db`insert into public.models (org_id, name, base_model, dataset_snapshot) values (${org.id}, 'ft-overlap', 'offline-strong-1', ${db.json({ trainIds: [ex[0]!.id, ex[1]!.id] })})`;
    const v = (await org.users.curator.client.rpc("build_dataset_from_examples", { p_org_id: org.id, p_name: "overlap", p_tags: ["overlap"] })).data;
    // One more item that asks a trained question in other words' spacing and case: same question.
    await org.users.curator.client.from("dataset_items").insert({ org_id: org.id, version_id: v.id, position: 10, query: "  where is my   PARCEL? " });
    const r = await org.users.manager.client.rpc("dataset_training_overlap", { p_version_id: v.id });
    expect(r.error).toBeNull();
    expect(r.data).toMatchObject([{ model_name: "ft-overlap", overlapping: 3 }]);
    const stranger = await other.users.admin.client.rpc("dataset_training_overlap", { p_version_id: v.id });
    expect(stranger.error?.message).toMatch(/not found/);
  });
});

describe("start-job for an experiment", () => {
  it("refuses, field by field, a draft version and another organization's prompt version and evaluator", async () => {
    const draft = (await org.users.curator.client.rpc("import_dataset_items", { p_org_id: org.id, p_name: "preflight", p_items: [{ query: "q" }] })).data;
    const [p] = await db`insert into public.prompts (org_id, slug) values (${other.id}, 'foreign-prompt') returning id`;
    const [pv] = await db`insert into public.prompt_versions (org_id, prompt_id, version, template, model) values (${other.id}, ${p!.id}, 1, '{{query}}', 'offline-fast-1') returning id`;
    const [ev] = await db`insert into public.evaluators (org_id, name, kind, config) values (${other.id}, 'theirs', 'deterministic', '{"type": "token_f1"}') returning id`;
    const r = await callFunction(stack, "start-job", {
      kind: "experiment", orgId: org.id, name: "preflight",
      config: { datasetVersionId: draft.id, variants: [{ model: "offline-fast-1" }, { promptVersionId: pv!.id }], evaluatorIds: [ev!.id] },
    }, org.users.admin.accessToken);
    expect(r.status).toBe(400);
    expect(Object.keys(r.body.fields ?? r.body.error?.fields ?? {}).sort()).toEqual(["config.datasetVersionId", "config.evaluatorIds", "config.variants.1.promptVersionId"]);
    expect(await db`select 1 from public.experiments where org_id = ${org.id} and name = 'preflight'`).toHaveLength(0);
  });
});
