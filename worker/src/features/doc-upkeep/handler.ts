import type postgres from "postgres";
import { DocUpkeepPayload } from "@review/shared/jobs/config";
import {
  compactLoaded, docFromLoaded, docTextField, parseLoadRows, tailExceeds, tailOf, toBase64,
  type CompactionBounds, type DocPersistence,
} from "@review/shared/yjs/persistence";
import { datasetDocFields, datasetDocVersion } from "@review/shared/yjs/dataset";
import { PermanentError, type ClaimedJob, type JobContext } from "../../queue/types.ts";
import { formatIssues, type HandlerDeps } from "../common.ts";

export type DocUpkeepResult = {
  docId: string;
  tail: { updates: number; bytes: number };
  compacted: boolean;
  merged: number;
  /** Whether the plain-text copy changed (false when it was already current or the kind has none). */
  textStored: boolean;
  /** A dataset draft's document: how many item fields it holds (copied into dataset_items), else null. */
  datasetFields: number | null;
  /** Stored rows that are not Yjs updates: left in place, and the log is then not compacted. */
  skipped: number[];
};

/**
 * A document's persistence over the worker's own connection (trusted, like the service role): the same
 * SQL functions the browser's RPCs call, so the snapshot goes through doc_compact's checks and lock.
 */
export function sqlDocPersistence(sql: postgres.Sql | postgres.TransactionSql): DocPersistence {
  return {
    async load(docId) {
      return parseLoadRows((await sql`select kind, id, data from public.doc_load(${docId})`) as never);
    },
    async append(docId, update, clientId) {
      await sql`select public.doc_append_update(${docId}, ${toBase64(update)}, ${clientId})`;
    },
    async compact(docId, snapshot, baseSnapshotId, mergedIds) {
      const [r] = await sql<{ id: string | null }[]>`
        select public.doc_compact(${docId}, ${toBase64(snapshot)}, ${baseSnapshotId}, array(select jsonb_array_elements_text(${sql.json(mergedIds)}))::bigint[]) as id`;
      return r?.id == null ? null : Number(r.id);
    },
  };
}

/**
 * One document's upkeep (what Hocuspocus's onStoreDocument does): fold the update log into a snapshot
 * once its tail passes the bounds, and write the plain-text copy where the document's kind has one (a
 * case's answer; a dataset draft's item texts, into dataset_items).
 * Runs in one transaction under a per-document lock, so two runs for one document (one still running
 * when the next was queued) end in order and the copy is never older than the log the last run read.
 * Appends are never blocked: compaction deletes only the rows it merged (doc_compact), so an update
 * that lands meanwhile stays in the log and in the next load.
 * `persistence` replaces the SQL persistence (tests interleave a concurrent append through it).
 */
export async function upkeepDoc(
  sql: postgres.Sql,
  docId: string,
  bounds: CompactionBounds,
  opts: { persistence?: (tx: postgres.TransactionSql) => DocPersistence } = {},
): Promise<DocUpkeepResult> {
  return (await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtextextended(${`doc_upkeep:${docId}`}, 0))`;
    const persistence = opts.persistence?.(tx) ?? sqlDocPersistence(tx);
    // A dataset draft's append count, read before the log: every append it counts committed before this
    // statement, so the load below sees it (publishing compares this count with the log's, see the
    // dataset_collab migration). Appends after it make the copy behind, and queue the next run.
    const versionId = datasetDocVersion(docId);
    let seq: string | null = null;
    if (versionId) {
      const [v] = await tx<{ seq: string }[]>`select private.dataset_doc_seq(v.id)::text as seq from public.dataset_versions v where v.id = ${versionId}`;
      seq = v?.seq ?? null;
    }
    const loaded = await persistence.load(docId);
    const { doc, skipped } = docFromLoaded(loaded);
    try {
      const tail = tailOf(loaded);
      let compaction = { compacted: false, merged: 0 };
      if (skipped.length === 0 && tailExceeds(loaded, bounds)) compaction = await compactLoaded(persistence, docId, loaded, doc);
      const field = docTextField(docId);
      let textStored = false;
      // A document nobody has written its text into (only other fields, or nothing) leaves the copy alone.
      if (field && doc.share.has(field)) {
        const [r] = await tx<{ stored: boolean }[]>`select private.store_doc_text(${docId}, ${doc.getText(field).toString()}) as stored`;
        textStored = Boolean(r?.stored);
      }
      let datasetFields: number | null = null;
      // Only from a log read whole: a row skipped as undecodable may hold edits the copy would miss.
      if (versionId && seq !== null && skipped.length === 0) {
        const fields = datasetDocFields(doc);
        const [r] = await tx<{ stored: boolean }[]>`select private.store_dataset_doc(${docId}, ${tx.json(fields)}, ${seq}::bigint) as stored`;
        textStored = Boolean(r?.stored);
        datasetFields = fields.length;
      }
      return { docId, tail, ...compaction, textStored, datasetFields, skipped };
    } finally {
      doc.destroy();
    }
  })) as DocUpkeepResult;
}

export async function runDocUpkeep(deps: HandlerDeps, entry: ClaimedJob, ctx: JobContext): Promise<DocUpkeepResult> {
  const payload = DocUpkeepPayload.safeParse(entry.payload);
  if (!payload.success) throw new PermanentError(`The queue entry's payload is malformed: ${formatIssues(payload.error)}`);
  const result = await upkeepDoc(deps.sql, payload.data.docId, {
    maxTailUpdates: deps.env.DOC_COMPACT_MAX_TAIL_UPDATES,
    maxTailBytes: deps.env.DOC_COMPACT_MAX_TAIL_BYTES,
  });
  if (result.skipped.length) ctx.log.warn(`${result.docId}: stored rows ${result.skipped.join(", ")} are not Yjs updates; the log is left uncompacted`);
  if (result.compacted) ctx.log.debug(`${result.docId}: folded ${result.merged} updates into a snapshot`);
  return result;
}
