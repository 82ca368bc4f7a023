import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import postgres from "postgres";
import type { StackInfo } from "@review/local-supabase";
import { startWorker, type WorkerHandle } from "@review/worker";
import { sqlDocPersistence, upkeepDoc } from "@review/worker/features/doc-upkeep/handler";
import { silentLogger } from "@review/worker/log";
import { docFromLoaded, rpcPersistence, type DocPersistence } from "@review/shared/yjs/persistence";
import { addFeedback, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql, waitFor } from "../helpers/stack.ts";

// The server side owns a co-edited document: the doc_upkeep task (queued by the database on every
// append, one waiting entry per document) folds the update log into a snapshot past a bound and writes
// the case's plain-text answer. Edits here go through doc_append_update as the editing user, the path
// the browser's provider persists through (rpcPersistence); no browser is involved.

let stack: StackInfo;
let org: TestOrg;
let other: TestOrg;
/** The worker's own connection (as the worker has: the database owner). */
let owner: postgres.Sql;
let worker: WorkerHandle | undefined;

beforeAll(async () => {
  stack = await getStack();
  [org, other] = await Promise.all([createOrg(stack, "docs"), createOrg(stack, "docsother")]);
  owner = postgres(stack.dbUrl, { onnotice: () => undefined, max: 4 });
});
afterAll(async () => {
  await worker?.stop(2000);
  await owner?.end({ timeout: 5 });
});

/** The doc_upkeep worker, started only for the tests that need it (the dedup tests look at waiting entries). */
async function ensureWorker() {
  worker ??= await startWorker({
    env: {
      DATABASE_URL: stack.dbUrl,
      SUPABASE_URL: stack.apiUrl,
      WORKER_SCHEDULER: "false",
      WORKER_TASKS: "doc_upkeep",
      WORKER_POLL_MS: "100",
      DOC_COMPACT_MAX_TAIL_UPDATES: "20",
    },
    log: silentLogger,
  });
}

async function openCase(o: TestOrg, suggestion = "Refunds are not possible.") {
  const feedbackId = await addFeedback(stack, o.id);
  const [c] = await sql(stack)`
    insert into public.improvement_cases (org_id, feedback_id, query, bad_response, suggested_response)
    values (${o.id}, ${feedbackId}, 'How do I get a refund?', 'Refunds are not possible.', ${suggestion}) returning id`;
  return c!.id as string;
}

/** An editor: a Y.Doc whose local edits are persisted as the provider persists them, as its user. */
function editor(p: DocPersistence, docId: string) {
  const doc = new Y.Doc();
  const text = doc.getText("answer");
  const pending: Promise<void>[] = [];
  doc.on("update", (u: Uint8Array, origin: unknown) => {
    if (origin !== "remote") pending.push(p.append(docId, u, doc.clientID));
  });
  return {
    doc,
    text,
    receive: (from: Y.Doc) => Y.applyUpdate(doc, Y.encodeStateAsUpdate(from, Y.encodeStateVector(doc)), "remote"),
    flushed: () => Promise.all(pending.splice(0)),
  };
}

/** The document as anyone loading it now sees it (snapshot + tail). */
async function stored(docId: string) {
  const loaded = await sqlDocPersistence(owner).load(docId);
  const { doc, skipped } = docFromLoaded(loaded);
  expect(skipped).toEqual([]);
  const out = { text: doc.getText("answer").toString(), sv: Buffer.from(Y.encodeStateVector(doc)).toString("hex"), snapshot: loaded.snapshot?.id ?? null, tail: loaded.updates.map((u) => u.id) };
  doc.destroy();
  return out;
}

const entries = (docId: string) =>
  sql(stack)<{ id: string; state: string; job_key: string | null; payload: { docId: string }; org_id: string | null; delay: number }[]>`
    select id, state, job_key, payload, org_id, extract(epoch from run_at - created_at)::float8 as delay
    from public.job_queue where task = 'doc_upkeep' and payload ->> 'docId' = ${docId} order by id`;

