import { randomUUID } from "node:crypto";
import postgres from "postgres";
import * as Y from "yjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SupabaseClient } from "@supabase/supabase-js";
import type { StackInfo } from "@review/local-supabase";
import { exportDataset, parseJsonl } from "@review/shared/datasets/import";
import { datasetDocFields, datasetFieldName, type DatasetItemField } from "@review/shared/yjs/dataset";
import { docFromLoaded, rpcPersistence, toBase64, type DocPersistence } from "@review/shared/yjs/persistence";
import { sqlDocPersistence, upkeepDoc } from "@review/worker/features/doc-upkeep/handler";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, waitFor } from "../helpers/stack.ts";

// A dataset draft co-edited live (issue 20): its items' texts are a Yjs document `dataset:<version id>`
// written through doc_append_update as the editing user (the path the browser's provider persists
// through), copied into dataset_items by the worker's document upkeep (called here directly, as the
// worker runs it), and frozen by publishing only once the copy has caught up with the log.

let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
/** The worker's own connection (the database owner), also used to look. */
let db: postgres.Sql;
const BOUNDS = { maxTailUpdates: 200, maxTailBytes: 512 * 1024 };

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "dscollab"), createOrg(stack, "dscollab-other")]);
  db = postgres(stack.dbUrl, { onnotice: () => undefined, max: 4 });
});
/** The documents this file made: their upkeep entries go with it. */
const docs: string[] = [];
afterAll(async () => {
  if (docs.length) await db`delete from public.job_queue where task = 'doc_upkeep' and job_key in ${db(docs)}`;
  await db?.end({ timeout: 5 });
});

type Item = { id: string; position: number; query: string; context: string | null; expected: string | null };

async function draft(o: TestOrg = org, items = [{ query: "How do I get a refund?", expected: "Refunds are not possible." }, { query: "Where is my parcel?", expected: "Track it in your account." }]) {
  const r = await o.users.curator.client.rpc("import_dataset_items", { p_org_id: o.id, p_name: `collab-${randomUUID().slice(0, 8)}`, p_items: items });
  expect(r.error).toBeNull();
  const versionId = r.data.id as string;
  docs.push(`dataset:${versionId}`);
  const rows = (await db`select id::text, position, query, context, expected from public.dataset_items where version_id = ${versionId} order by position`) as unknown as Item[];
  return { versionId, docId: `dataset:${versionId}`, items: rows };
}

/**
 * An editor: a Y.Doc whose local edits are persisted as the provider persists them, as its user. A
 * field starts from its row's text, seeded as the web app seeds it (a client id of the text's own).
 */
function editor(client: SupabaseClient, docId: string) {
  const p: DocPersistence = rpcPersistence(client);
  const doc = new Y.Doc();
  const pending: Promise<unknown>[] = [];
  const errors: Error[] = [];
  doc.on("update", (u: Uint8Array, origin: unknown) => {
    if (origin !== "remote") pending.push(p.append(docId, u, doc.clientID).catch((e: Error) => errors.push(e)));
  });
  return {
    doc,
    text: (itemId: string, field: DatasetItemField) => doc.getText(datasetFieldName(itemId, field)),
    receive: (from: Y.Doc) => Y.applyUpdate(doc, Y.encodeStateAsUpdate(from, Y.encodeStateVector(doc)), "remote"),
    flushed: async () => {
      await Promise.all(pending.splice(0));
      return errors.splice(0);
    },
  };
}

const rowsOf = async (versionId: string) =>
  (await db`select id::text, position, query, context, expected from public.dataset_items where version_id = ${versionId} order by position`) as unknown as Item[];
const versionOf = async (versionId: string) =>
  (await db`select status, private.dataset_doc_seq(id)::int as doc_seq, doc_stored_seq::int, doc_problems, item_count from public.dataset_versions where id = ${versionId}`)[0]!;
/**
 * The upkeep here is the test's to run (called directly): a worker another test file started on the
 * same database would otherwise run this document's waiting entry two seconds after the first append.
 */
