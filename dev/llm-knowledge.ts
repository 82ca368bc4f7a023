/**
 * The product's side of the dev LLM (local-supabase/src/llm/knowledge.ts): an organization's
 * training_examples (approved answers), the retrieval index a fine-tuned offline model was trained into
 * (models), and memberships. Read with the stack's superuser connection (the dev LLM plays the provider,
 * outside RLS), cached and revalidated with a cheap fingerprint so an answer approved a moment ago is
 * used by the very next request.
 */
import type postgres from "postgres";
import { buildRetrievalIndex, isRetrievalIndex, type RetrievalIndex } from "@review/shared/llm/retrieval";
import type { Logger } from "../local-supabase/src/log.ts";
import { ModelNotReadyError, type KnowledgeSource, type ModelIndex } from "../local-supabase/src/llm/knowledge.ts";

/** Newest examples win when an org has more than this; enough for any demo, bounded for memory. */
const MAX_EXAMPLES = 5000;

type Cached = { fingerprint: string; index: RetrievalIndex };

export function productKnowledge(sql: postgres.Sql, log: Logger): KnowledgeSource {
  const orgCache = new Map<string, Cached>();
  const modelCache = new Map<string, Cached & { orgId: string | null; name: string | null }>();
  let tablesChecked: Promise<{ examples: boolean; models: boolean; memberships: boolean }> | null = null;

  // Migrations may land after the gateway started (tests, a developer adding them), so a missing table
  // is re-checked instead of remembered forever.
  async function tables() {
    const check = (tablesChecked ??= sql<{ examples: boolean; models: boolean; memberships: boolean }[]>`
      select to_regclass('public.training_examples') is not null as examples, to_regclass('public.models') is not null as models,
             to_regclass('public.memberships') is not null as memberships`.then((r) => r[0]!));
    let t: { examples: boolean; models: boolean; memberships: boolean };
    try {
      t = await check;
    } catch (err) {
      // A failed check (Postgres restarting) must not be remembered: the next request asks again.
      if (tablesChecked === check) tablesChecked = null;
      throw err;
    }
    if (!t.examples || !t.models || !t.memberships) tablesChecked = null;
    return t;
  }

  async function orgIndex(orgId: string): Promise<RetrievalIndex | null> {
    if (!(await tables()).examples) return null;
    const [fp] = await sql<{ n: number; h: string }[]>`
      select count(*)::int as n,
             coalesce(sum(hashtext(id::text || chr(1) || query || chr(1) || answer || chr(1) || array_to_string(tags, ','))::bigint), 0)::text as h
      from public.training_examples where org_id = ${orgId}`;
    if (!fp || fp.n === 0) {
      orgCache.delete(orgId);
      return null;
    }
    const fingerprint = `${fp.n}:${fp.h}`;
    const hit = orgCache.get(orgId);
    if (hit?.fingerprint === fingerprint) return hit.index;
    const rows = await sql<{ id: string; query: string; answer: string; tags: string[] }[]>`
      select id::text, query, answer, tags from public.training_examples
      where org_id = ${orgId} order by created_at desc, id limit ${MAX_EXAMPLES}`;
    const index = buildRetrievalIndex(rows.map((r) => ({ id: r.id, query: r.query, answer: r.answer, tags: r.tags ?? [] })));
    orgCache.set(orgId, { fingerprint, index });
    log.debug(`indexed ${rows.length} approved answers of org ${orgId}`);
    return index;
  }

  /**
   * The index of `offline-ft:<modelId>`. Looked up in, by preference: models.retrieval_index (the column
   * proposed for it), models.dataset_snapshot.retrieval_index, then built from
   * dataset_snapshot.examples or dataset_snapshot.example_ids. Returns null for an unknown model.
   */
  async function modelIndex(modelId: string): Promise<ModelIndex | null> {
    if (!(await tables()).models) return null;
    const [row] = await sql<{ m: Record<string, unknown>; h: string }[]>`
      select to_jsonb(m) as m, md5(to_jsonb(m)::text) as h from public.models m where m.id = ${modelId}`;
    if (!row) return null;
    const orgId = typeof row.m.org_id === "string" ? row.m.org_id : null;
    const name = typeof row.m.name === "string" ? row.m.name : null;
    const hit = modelCache.get(modelId);
    if (hit?.fingerprint === row.h) return { index: hit.index, orgId, name };
    const index = await indexFromModelRow(row.m);
    if (!index) throw new ModelNotReadyError(`model offline-ft:${modelId} has no trained retrieval index yet`, orgId);
    modelCache.set(modelId, { fingerprint: row.h, index, orgId, name });
    return { index, orgId, name };
  }

  async function indexFromModelRow(m: Record<string, unknown>): Promise<RetrievalIndex | null> {
    if (isRetrievalIndex(m.retrieval_index)) return m.retrieval_index;
    const snap = (m.dataset_snapshot ?? {}) as Record<string, unknown>;
    if (isRetrievalIndex(snap.retrieval_index)) return snap.retrieval_index;
    if (Array.isArray(snap.examples)) {
      const ex = (snap.examples as Array<Record<string, unknown>>).filter((e) => typeof e?.query === "string" && typeof e?.answer === "string");
      if (ex.length) return buildRetrievalIndex(ex.map((e, i) => ({ id: typeof e.id === "string" ? e.id : String(i), query: e.query as string, answer: e.answer as string })));
    }
    if (Array.isArray(snap.example_ids) && snap.example_ids.length && typeof m.org_id === "string") {
      const ids = (snap.example_ids as unknown[]).filter((x): x is string => typeof x === "string");
      const rows = await sql<{ id: string; query: string; answer: string; tags: string[] }[]>`
        select id::text, query, answer, tags from public.training_examples where org_id = ${m.org_id} and id::text = any(${ids})`;
      if (rows.length) return buildRetrievalIndex(rows);
    }
    return null;
  }

  /**
   * The organizations a user belongs to, read on every request rather than cached: a member removed a
   * moment ago must not be served from the organization's answers by the next request.
   */
  async function userOrgs(userId: string): Promise<string[]> {
    if (!(await tables()).memberships) return [];
    const rows = await sql<{ org_id: string }[]>`select org_id::text from public.memberships where user_id = ${userId}::uuid order by org_id`;
    return rows.map((r) => r.org_id);
  }

  return { orgIndex, modelIndex, userOrgs };
}
