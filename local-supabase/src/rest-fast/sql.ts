import pg from "pg";
import { requestSettings } from "../request-context.ts";
import type { Filter, InsertPlan, ReadPlan } from "./plan.ts";

/**
 * SQL for a fast-path plan, sent as ONE simple-protocol message: Postgres runs a multi-statement
 * message as a single implicit transaction and stops at the first error, so the role and claims set by
 * the first statement hold for the query, and nothing runs if setting them fails. That is what makes
 * one round trip safe (an extended-protocol pipeline with a Sync per statement would not be).
 * The simple protocol has no parameters, so every value is a literal quoted by pg's escapeLiteral and
 * every identifier one checked against the schema and quoted by escapeIdentifier.
 */

export type Caller = { role: "anon" | "authenticated" | "service_role"; claims: Record<string, unknown> };

const lit = pg.escapeLiteral;
const id = pg.escapeIdentifier;

/** The request's settings (request-context.ts, shared with lite's path) as one statement. */
export function contextSql(caller: Caller, readOnly: boolean): string {
  const settings = requestSettings({
    role: caller.role,
    sub: typeof caller.claims.sub === "string" ? caller.claims.sub : "",
    claims: JSON.stringify(caller.claims),
    operation: "",
  });
  // PostgREST runs GETs read-only; a view that writes then fails and lite answers instead.
  if (readOnly) settings.push(["transaction_read_only", "on"]);
  // One column, not one per setting: the driver builds a parser and a row template for every column
  // of every result, which was measurable per request. The array is returned, so all are evaluated.
  return `select cardinality(array[${settings.map(([name, value]) => `set_config(${lit(name)}, ${lit(value ?? "")}, true)`).join(", ")}])`;
}

/** Answers with one row: `n` rows, and `body`, their JSON array as Postgres renders it (as PostgREST does). */
export function readSql(plan: ReadPlan): string {
  const table = `public.${id(plan.relation)}`;
  let inner = `select ${plan.columns.map(id).join(", ")} from ${table}`;
  if (plan.filters.length) inner += ` where ${plan.filters.map(condition).join(" and ")}`;
  if (plan.order.length) {
    inner += ` order by ${plan.order
      .map((o) => `${id(o.column)} ${o.desc ? "desc" : "asc"}${o.nulls ? ` nulls ${o.nulls}` : ""}`)
      .join(", ")}`;
  }
  if (plan.limit !== null) inner += ` limit ${plan.limit}`;
  if (plan.offset) inner += ` offset ${plan.offset}`;
  return `select count(*)::int as n, coalesce(json_agg(_t), '[]')::text as body from (${inner}) _t`;
}

function condition(f: Filter): string {
  const col = id(f.column);
  switch (f.op) {
    case "eq":
      return `${col} = ${lit(f.value as string)}`;
    case "neq":
      return `${col} <> ${lit(f.value as string)}`;
    case "gt":
      return `${col} > ${lit(f.value as string)}`;
    case "gte":
      return `${col} >= ${lit(f.value as string)}`;
    case "lt":
      return `${col} < ${lit(f.value as string)}`;
    case "lte":
      return `${col} <= ${lit(f.value as string)}`;
    case "like":
      return `${col} like ${lit(f.value as string)}`;
    case "ilike":
      return `${col} ilike ${lit(f.value as string)}`;
    case "is":
      return `${col} is ${f.value === "null" ? "null" : f.value === "true" ? "true" : "false"}`;
    case "in":
      return `${col} in (${(f.value as string[]).map(lit).join(", ")})`;
  }
}

/** PostgREST's insert: the body's objects through json_populate_recordset, so Postgres converts each value. */
export function insertSql(plan: InsertPlan): string {
  const table = `public.${id(plan.relation)}`;
  const cols = plan.columns.map(id).join(", ");
  const insert = `insert into ${table} (${cols}) select ${cols} from json_populate_recordset(null::${table}, ${lit(plan.rowsJson)})`;
  if (!plan.returning) return `${insert}`;
  // A single object must come back as exactly one row (a trigger may skip it). Otherwise this cast fails at
  // run time, the insert rolls back, and lite answers (PGRST116), as PostgREST rolls back and answers 406.
  const singleGuard = plan.single ? `, (case when count(*) = 1 then null else 'not exactly one row: ' || count(*) end)::int as single_guard` : "";
  return (
    `with _inserted as (${insert} returning ${table}.*) ` +
    `select count(*)::int as n, coalesce(json_agg(_t), '[]')::text as body${singleGuard} from (select ${plan.returning.map(id).join(", ")} from _inserted) _t`
  );
}