const holdUpkeep = (docId: string) =>
  db`update public.job_queue set run_at = now() + interval '1 hour' where task = 'doc_upkeep' and job_key = ${docId} and state = 'queued'`;
const update = (field: string, text: string) => {
  const d = new Y.Doc();
  d.getText(field).insert(0, text);
  return toBase64(Y.encodeStateAsUpdate(d));
};

describe("who may write a draft's document", () => {
  it("curators and admins append; a reviewer and a manager only read; another organization neither", async () => {
    const { versionId, docId, items } = await draft();
    const u = update(datasetFieldName(items[0]!.id, "expected"), "Refunds take 5 days.");
    for (const who of [org.users.curator, org.users.admin]) {
      const r = await who.client.rpc("doc_append_update", { p_doc_id: docId, p_update: u });
      expect(r.error, who.email).toBeNull();
      expect((await who.client.rpc("doc_may_write", { p_doc_id: docId })).data).toBe(true);
    }
    for (const who of [org.users.reviewer, org.users.manager]) {
      const r = await who.client.rpc("doc_append_update", { p_doc_id: docId, p_update: u });
      expect(r.error?.code, who.email).toBe("42501");
      expect((await who.client.rpc("doc_may_write", { p_doc_id: docId })).data).toBe(false);
      // They watch: the document loads for them.
      const loaded = await who.client.rpc("doc_load", { p_doc_id: docId });
      expect(loaded.error).toBeNull();
      expect((loaded.data as unknown[]).length).toBe(2);
    }
    // Another tenant's admin, with this organization's version id: no write, no read, nothing learned.
    const stranger = other.users.admin.client;
    expect((await stranger.rpc("doc_append_update", { p_doc_id: docId, p_update: u })).error?.code).toBe("42501");
    expect((await stranger.rpc("doc_may_write", { p_doc_id: docId })).data).toBe(false);
    expect((await stranger.rpc("doc_load", { p_doc_id: docId })).error?.code).toBe("42501");
    expect((await stranger.from("doc_updates").select("id").eq("doc_id", docId)).data).toEqual([]);
    expect((await db`select author from public.doc_updates where doc_id = ${docId} order by id`).map((r) => r.author)).toEqual([org.users.curator.id, org.users.admin.id]);
    expect((await versionOf(versionId)).doc_seq).toBe(2);
  });

  it("typing sends watchers of the version no change; adding an item does, and is the first they get", async () => {
    const { versionId, docId, items } = await draft();
    await holdUpkeep(docId);
    // A reviewer watches the version's row over Realtime, as the dataset page does.
    const watcher = org.users.reviewer.client;
    const seen: Array<{ item_count: number }> = [];
    const ch = watcher.channel(`dsv-${versionId}`).on("postgres_changes", { event: "UPDATE", schema: "public", table: "dataset_versions", filter: `id=eq.${versionId}` }, (m) => seen.push(m.new as { item_count: number }));
    await new Promise<void>((resolve, reject) => ch.subscribe((s, err) => (s === "SUBSCRIBED" ? resolve() : s === "CHANNEL_ERROR" || s === "TIMED_OUT" ? reject(err ?? new Error(s)) : undefined)));
    try {
      // Ten appends, as a curator typing for a few seconds makes; each is counted.
      for (let i = 0; i < 10; i++) {
        const r = await org.users.curator.client.rpc("doc_append_update", { p_doc_id: docId, p_update: update(datasetFieldName(items[0]!.id, "expected"), `draft ${i}`) });
        expect(r.error).toBeNull();
      }
      expect((await versionOf(versionId)).doc_seq).toBe(10);
      // Then a change watchers care about. Changes arrive in commit order: had an append touched the
      // row, its event would come first.
      const added = await org.users.curator.client.from("dataset_items").insert({ org_id: org.id, version_id: versionId, position: 2, query: "A third question?" });
      expect(added.error).toBeNull();
      await waitFor(() => seen.length > 0, { timeout: 15_000, message: "the item count's change" });
      expect(seen[0]!.item_count).toBe(3);
    } finally {
      await watcher.removeChannel(ch);
    }
  });

  it("bad bytes are refused for this kind of document too, and count for nothing", async () => {
    const { versionId, docId, items } = await draft();
    const good = Buffer.from(update(datasetFieldName(items[0]!.id, "expected"), "fine"), "base64");
    const junk = [
      "not base64 at all!",
      Buffer.from("garbage").toString("base64"),
      Buffer.from([0xff, 0xff, 0xff]).toString("base64"),
      Buffer.concat([good, Buffer.from([7])]).toString("base64"),
      good.subarray(0, good.length - 3).toString("base64"),
    ];
    for (const p of junk) {
      const r = await org.users.curator.client.rpc("doc_append_update", { p_doc_id: docId, p_update: p });
      expect(r.status, p).toBe(400);
      expect(r.error?.code).toBe("invalid_update");
    }
    expect(await db`select id from public.doc_updates where doc_id = ${docId}`).toHaveLength(0);
    expect((await versionOf(versionId)).doc_seq).toBe(0);
    // A document name that is not a version id is no document anyone may write.
    for (const bad of [`dataset:${versionId}:x`, "dataset:nope", `dataset:${randomUUID()}`]) {
      expect((await org.users.curator.client.rpc("doc_append_update", { p_doc_id: bad, p_update: good.toString("base64") })).error?.code, bad).toBe("42501");
    }
  });

  it("a replayed update changes nothing: the text is there once", async () => {
    const { versionId, docId, items } = await draft();
    const u = update(datasetFieldName(items[1]!.id, "expected"), "Parcels arrive in 3 days.");
    for (let i = 0; i < 3; i++) expect((await org.users.curator.client.rpc("doc_append_update", { p_doc_id: docId, p_update: u })).error).toBeNull();
    await upkeepDoc(db, docId, BOUNDS);
    expect((await rowsOf(versionId))[1]!.expected).toBe("Parcels arrive in 3 days.");
    expect((await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: versionId })).error).toBeNull();
    // The same bytes after publication: refused, and the version is as published.
    const late = await org.users.curator.client.rpc("doc_append_update", { p_doc_id: docId, p_update: u });
    expect(late.error?.code).toBe("42501");
  });

  it("a published version's document is frozen, even for the service role; so is a direct row edit", async () => {
    const { versionId, docId, items } = await draft();
    expect((await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: versionId })).error).toBeNull();
    const u = update(datasetFieldName(items[0]!.id, "expected"), "Changed after publishing.");
    for (const who of [org.users.curator, org.users.admin]) {
      expect((await who.client.rpc("doc_append_update", { p_doc_id: docId, p_update: u })).error?.code).toBe("42501");
      expect((await who.client.rpc("doc_may_write", { p_doc_id: docId })).data).toBe(false);
    }
    // Written around the function (the database owner): the count refuses it in the same transaction.
    await expect(db`insert into public.doc_updates (doc_id, update) values (${docId}, ${Buffer.from(u, "base64")})`).rejects.toThrow(/version_frozen/);
    expect(await db`select id from public.doc_updates where doc_id = ${docId}`).toHaveLength(0);
    expect((await rowsOf(versionId))[0]!.expected).toBe("Refunds are not possible.");
  });
});