describe("doc_upkeep is queued by the database, once per document", () => {
  it("concurrent appends from two curators leave one waiting entry for the document, debounced", async () => {
    const caseId = await openCase(org);
    const docId = `case:${caseId}`;
    const carol = editor(rpcPersistence(org.users.curator.client), docId);
    const adam = editor(rpcPersistence(org.users.admin.client), docId);
    for (let i = 0; i < 6; i++) {
      carol.text.insert(0, `c${i} `);
      adam.text.insert(adam.text.length, ` a${i}`);
    }
    await Promise.all([carol.flushed(), adam.flushed()]);

    const rows = await entries(docId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: "queued", job_key: docId, org_id: org.id, payload: { docId } });
    expect(rows[0]!.delay).toBeGreaterThan(1);
    // Another document gets its own entry.
    const other = `case:${await openCase(org)}`;
    const dora = editor(rpcPersistence(org.users.curator.client), other);
    dora.text.insert(0, "x");
    await dora.flushed();
    expect(await entries(other)).toHaveLength(1);
    await sql(stack)`delete from public.job_queue where task = 'doc_upkeep' and payload ->> 'docId' in (${docId}, ${other})`;
  });

  it("an append while the document's upkeep runs queues one more run; the running one gives up the key", async () => {
    const docId = `case:${await openCase(org)}`;
    const carol = editor(rpcPersistence(org.users.curator.client), docId);
    carol.text.insert(0, "first");
    await carol.flushed();
    const [first] = await entries(docId);
    // As a worker's claim leaves it.
    await sql(stack)`update public.job_queue set state = 'running', locked_by = 'test', locked_until = now() + interval '1 minute' where id = ${first!.id}`;
    carol.text.insert(5, " second");
    carol.text.insert(0, "zero ");
    await carol.flushed();
    const rows = await entries(docId);
    expect(rows.map((r) => [r.id === first!.id ? "first" : "new", r.state, r.job_key])).toEqual([
      ["first", "running", null],
      ["new", "queued", docId],
    ]);
    // The key is a fact of the database: a second waiting entry for it cannot exist.
    const dup = await sql(stack)`insert into public.job_queue (task, payload, job_key) values ('doc_upkeep', ${sql(stack).json({ docId })}, ${docId})`.catch((e: Error) => e);
    expect(String(dup)).toMatch(/job_queue_one_per_key/);
    await sql(stack)`delete from public.job_queue where task = 'doc_upkeep' and payload ->> 'docId' = ${docId}`;
  });

  it("is not a job kind: nobody can start it, and browsers cannot reach the queue", async () => {
    const started = await org.users.admin.client.rpc("start_job", { p_org_id: org.id, p_kind: "doc_upkeep", p_name: "sneaky", p_config: {} });
    expect(started.error).not.toBeNull();
    const queued = await org.users.admin.client.rpc("enqueue_task", { p_task: "doc_upkeep", p_payload: {}, p_job_key: "x" });
    expect(queued.error).not.toBeNull();
    expect((await sql(stack)`select count(*)::int as n from public.jobs where name = 'sneaky' and org_id = ${org.id}`)[0]!.n).toBe(0);
  });
});

