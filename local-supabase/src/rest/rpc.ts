/**
 * RPC as PostgREST does it, for @supabase/lite's REST engine (through lite-hooks.ts):
 *
 * - Which function a call means. PostgREST keeps only functions it can call (every parameter named, or a
 *   single unnamed one of type json, jsonb, text, xml or bytea) and picks, among those with the name, the
 *   ones whose required parameters are all given and whose other given keys are optional parameters; a
 *   POST with no such match falls back to the function taking one unnamed json/jsonb (text, xml, bytea
 *   for those bodies). None is PGRST202, several PGRST203, with PostgREST's wording (`findProc`, Error.hs).
 *   lite counted uncallable overloads, so `f(text)` beside `f(integer)` and `f(boolean)` could not be
 *   called, and a call with a row argument matched nothing.
 * - How its arguments reach it. PostgREST hands the JSON body to `json_to_record` with the chosen
 *   function's parameter types, so a row (`user_row users`), a composite, an array or a `jsonb` argument
 *   arrives as that type, built from the JSON: a `jsonb` parameter gets the JSON itself, never a string
 *   holding it. lite bound each value as a parameter of unknown type: an object became "[object Object]"
 *   and a jsonb argument the JSON text as a string.
 */
import { sql, type RawBuilder } from "kysely";
import { closest } from "./fuzzy.ts";

/** A function as lite introspects it (local-supabase/patches: PostgresConnection's pg_proc query). */
export type LiteRoutine = {
  schema: string;
  name: string;
  /** Names of the input parameters, "" for an unnamed one; empty when none has a name. */
  arg_names: string[];
  /** Types of the input parameters, as format_type() writes them. */
  arg_types: string[];
  arg_defaults: number;
  has_variadic: boolean;
  return_is_setof?: boolean;
};

/** lite's description of the call it is planning. */
export type CallContext = {
  schema: string;
  fnName: string;
  providedNames: string[];
  method?: string;
  paramsType?: "named" | "positional";
  inputType?: "json" | "text";
  rawKind?: string;
};

type Param = { name: string; type: string; required: boolean; variadic: boolean };

type Problem = { message: string; details: string | null; hint: string | null };

export type Resolution = { routine?: LiteRoutine; notFound?: Problem; ambiguous?: Problem };

const SINGLE_UNNAMED_TYPES = new Set(["bytea", "json", "jsonb", "text", "xml"]);

export function params(r: LiteRoutine): Param[] {
  const n = r.arg_types.length;
  return r.arg_types.map((type, i) => ({
    name: r.arg_names[i] ?? "",
    type,
    required: i < n - r.arg_defaults,
    variadic: r.has_variadic && i === n - 1,
  }));
}

/** PostgREST's schema cache leaves out what it cannot call: more than one unnamed parameter, or one of another type. */
export function callable(r: LiteRoutine): boolean {
  const ps = params(r);
  const unnamed = ps.filter((p) => p.name === "").length;
  if (unnamed === 0) return true;
  if (unnamed > 1) return false;
  return SINGLE_UNNAMED_TYPES.has(ps[0]!.type);
}

type Media = "json" | "text" | "xml" | "bytea";

function media(ctx: CallContext): Media {
  if (ctx.inputType !== "text") return "json";
  return ctx.rawKind === "xml" || ctx.rawKind === "bytea" ? ctx.rawKind : "text";
}

/**
 * PostgREST's findProc. Returns undefined for what lite plans differently (a JSON array body: positional
 * arguments), so lite's own resolution applies there.
 */
export function resolveRoutine(all: readonly LiteRoutine[] | undefined, ctx: CallContext): Resolution | undefined {
  if (ctx.paramsType === "positional" && ctx.providedNames.length > 0) return undefined;
  const post = ctx.method === "POST";
  const kind = media(ctx);
  const keys = new Set(ctx.paramsType === "positional" ? [] : ctx.providedNames);
  const named = (all ?? []).filter((r) => r.schema === ctx.schema && r.name === ctx.fnName && callable(r));
  const matching: LiteRoutine[] = [];
  const fallback: LiteRoutine[] = [];
  for (const r of named) {
    if (matchesParams(r, keys, post, kind)) matching.push(r);
    else if (singleUnnamed(r, post, kind)) fallback.push(r);
  }
  if (matching.length === 1) return { routine: matching[0]! };
  if (matching.length > 1) return { ambiguous: ambiguous(ctx.schema, ctx.fnName, matching) };
  if (fallback.length === 1) return { routine: fallback[0]! };
  if (fallback.length > 1) return { ambiguous: ambiguous(ctx.schema, ctx.fnName, fallback) };
  return { notFound: notFound(all ?? [], named, ctx, [...keys].sort(), post, kind) };
}