describe("one source of truth: the document, copied into the rows, frozen by publishing", () => {
  it("two editors' edits reach the rows; publishing waits for the copy and freezes exactly the co-edited text, which exports read", async () => {
    const { versionId, docId, items } = await draft();
    const carol = editor(org.users.curator.client, docId);
    const adam = editor(org.users.admin.client, docId);
    const [a, b] = items;
    // Carol starts item 1's expected answer from its row; Adam edits it at the same time, and item 2's input.
    carol.text(a!.id, "expected").insert(0, a!.expected!);
    adam.receive(carol.doc);
    carol.text(a!.id, "expected").insert(0, "Good news: ");
    adam.text(a!.id, "expected").insert(adam.text(a!.id, "expected").length, " Within 5 days, in fact.");
    adam.text(b!.id, "query").insert(0, "Where is my parcel, please?");
    carol.receive(adam.doc);
    adam.receive(carol.doc);
    expect(await carol.flushed()).toEqual([]);
    expect(await adam.flushed()).toEqual([]);
    await holdUpkeep(docId);
    const finalExpected = carol.text(a!.id, "expected").toString();
    expect(finalExpected).toBe("Good news: Refunds are not possible. Within 5 days, in fact.");
    expect(adam.text(a!.id, "expected").toString()).toBe(finalExpected);

    // The edits are stored but not yet copied: publishing refuses rather than freeze the old rows.
    const early = await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: versionId });
    expect(early.status).toBe(409);
    expect(early.error?.code).toBe("edits_pending");
    expect((await versionOf(versionId)).status).toBe("draft");

    const r = await upkeepDoc(db, docId, BOUNDS);
    expect(r).toMatchObject({ textStored: true, datasetFields: 2, skipped: [] });
    const rows = await rowsOf(versionId);
    expect(rows.map((i) => [i.query, i.expected])).toEqual([
      ["How do I get a refund?", finalExpected],
      ["Where is my parcel, please?", "Track it in your account."],
    ]);
    const v = await versionOf(versionId);
    expect(v.doc_stored_seq).toBe(v.doc_seq);

    const published = await org.users.admin.client.rpc("publish_dataset_version", { p_version_id: versionId });
    expect(published.error).toBeNull();
    expect(published.data).toMatchObject({ status: "published", item_count: 2 });
    // What a member exports (the web's export reads these rows) is what the editors wrote.
    const read = await org.users.manager.client.from("dataset_items").select("query, context, variables, expected, metadata").eq("version_id", versionId).order("position");
    const exported = parseJsonl(exportDataset(read.data as never, "jsonl"));
    if (!exported.ok) throw new Error(JSON.stringify(exported.errors));
    expect(exported.items.map((i) => i.expected)).toEqual([finalExpected, "Track it in your account."]);
    expect(exported.items[1]!.query).toBe("Where is my parcel, please?");
  });

  it("an edit that lands while the copy is being made holds publishing back until the next copy", async () => {
    const { versionId, docId, items } = await draft();
    const carol = editor(org.users.curator.client, docId);
    carol.text(items[0]!.id, "expected").insert(0, "First.");
    await carol.flushed();
    await holdUpkeep(docId);
    // Carol types again after the upkeep read the count and the log, before it writes the copy.
    await upkeepDoc(db, docId, BOUNDS, {
      persistence: (tx) => {
        const inner = sqlDocPersistence(tx);
        return {
          ...inner,
          async load(id) {
            const loaded = await inner.load(id);
            carol.text(items[0]!.id, "expected").insert(6, " Second.");
            expect(await carol.flushed()).toEqual([]);
            await holdUpkeep(docId);
            return loaded;
          },
        };
      },
    });
    expect((await rowsOf(versionId))[0]!.expected).toBe("First.");
    const refused = await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: versionId });
    expect(refused.error?.code).toBe("edits_pending");
    // The append queued the next run (the worker's); it copies the rest.
    expect(await db`select 1 from public.job_queue where task = 'doc_upkeep' and job_key = ${docId} and state = 'queued'`).toHaveLength(1);
    await upkeepDoc(db, docId, BOUNDS);
    expect((await rowsOf(versionId))[0]!.expected).toBe("First. Second.");
    expect((await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: versionId })).error).toBeNull();
    await db`delete from public.job_queue where task = 'doc_upkeep' and job_key = ${docId}`;
  });

  it("an append racing with the publication waits for it and is refused: nothing lands after the freeze", async () => {
    const { versionId, docId, items } = await draft();
    const carol = editor(org.users.curator.client, docId);
    carol.text(items[0]!.id, "expected").insert(0, "Before publishing.");
    await carol.flushed();
    await upkeepDoc(db, docId, BOUNDS);
    let late: Promise<{ error: { code?: string } | null }> | undefined;
    await db.begin(async (tx) => {
      const [{ pid }] = (await tx`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
      await tx`select public.publish_dataset_version(${versionId}::uuid)`;
      // Carol's next keystroke is stored while the publication has not committed yet.
      late = Promise.resolve(
        org.users.curator.client.rpc("doc_append_update", {
          p_doc_id: docId,
          p_update: update(datasetFieldName(items[0]!.id, "expected"), "Too late."),
        }),
      );
      await waitFor(async () => (await db`select 1 from pg_stat_activity where ${pid}::int = any(pg_blocking_pids(pid))`).length > 0, {
        message: "the append waiting for the publication's lock",
      });
    });
    const r = await late!;
    expect(r.error?.code).toBe("version_frozen");
    expect(await db`select id from public.doc_updates where doc_id = ${docId}`).toHaveLength(1);
    const v = await versionOf(versionId);
    expect(v).toMatchObject({ status: "published", doc_seq: 1, doc_stored_seq: 1 });
    expect((await rowsOf(versionId))[0]!.expected).toBe("Before publishing.");
  });

  it("once co-edited, a draft's texts change only through the document; items are still added and removed as rows", async () => {
    const { versionId, docId, items } = await draft();
    // Not co-edited yet: rows are edited directly (the API and older clients).
    expect((await org.users.curator.client.from("dataset_items").update({ expected: "Edited as a row." }).eq("id", items[0]!.id).select("id")).data).toHaveLength(1);
    const carol = editor(org.users.curator.client, docId);
    carol.text(items[1]!.id, "expected").insert(0, "Co-edited.");
    await carol.flushed();
    const direct = await org.users.curator.client.from("dataset_items").update({ expected: "A second writer." }).eq("id", items[0]!.id).select("id");
    expect(direct.error?.code).toBe("co_edited");
    const added = await org.users.curator.client.from("dataset_items").insert({ org_id: org.id, version_id: versionId, position: 5, query: "A new question" }).select("id");
    expect(added.error).toBeNull();
    expect((await org.users.curator.client.from("dataset_items").delete().eq("id", added.data![0]!.id).select("id")).data).toHaveLength(1);
    await upkeepDoc(db, docId, BOUNDS);
    expect((await rowsOf(versionId)).map((i) => i.expected)).toEqual(["Edited as a row.", "Co-edited."]);
  });

  it("a field named after another version's item, or no field at all, is not copied; an emptied input holds publishing back", async () => {
    const mine = await draft();
    const theirs = await draft(other);
    const carol = editor(org.users.curator.client, mine.docId);
    carol.text(theirs.items[0]!.id, "expected").insert(0, "Reaching into another organization.");
    carol.doc.getText(`item:${mine.items[0]!.id}:metadata`).insert(0, "{}");
    carol.doc.getText("notes").insert(0, "scratch");
    // Item 2's input emptied by its editor.
    carol.text(mine.items[1]!.id, "query").insert(0, "x");
    carol.text(mine.items[1]!.id, "query").delete(0, 1);
    await carol.flushed();
    await upkeepDoc(db, mine.docId, BOUNDS);
    expect((await rowsOf(theirs.versionId))[0]!.expected).toBe("Refunds are not possible.");
    expect((await rowsOf(mine.versionId)).map((i) => i.query)).toEqual(["How do I get a refund?", "Where is my parcel?"]);
    expect((await versionOf(mine.versionId)).doc_problems).toEqual(["item 2 has an empty input"]);
    const refused = await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: mine.versionId });
    expect(refused.status).toBe(400);
    expect(refused.error?.message).toMatch(/item 2 has an empty input/);
    carol.text(mine.items[1]!.id, "query").insert(0, "Where is my order?");
    await carol.flushed();
    await upkeepDoc(db, mine.docId, BOUNDS);
    expect((await versionOf(mine.versionId)).doc_problems).toEqual([]);
    expect((await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: mine.versionId })).error).toBeNull();
    expect((await rowsOf(mine.versionId))[1]!.query).toBe("Where is my order?");
  });

  it("the log survives a reload: a compacted document loads as the editors left it and copies into the same rows", async () => {
    const { versionId, docId, items } = await draft();
    const carol = editor(org.users.curator.client, docId);
    for (let i = 0; i < 12; i++) {
      carol.text(items[i % 2]!.id, "expected").insert(0, `${i} `);
      await carol.flushed();
    }
    const want = Object.fromEntries(datasetDocFields(carol.doc).map((f) => [f.item, f.text]));
    // Folded into a snapshot (a small bound), as the worker does past its bound.
    expect(await upkeepDoc(db, docId, { maxTailUpdates: 3, maxTailBytes: 1 << 30 })).toMatchObject({ compacted: true });
    const before = await rowsOf(versionId);
    // A fresh process (another connection, nothing in memory) loads the stored document.
    const fresh = postgres(stack.dbUrl, { onnotice: () => undefined, max: 1 });
    try {
      const { doc, skipped } = docFromLoaded(await sqlDocPersistence(fresh).load(docId));
      expect(skipped).toEqual([]);
      expect(Object.fromEntries(datasetDocFields(doc).map((f) => [f.item, f.text]))).toEqual(want);
      // The copy from the reloaded log is the copy already there.
      await fresh`update public.dataset_items set expected = 'tampered by the owner' where id = ${items[0]!.id}`;
      await upkeepDoc(fresh, docId, BOUNDS);
      expect(await rowsOf(versionId)).toEqual(before);
    } finally {
      await fresh.end({ timeout: 5 });
    }
    expect(Object.fromEntries(before.map((i) => [i.id, i.expected]))).toEqual(want);
  });
});

describe("a new draft keeps the previous version's splits", () => {
  it("each item keeps its split, and the version its proportions and seed", async () => {
    const items = Array.from({ length: 20 }, (_, i) => ({ query: `Question ${i}?`, expected: `Answer ${i}` }));
    const { versionId } = await draft(org, items);
    const split = await org.users.curator.client.rpc("split_dataset_version", { p_version_id: versionId, p_train: 0.6, p_validation: 0.2, p_test: 0.2, p_seed: "keep" });
    expect(split.error).toBeNull();
    expect((await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: versionId })).error).toBeNull();
    const [{ dataset_id }] = (await db`select dataset_id::text from public.dataset_versions where id = ${versionId}`) as unknown as [{ dataset_id: string }];
    const next = await org.users.curator.client.rpc("new_dataset_draft", { p_dataset_id: dataset_id });
    expect(next.error).toBeNull();
    expect(next.data).toMatchObject({ status: "draft", version: 2, item_count: 20, splits: { train: 0.6, validation: 0.2, test: 0.2, seed: "keep" } });
    const splitsOf = async (v: string) => (await db`select query, split from public.dataset_items where version_id = ${v} order by position`).map((r) => `${r.query}=${r.split}`);
    expect(await splitsOf(next.data.id)).toEqual(await splitsOf(versionId));
    expect((await splitsOf(next.data.id)).filter((s) => s.endsWith("=train"))).toHaveLength(12);
    // An unsplit dataset's next draft stays unsplit.
    const plain = await draft();
    expect((await org.users.curator.client.rpc("publish_dataset_version", { p_version_id: plain.versionId })).error).toBeNull();
    const [{ dataset_id: plainDataset }] = (await db`select dataset_id::text from public.dataset_versions where id = ${plain.versionId}`) as unknown as [{ dataset_id: string }];
    const plainNext = await org.users.curator.client.rpc("new_dataset_draft", { p_dataset_id: plainDataset });
    expect(plainNext.data).toMatchObject({ splits: null });
    expect((await db`select count(*)::int as n from public.dataset_items where version_id = ${plainNext.data.id} and split is not null`)[0]!.n).toBe(0);
  });
});