describe("the worker owns the answer's text copy", () => {
  it("writes the co-edited text to the case once two curators have edited, with no browser involved", async () => {
    await ensureWorker();
    const caseId = await openCase(org, "Refunds are not possible.");
    const docId = `case:${caseId}`;
    const carol = editor(rpcPersistence(org.users.curator.client), docId);
    const adam = editor(rpcPersistence(org.users.admin.client), docId);
    carol.text.insert(0, "Refunds take 5 business days.");
    adam.receive(carol.doc);
    // At the same time: Carol at the start, Adam at the end; then they exchange.
    carol.text.insert(0, "Hello! ");
    adam.text.insert(adam.text.length, " Thanks for waiting.");
    carol.receive(adam.doc);
    adam.receive(carol.doc);
    await Promise.all([carol.flushed(), adam.flushed()]);
    const finalText = carol.text.toString();
    expect(adam.text.toString()).toBe(finalText);
    expect(finalText).toBe("Hello! Refunds take 5 business days. Thanks for waiting.");

    const copy = async () => (await sql(stack)`select suggested_response from public.improvement_cases where id = ${caseId}`)[0]!.suggested_response as string;
    await waitFor(async () => (await copy()) === finalText, { timeout: 15_000, message: "the worker's text copy" });
    // Members read it through RLS like any column.
    const read = await org.users.reviewer.client.from("improvement_cases").select("suggested_response").eq("id", caseId).single();
    expect(read.data?.suggested_response).toBe(finalText);

    // A later edit is copied too.
    adam.text.delete(0, "Hello! ".length);
    await adam.flushed();
    await waitFor(async () => (await copy()) === "Refunds take 5 business days. Thanks for waiting.", { timeout: 15_000, message: "the later edit's copy" });
    await waitFor(async () => (await entries(docId)).length === 0, { timeout: 15_000, message: "the entries done" });
  });

  it("a browser can no longer write the copy: not a curator of the org, not another organization's admin", async () => {
    const caseId = await openCase(org, "As opened.");
    for (const who of [org.users.curator, org.users.admin, other.users.admin]) {
      const r = await who.client.from("improvement_cases").update({ suggested_response: "Forged by a browser." }).eq("id", caseId).select("id");
      expect(r.data ?? []).toEqual([]);
    }
    expect((await sql(stack)`select suggested_response from public.improvement_cases where id = ${caseId}`)[0]!.suggested_response).toBe("As opened.");
  });

  it("folds a long log into a snapshot on its own, and the document loads identical", async () => {
    await ensureWorker();
    const caseId = await openCase(org);
    const docId = `case:${caseId}`;
    const carol = editor(rpcPersistence(org.users.curator.client), docId);
    for (let i = 0; i < 30; i++) {
      carol.text.insert(carol.text.length, `${i} `);
      if (i % 7 === 6) carol.text.delete(0, 2);
      await carol.flushed();
    }
    const expected = carol.text.toString();
    const sv = Buffer.from(Y.encodeStateVector(carol.doc)).toString("hex");
    // Once the worker is done with it, the log has a snapshot and a tail within the bound.
    const after = await waitFor(async () => {
      if ((await entries(docId)).length) return null;
      const s = await stored(docId);
      return s.snapshot !== null ? s : null;
    }, { timeout: 20_000, message: "the log folded (bound: 20 updates)" });
    expect(after.tail.length).toBeLessThanOrEqual(20);
    expect(after.text).toBe(expected);
    expect(after.sv).toBe(sv);
    await waitFor(async () => (await sql(stack)`select suggested_response from public.improvement_cases where id = ${caseId}`)[0]!.suggested_response === expected, { timeout: 15_000 });
  });
});

describe("the seeded demo", () => {
  it("Acme's co-edited pending case: on start the worker folds its long log and copies the co-edited text", async () => {
    await ensureWorker();
    const caseId = "cccccccc-0000-4000-8000-000000000008";
    const docId = `case:${caseId}`;
    const after = await waitFor(async () => {
      if ((await entries(docId)).length) return null;
      const s = await stored(docId);
      return s.snapshot !== null ? s : null;
    }, { timeout: 20_000, message: "the seeded log folded" });
    expect(after.text).toMatch(/Good news: the refund is already on its way .* the same day\.$/);
    const [row] = await sql(stack)`select suggested_response from public.improvement_cases where id = ${caseId}`;
    expect(row!.suggested_response).toBe(after.text);
    const [snap] = await sql(stack)`select merged_updates from public.doc_snapshots where doc_id = ${docId} order by id limit 1`;
    expect(snap!.merged_updates).toBeGreaterThan(200);
  });
});

