/**
 * Behaviour the gateway gives @supabase/lite's REST engine through the spots local-supabase/patches/lite.mjs
 * patches into it. Each patched spot calls one function of `globalThis.__reviewLite` and falls back to
 * lite's own behaviour when it is absent, so the logic lives here, typed and tested, and the patches stay
 * one line each. Hooks take everything they need from their arguments (the request, lite's own config),
 * so several stacks in one process cannot see each other's settings.
 */
import { introspectionForSchema, type Introspection } from "./schema-scope.ts";
import { transactionEnd, type LiteApiConfig } from "./db-config.ts";
import { checkRpcMaxAffected, resolveRoutine, rpcCall, type CallContext, type PreferMeta, type LiteRoutine, type Resolution, type RpcAst } from "./rpc.ts";
import type { RawBuilder } from "kysely";
import { estimatedCount, type RunQuery } from "./counts.ts";
import { jsonbText } from "./csv.ts";
import { explain } from "./explain.ts";
import { findRelationship, type LiteRelation, type RelIntrospection } from "./relationships.ts";

export type LiteHooks = {
  /** The schema cache as a request to `schema` sees it (schema-scope.ts). */
  scopeIntrospection(introspection: Introspection, request: Request, exposedSchemas?: string[]): Introspection;
  /** Whether the request's transaction ends in a rollback (`pgrst.db_tx_end` and `Prefer: tx=`, db-config.ts). */
  rollback(request: Request, api: LiteApiConfig | undefined): boolean;
  /** Which function an RPC means, or why none (rpc.ts); undefined leaves it to lite. */
  findRoutine(functions: readonly LiteRoutine[] | undefined, ctx: CallContext): Resolution | undefined;
  /** The call of that function with the request's arguments (rpc.ts); undefined leaves it to lite. */
  rpcCall(ast: RpcAst, fnName: string, qualifiedName: string, ctx: { introspection?: { functions?: LiteRoutine[] } }): RawBuilder<unknown> | undefined;
  /** Checks an RPC's result against `Prefer: max-affected` (rpc.ts); throws to roll back. */
  queryResult(ast: RpcAst & { type?: string }, meta: PreferMeta | undefined, rows: unknown, introspection: { functions?: LiteRoutine[] } | undefined): void;
  /** `Prefer: count=estimated` (counts.ts); undefined leaves it to lite. */
  estimatedCount(ast: Record<string, unknown>, run: RunQuery): Promise<number | undefined>;
  /** A JSON value in a CSV cell, as Postgres writes jsonb (csv.ts). */
  jsonText(value: unknown): string;
  /** The plan of a request's query (explain.ts). */
  explain: typeof explain;
  /** The relationship an embed follows, or PGRST200/PGRST201 (relationships.ts); undefined leaves it to lite. */
  relationship(origin: string | undefined, embedKey: string, join: { from?: string; hint?: string } | undefined, introspection: RelIntrospection | undefined): LiteRelation | undefined;
};

declare global {
  // eslint-disable-next-line no-var
  var __reviewLite: LiteHooks | undefined;
}

export function installLiteHooks(): void {
  globalThis.__reviewLite = {
    scopeIntrospection: (introspection, request, exposed) => introspectionForSchema(introspection, requestSchema(request, exposed)),
    rollback: (request, api) => transactionEnd(api?.db_tx_end, request.headers.get("prefer")).rollback,
    findRoutine: (functions, ctx) => resolveRoutine(functions, ctx),
    rpcCall: (ast, _fnName, qualifiedName, ctx) => rpcCall(ast, qualifiedName, ctx.introspection?.functions),
    estimatedCount: (ast, run) => estimatedCount(ast, run),
    jsonText: (value) => jsonbText(value),
    explain,
    relationship: findRelationship,
    queryResult: (ast, meta, rows, introspection) => {
      if (ast.type === "rpc") checkRpcMaxAffected(ast, meta, rows, introspection?.functions);
    },
  };
}

/**
 * The schema a request addresses, as PostgREST picks it: `Accept-Profile` on GET and HEAD, `Content-Profile`
 * on writes and RPC POSTs, else the first schema of `[api] schemas`. lite has already refused a profile
 * that is not exposed (PGRST106) by the time this runs.
 */
export function requestSchema(request: Request, exposed: string[] | undefined): string {
  const method = request.method.toUpperCase();
  const accept = request.headers.get("accept-profile");
  const content = request.headers.get("content-profile");
  const profile = method === "GET" || method === "HEAD" ? accept : method === "OPTIONS" ? (content ?? accept) : content;
  return profile ?? exposed?.[0] ?? "public";
}
