#!/usr/bin/env node
/**
 * Local patches to @supabase/lite (pinned in local-supabase/package.json), applied by the root package's
 * `postinstall` and checked by the gateway at start (local-supabase/src/rest/lite-hooks.ts).
 *
 * Why not patch-package: lite ships one minified bundle whose lines run to tens of kilobytes, so a diff
 * of it is unreadable and breaks on any change of the line. Each patch here is instead one exact
 * substring of the bundle and its replacement, which must occur exactly once; a patch already in place
 * is recognised by its marker and skipped, so applying twice changes nothing. A lite upgrade that moves
 * the code fails here, loudly, at install. Changing a patch means giving it a new id (an installed copy
 * keeps the old text under the old marker) and reinstalling lite (`npm ci`).
 *
 * The patches are kept small: most only call a hook (`globalThis.__reviewLite`) that the gateway installs
 * with the behaviour written out in TypeScript (local-supabase/src/rest/lite-hooks.ts). Without the hooks
 * every patched spot behaves as lite does (two only record a fact lite ignores: a key's referenced schema,
 * the request's max_rows). Each patch says what it fixes; they belong upstream.
 *
 *   node local-supabase/patches/lite.mjs          apply (idempotent)
 *   node local-supabase/patches/lite.mjs --check  exit 1 if any patch is missing
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** @type {Array<{ id: string, file: string, why: string, find: string, replace: string }>} */
export const PATCHES = [
  {
    id: "fk-ref-schema",
    file: "dist/db/postgres/PostgresConnection.js",
    why: "Introspected foreign keys keep the schema of the table they reference, so an embed can tell public.users from auth.users.",
    find: "ref_table:n.ref_table,ref_column:n.ref_column,foreign_key_name:n.foreign_key_name,fk_def:n.fk_def,",
    replace: "ref_table:n.ref_table,ref_column:n.ref_column,foreign_key_name:n.foreign_key_name,fk_def:n.fk_def,ref_schema:n.ref_schema,",
  },
  {
    id: "request-schema-scope",
    file: "dist/index.js",
    why: "A REST request sees the relations of its schema only (Accept-Profile/Content-Profile, else the first exposed schema), as PostgREST's schema cache lookups do; lite matched tables by name across every schema, so `users(*)` embedded auth.users.",
    find: "separator:y,isRpc:a});if(x)return x}",
    replace: "separator:y,isRpc:a});if(x)return x}l=globalThis.__reviewLite?.scopeIntrospection?.(l,n.req.raw,s.config.api?.schemas)??l;",
  },
  {
    id: "request-tx-end",
    file: "dist/index.js",
    why: "A request's transaction ends as `pgrst.db_tx_end` and `Prefer: tx=rollback` say (PostgREST's db-tx-end); lite rolled back only when the whole App was made with forceRollback.",
    find: "{forceRollback:t?.forceRollback===!0,rpc:",
    replace: "{forceRollback:t?.forceRollback===!0||globalThis.__reviewLite?.rollback?.(n.req.raw,s.config.api)===!0,rpc:",
  },
  {
    id: "rpc-resolution",
    file: "dist/index.js",
    why: "Which function an RPC calls, and the PGRST202/PGRST203 errors, follow PostgREST's findProc (local-supabase/src/rest/rpc.ts): lite counted overloads PostgREST cannot call and invented hints.",
    find: "function Ml(t,e){",
    replace: "function Ml(t,e){let __r=globalThis.__reviewLite?.findRoutine?.(t,e);if(__r)return __r.notFound??null;",
  },
  {
    id: "rpc-ambiguity",
    file: "dist/index.js",
    why: "See rpc-resolution.",
    find: "function Op(t,e){",
    replace: "function Op(t,e){let __r=globalThis.__reviewLite?.findRoutine?.(t,e);if(__r)return __r.ambiguous??null;",
  },
  {
    id: "rpc-routine",
    file: "dist/index.js",
    why: "See rpc-resolution: the return type lite plans for is the chosen function's.",
    find: "function so(t,e){",
    replace: "function so(t,e){let __r=globalThis.__reviewLite?.findRoutine?.(t,e);if(__r)return __r.routine??null;",
  },
  {
    id: "rpc-arguments",
    file: "dist/index.js",
    why: "RPC arguments reach the function as PostgREST passes them, through json_to_record with the parameter types (rows, composites, arrays, jsonb as JSON); lite bound objects as \"[object Object]\" and jsonb as a JSON string.",
    find: 'let o,l=e.dialect==="postgres"&&t.httpMethod==="POST"&&t.inputType!=="text"&&t.args!=null?q_(t,r,e):null;if(l)o=sql',
    replace: 'let o=globalThis.__reviewLite?.rpcCall?.(t,r,i,e),l=o===void 0&&e.dialect==="postgres"&&t.httpMethod==="POST"&&t.inputType!=="text"&&t.args!=null?q_(t,r,e):null;if(o!==void 0);else if(l)o=sql',
  },
  {
    id: "rpc-max-affected",
    file: "dist/index.js",
    why: "`Prefer: handling=strict, max-affected=n` holds on RPCs as on PostgREST (PGRST124, PGRST128; rolled back); lite checked table writes only.",
    find: 'ke("",y,t.debug);let w=await y.execute(),',
    replace: 'ke("",y,t.debug);let w=await y.execute();globalThis.__reviewLite?.queryResult?.(e,n,w,i);let ',
  },
  {
    id: "count-estimated",
    file: "dist/index.js",
    why: "`Prefer: count=estimated` is the exact count up to max_rows, the planner's estimate beyond (PostgREST), computed in local-supabase/src/rest/counts.ts; lite always answered the planner's estimate.",
    find: "async function Cc(t,e,n,r){",
    replace: 'async function Cc(t,e,n,r){if(e.$meta?.count==="estimated"&&n==="postgres"&&e.type!=="rpc"){let __v=await globalThis.__reviewLite?.estimatedCount?.(e,async(q,w)=>{let c=ee(q,n,{db:t,introspection:r}).compile();return(await t.executeQuery({sql:w(c.sql),parameters:c.parameters,query:{kind:"RawNode"}})).rows??[]});if(__v!==void 0)return __v}',
  },
  {
    id: "count-max-rows",
    file: "dist/index.js",
    why: "See count-estimated: the count needs the request's max_rows, carried on the planned request.",
    find: "return {ast:e,meta:m,mutationPlan:y,isMutation:g,stripNullsResponse:f,csvResponse:d,planEnabled:u}",
    replace: "return e.$maxRows=c?.max_rows,{ast:e,meta:m,mutationPlan:y,isMutation:g,stripNullsResponse:f,csvResponse:d,planEnabled:u}",
  },
  {
    id: "rpc-head",
    file: "dist/index.js",
    why: "HEAD on an RPC reads its arguments from the query string as GET does (PostgREST); lite parsed them as filters and answered 400.",
    find: 'if(h.isRpc&&S.toUpperCase()==="GET"){',
    replace: 'if(h.isRpc&&(S.toUpperCase()==="GET"||globalThis.__reviewLite&&S.toUpperCase()==="HEAD")){',
  },
  {
    id: "columns-missing",
    file: "dist/index.js",
    why: "With ?columns=, a key missing from a row is NULL in the database (Prefer: missing=null, the default) or the column's default (missing=default), as PostgREST writes it. lite inserted the default either way and then reported null in the response.",
    find: "let _=new Set(m.columns);if(e.values)if(Array.isArray(e.values))e.values=e.values.map(E=>{let x={};for(let O of _)O in E&&(x[O]=E[O]);return x});else {let E={};for(let x of _)x in e.values&&(E[x]=e.values[x]);e.values=E;}}",
    replace: 'let _=new Set(m.columns),__d=m?.missing==="default";if(e.values)if(Array.isArray(e.values))e.values=e.values.map(E=>{let x={};for(let O of _)O in E?(x[O]=E[O]):__d||!globalThis.__reviewLite||(x[O]=null);return x});else {let E={};for(let x of _)x in e.values?(E[x]=e.values[x]):__d||!globalThis.__reviewLite||(E[x]=null);e.values=E;}}',
  },
  {
    id: "columns-response",
    file: "dist/index.js",
    why: "See columns-missing: the response shows the rows as written, not with missing keys nulled.",
    find: 'e.type==="update")&&(i=Mm(i,s.meta?.columns,s.mutationPlan.bodyKeySets)),i}',
    replace: 'e.type==="update")&&!globalThis.__reviewLite&&(i=Mm(i,s.meta?.columns,s.mutationPlan.bodyKeySets)),i}',
  },
  {
    id: "upsert-all-columns",
    file: "dist/index.js",
    why: "An upsert's ON CONFLICT DO UPDATE sets every column of the payload (PostgREST), not only the first row's keys.",
    find: "let c=Array.isArray(s)?s[0]:s,u=Object.keys(c).filter(",
    replace: "let c=Array.isArray(s)?s[0]:s,u=(globalThis.__reviewLite?[...new Set((Array.isArray(s)?s:[s]).flatMap(__r=>Object.keys(__r)))]:Object.keys(c)).filter(",
  },
  {
    id: "rpc-table-select",
    file: "dist/index.js",
    why: "An RPC returning a table's rows is read as that table (PostgREST's funcTableName) for every select, not only one with embeds: computed fields (`blurb_message`) and aggregates with their implicit GROUP BY work on it.",
    find: 'let c=!!t.join&&Object.keys(t.join).length>0;if(e.dialect==="postgres"&&c){',
    replace: 'let c=!!t.join&&Object.keys(t.join).length>0;if(e.dialect==="postgres"&&(c||globalThis.__reviewLite)){',
  },
  {
    id: "rpc-single-empty",
    file: "dist/index.js",
    why: "A function returning one row whose result is filtered away answers 200 with `null` (PostgREST); only `Accept: application/vnd.pgrst.object+json` makes zero rows a 406.",
    find: 'n?.cardinality==="one"||O){if(V===0)return T(406,',
    replace: 'n?.cardinality==="one"||O){if(V===0&&n?.cardinality!=="one"&&globalThis.__reviewLite)return new Response(n?.head?null:"null",{status:200,headers:{"Content-Type":"application/json; charset=utf-8","Content-Range":"*/*"}});if(V===0)return T(406,',
  },
  {
    id: "rpc-aggregates",
    file: "dist/index.js",
    why: "Aggregates in an RPC's select group by the other selected columns (`username.count(), status`), as on tables and in PostgREST.",
    find: "let u=n.selectFrom(o.as(r));return u=eo(u,t.select,e),u=es(u,t.where??{},e,t.from,t.schema),",
    replace: "let u=n.selectFrom(o.as(r));return u=eo(u,t.select,e),u=es(u,t.where??{},e,t.from,t.schema),u=globalThis.__reviewLite?jl(u,t.select,e,r):u,",
  },
  {
    id: "csv-jsonb",
    file: "dist/index.js",
    why: "CSV output writes a jsonb value as Postgres (and so PostgREST) does, `{\"a\": 1, \"b\": [1, 2]}` (local-supabase/src/rest/csv.ts); lite wrote compact JSON.",
    find: "typeof t==\"bigint\"?e=t.toString():e=JSON.stringify(t),Ax.test(e)",
    replace: "typeof t==\"bigint\"?e=t.toString():e=globalThis.__reviewLite?.jsonText?.(t)??JSON.stringify(t),Ax.test(e)",
  },
  {
    id: "explain-plan",
    file: "dist/index.js",
    why: "`Accept: application/vnd.pgrst.plan` answers the planner's EXPLAIN of the request's query (local-supabase/src/rest/explain.ts), as PostgREST does; lite answered the SQL text.",
    find: "Pm(N,$t)}",
    replace: "(globalThis.__reviewLite?.explain?await globalThis.__reviewLite.explain(N,$t,k):Pm(N,$t))}",
  },
  {
    id: "embed-relationship",
    file: "dist/index.js",
    why: "The relationship an embed follows is PostgREST's (local-supabase/src/rest/relationships.ts): whole multi-column foreign keys, junctions only over primary-key columns, self-reference rules, PGRST200/PGRST201 as worded there.",
    find: "function Ce(t,e,n,r){",
    replace: "function Ce(t,e,n,r){let __c=globalThis.__reviewLite?.relationship?.(t,e,n,r);if(__c)return __c;",
  },
];