function matchesParams(r: LiteRoutine, keys: Set<string>, post: boolean, kind: Media): boolean {
  const ps = params(r);
  if (ps.length === 0) return keys.size === 0 && !(post && kind !== "json");
  const required = ps.filter((p) => p.required).map((p) => p.name);
  const optional = new Set(ps.filter((p) => !p.required).map((p) => p.name));
  if (optional.size === 0) return sameSet(keys, new Set(required));
  if (required.length === 0) return [...keys].every((k) => optional.has(k));
  return sameSet(new Set([...keys].filter((k) => !optional.has(k))), new Set(required));
}

function singleUnnamed(r: LiteRoutine, post: boolean, kind: Media): boolean {
  const ps = params(r);
  if (!post || ps.length !== 1 || ps[0]!.name !== "") return false;
  const t = ps[0]!.type;
  return kind === "json" ? t === "json" || t === "jsonb" : t === kind;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function ambiguous(schema: string, name: string, routines: LiteRoutine[]): Problem {
  const sorted = [...routines].sort((a, b) => a.arg_types.length - b.arg_types.length || a.arg_types.join(",").localeCompare(b.arg_types.join(",")));
  const list = sorted.map((r) => `${schema}.${name}(${params(r).map((p) => `${p.name} => ${p.type}`).join(", ")})`);
  return {
    message: `Could not choose the best candidate function between: ${list.join(", ")}`,
    details: null,
    hint: "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
  };
}

/** PostgREST's NoRpc error: message, details and the fuzzy hint (Error.hs, noRpcHint). */
function notFound(all: readonly LiteRoutine[], overloads: LiteRoutine[], ctx: CallContext, keys: string[], post: boolean, kind: Media): Problem {
  const func = `${ctx.schema}.${ctx.fnName}`;
  const onlySingle = post && kind !== "json";
  const withParams = keys.length === 0 ? " without parameters" : null;
  const message = `Could not find the function ${func}${onlySingle ? "" : (withParams ?? `(${keys.join(", ")})`)} in the schema cache`;
  const searched = withParams ?? ` with parameter${keys.length > 1 ? "s" : ""} ${keys.join(", ")}`;
  const how = !post ? searched : kind === "json" ? `${searched} or with a single unnamed json/jsonb parameter` : ` with a single unnamed ${kind} parameter`;
  const details = `Searched for the function ${func}${how}, but no matches were found in the schema cache.`;
  let hint: string | null = null;
  if (!onlySingle) {
    const listText = (names: string[]) => `(${[...names].sort().join(", ")})`;
    const guess =
      overloads.length === 0
        ? closest(new Set(all.filter((r) => r.schema === ctx.schema && callable(r)).map((r) => r.name)), ctx.fnName, 0.75)
        : mapOrNull(closest(overloads.map((r) => listText(params(r).map((p) => p.name))), listText(keys), 0.33), (p) => ctx.fnName + p);
    hint = guess === null ? null : `Perhaps you meant to call the function ${ctx.schema}.${guess}`;
  }
  return { message, details, hint };
}

function mapOrNull<T, U>(v: T | null, f: (v: T) => U): U | null {
  return v === null ? null : f(v);
}

/** The parts of lite's RPC AST this reads. */
export type RpcAst = {
  function?: string;
  schema?: string;
  args?: unknown;
  httpMethod?: string;
  paramsType?: "named" | "positional";
  inputType?: "json" | "text";
};

/**
 * The call expression for the function PostgREST would call with these arguments, or undefined to leave
 * the call to lite (arguments it plans differently, or a function the resolution does not settle).
 */
export function rpcCall(ast: RpcAst, qualifiedName: string, functions: readonly LiteRoutine[] | undefined): RawBuilder<unknown> | undefined {
  const args = ast.args;
  if (Array.isArray(args)) return undefined;
  const raw = isRecord(args) && "_raw" in args ? args._raw : undefined;
  const named = isRecord(args) && raw === undefined ? args : {};
  const resolution = resolveRoutine(functions, {
    schema: ast.schema ?? "public",
    fnName: ast.function ?? "",
    providedNames: raw === undefined ? Object.keys(named) : [],
    method: ast.httpMethod,
    paramsType: ast.paramsType,
    inputType: ast.inputType,
  });
  const routine = resolution?.routine;
  if (!routine) return undefined;
  const fn = sql.raw(qualifiedName);
  const ps = params(routine);
  if (ps.length === 1 && ps[0]!.name === "") {
    // PostgREST passes the whole body as the one unnamed parameter.
    const type = ps[0]!.type;
    if (type === "bytea") return undefined;
    const body = raw !== undefined ? String(raw) : JSON.stringify(args ?? {});
    return sql`${fn}(${body}::text::${sql.raw(type)})`;
  }
  const given = ps.filter((p) => Object.hasOwn(named, p.name));
  if (given.length === 0) return sql`${fn}()`;
  if (ast.httpMethod === "GET" || ast.httpMethod === "HEAD") {
    // Query-string arguments are text, cast to the parameter's type; a repeated key fills a variadic one.
    const parts = given.map((p) => {
      const v = named[p.name];
      // Through text, so the driver never serializes the value for the parameter's type (a jsonb one as a JSON string).
      if (p.variadic) return sql`VARIADIC ${sql.id(p.name)} := ${(Array.isArray(v) ? v : [v]).map(queryText)}::text[]::${sql.raw(p.type)}`;
      const last = Array.isArray(v) ? v[v.length - 1] : v;
      return sql`${sql.id(p.name)} := ${last === null || last === undefined ? null : queryText(last)}::text::${sql.raw(p.type)}`;
    });
    return sql`${fn}(${sql.join(parts)})`;
  }
  const body = JSON.stringify(named);
  const record = sql.join(given.map((p) => sql`${sql.id(p.name)} ${sql.raw(inputType(p.type))}`));
  const parts = given.map(
    (p) => sql`${sql.raw(p.variadic ? "VARIADIC " : "")}${sql.id(p.name)} := (select _.${sql.id(p.name)} from json_to_record(${body}::text::json) as _(${record}))`,
  );
  return sql`${fn}(${sql.join(parts)})`;
}

/** A query-string value as its text (lite's parser may have read `{"a":1}` as JSON or `1` as a number). */
function queryText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** PostgREST reads `character` and `bit` parameters as their varying forms, which take any length. */
function inputType(type: string): string {
  if (type === "character") return "character varying";
  if (type === "character[]") return "character varying[]";
  if (type === "bit") return "bit varying";
  if (type === "bit[]") return "bit varying[]";
  return type;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** lite's parsed Prefer header (the parts read here). */
export type PreferMeta = { handling?: string; maxAffected?: number };

/**
 * PostgREST's `Prefer: handling=strict, max-affected=n` on an RPC: a function that returns one value
 * fails with PGRST128, one whose result has more than n rows with PGRST124; in both cases nothing the
 * function did is kept. lite checked max-affected on table writes only. The error is thrown as a
 * PostgREST raise (`sqlstate 'PGRST'`), which lite renders as the given code and status after rolling
 * the transaction back.
 */
export function checkRpcMaxAffected(ast: RpcAst, meta: PreferMeta | undefined, rows: unknown, functions: readonly LiteRoutine[] | undefined): void {
  if (meta?.handling !== "strict" || typeof meta.maxAffected !== "number" || !Number.isFinite(meta.maxAffected)) return;
  const raw = isRecord(ast.args) && "_raw" in ast.args;
  const routine = resolveRoutine(functions, {
    schema: ast.schema ?? "public",
    fnName: ast.function ?? "",
    providedNames: Array.isArray(ast.args) || raw || !isRecord(ast.args) ? [] : Object.keys(ast.args),
    method: ast.httpMethod,
    paramsType: ast.paramsType,
    inputType: ast.inputType,
  })?.routine;
  if (routine && !routine.return_is_setof) {
    throw pgrstRaise(400, "PGRST128", "Function must return SETOF or TABLE when max-affected preference is used with handling=strict", null);
  }
  const count = Array.isArray(rows) ? rows.length : 0;
  if (count > meta.maxAffected) throw pgrstRaise(400, "PGRST124", "Query result exceeds max-affected preference constraint", `The query affects ${count} rows`);
}

/** Shaped as the error postgres.js gives for `raise sqlstate 'PGRST'`; not an Error, so lite logs a line, not a stack. */
function pgrstRaise(status: number, code: string, message: string, details: string | null) {
  return { code: "PGRST", message: JSON.stringify({ code, message, details, hint: null }), detail: JSON.stringify({ status, headers: {} }) };
}