describe("compaction is safe with concurrent writers", () => {
  const bounds = { maxTailUpdates: 5, maxTailBytes: 1 << 30 };

  async function documentWithLog(n: number) {
    const caseId = await openCase(org);
    const docId = `case:${caseId}`;
    const carol = editor(rpcPersistence(org.users.curator.client), docId);
    const adam = editor(rpcPersistence(org.users.admin.client), docId);
    for (let i = 0; i < n; i++) {
      (i % 2 ? adam : carol).text.insert(0, `${i}${i % 2 ? "a" : "c"} `);
      if (i % 5 === 4) carol.text.delete(1, 2);
      carol.receive(adam.doc);
      adam.receive(carol.doc);
    }
    await Promise.all([carol.flushed(), adam.flushed()]);
    return { caseId, docId, carol, adam };
  }

  it("an update appended between the load and the snapshot stays in the log, and nothing is lost", async () => {
    const { docId, carol, adam } = await documentWithLog(12);
    const before = await stored(docId);
    expect(before.tail.length).toBeGreaterThan(5);
    // Adam types while the compaction runs: his append commits after the load, before the snapshot.
    const result = await upkeepDoc(owner, docId, bounds, {
      persistence: (tx) => {
        const inner = sqlDocPersistence(tx);
        return {
          ...inner,
          async compact(...args) {
            adam.text.insert(adam.text.length, " LATE-BY-ADAM");
            await adam.flushed();
            return inner.compact(...args);
          },
        };
      },
    });
    expect(result).toMatchObject({ compacted: true, merged: before.tail.length, skipped: [] });
    carol.receive(adam.doc);
    const after = await stored(docId);
    expect(after.snapshot).not.toBeNull();
    expect(after.tail).toHaveLength(1);
    expect(after.text).toBe(carol.text.toString());
    expect(after.text).toContain("LATE-BY-ADAM");
    expect(after.sv).toBe(Buffer.from(Y.encodeStateVector(carol.doc)).toString("hex"));
  });

  it("an append that commits after the compaction, with an id below the rows it merged, survives", async () => {
    const { docId, carol, adam } = await documentWithLog(8);
    const db = sql(stack);
    const late = new Y.Doc();
    Y.applyUpdate(late, Y.encodeStateAsUpdate(carol.doc));
    const lateUpdates: Uint8Array[] = [];
    late.on("update", (u: Uint8Array) => lateUpdates.push(u));
    late.getText("answer").insert(0, "SLOW-TRANSACTION ");
    // Its row id is taken first; then Adam's append commits (a higher id); the slow append commits
    // only after the compaction below has merged and deleted Adam's row.
    const [slow] = await db<{ id: string }[]>`select nextval(pg_get_serial_sequence('public.doc_updates', 'id')) as id`;
    adam.text.insert(adam.text.length, " COMMITTED-FIRST");
    await adam.flushed();
    await db.begin(async (tx) => {
      await tx`insert into public.doc_updates (id, doc_id, update, client_id) overriding system value
               values (${slow!.id}, ${docId}, ${Buffer.from(lateUpdates[0]!)}, ${late.clientID})`;
      const r = await upkeepDoc(owner, docId, bounds);
      expect(r).toMatchObject({ compacted: true });
    });
    for (const u of lateUpdates) Y.applyUpdate(carol.doc, u, "remote");
    carol.receive(adam.doc);
    const after = await stored(docId);
    expect(after.tail).toHaveLength(1);
    expect(after.text).toBe(carol.text.toString());
    expect(after.text).toMatch(/^SLOW-TRANSACTION .* COMMITTED-FIRST$/);
    expect(after.sv).toBe(Buffer.from(Y.encodeStateVector(carol.doc)).toString("hex"));
  });

  it("does not fold a short tail, and leaves a log with a row that is not a Yjs update uncompacted", async () => {
    const { docId } = await documentWithLog(3);
    expect(await upkeepDoc(owner, docId, bounds)).toMatchObject({ compacted: false, tail: { updates: 3 } });
    const { docId: bad } = await documentWithLog(8);
    const rows = (await sqlDocPersistence(owner).load(bad)).updates.length;
    // Written around doc_append_update's check (as only the owner could).
    await sql(stack)`insert into public.doc_updates (doc_id, update) values (${bad}, '\\x0102ff'::bytea)`;
    const r = await upkeepDoc(owner, bad, bounds);
    expect(r.compacted).toBe(false);
    expect(r.skipped).toHaveLength(1);
    expect((await sqlDocPersistence(owner).load(bad)).updates).toHaveLength(rows + 1);
  });
});