const MARK = (id) => `/*review-patch:${id}*/`;

/** Where node_modules holds lite, found as Node would (lite's `exports` hide its package.json from resolvers). */
function liteDir() {
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", "@supabase", "lite");
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (dir === path.dirname(dir)) throw new Error("@supabase/lite is not installed: run npm install");
  }
}

/** Ids of the patches not in place. */
export function missingPatches(dir = liteDir()) {
  const missing = [];
  for (const p of PATCHES) {
    const text = fs.readFileSync(path.join(dir, p.file), "utf8");
    if (!text.includes(MARK(p.id))) missing.push(p.id);
  }
  return missing;
}

export function applyPatches(dir = liteDir()) {
  const byFile = new Map();
  for (const p of PATCHES) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  const applied = [];
  for (const [file, patches] of byFile) {
    const full = path.join(dir, file);
    let text = fs.readFileSync(full, "utf8");
    for (const p of patches) {
      if (text.includes(MARK(p.id))) continue;
      const at = text.indexOf(p.find);
      if (at < 0 || text.indexOf(p.find, at + 1) >= 0) {
        throw new Error(`@supabase/lite patch ${p.id}: its code was not found exactly once in ${file}; has lite changed version? (local-supabase/patches/lite.mjs)`);
      }
      text = text.slice(0, at) + MARK(p.id) + p.replace + text.slice(at + p.find.length);
      applied.push(p.id);
    }
    fs.writeFileSync(full, text);
  }
  return applied;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--check")) {
    const missing = missingPatches();
    if (missing.length) {
      console.error(`@supabase/lite lacks local patches: ${missing.join(", ")}; run npm install`);
      process.exit(1);
    }
  } else {
    const applied = applyPatches();
    console.log(applied.length ? `@supabase/lite: applied local patches ${applied.join(", ")}` : "@supabase/lite: local patches already applied");
  }
}
