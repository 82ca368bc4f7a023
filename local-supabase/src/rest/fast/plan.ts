import type { Column, Relation, Schema } from "./schema.ts";

/**
 * Turns a REST request into a plan the fast path can run, or null when the request is anything
 * but the plainest shapes: a select of plain columns with simple filters, order, limit and offset, or
 * an insert of plain values. Everything else (embedding, counts, ranges, logic trees, upserts, RPC,
 * other media types, unknown headers that change the answer) stays with lite, which handles it all.
 * Null is never an error: it only means "not ours".
 */

export type FilterOp = "eq" | "neq" | "gt" | "gte" | "lt" | "lte" | "like" | "ilike" | "is" | "in";
export type Filter = { column: string; op: FilterOp; value: string | string[] };
export type Order = { column: string; desc: boolean; nulls: "first" | "last" | null };

export type ReadPlan = {
  kind: "read";
  relation: string;
  columns: string[];
  filters: Filter[];
  order: Order[];
  limit: number | null;
  offset: number;
  single: boolean;
  /** lite's Content-Location: the path with its query sorted and re-encoded (none for a single object). */
  contentLocation: string;
};

export type InsertPlan = {
  kind: "insert";
  relation: string;
  columns: string[];
  /** The body as a JSON array of objects, every one with exactly `columns` as keys. */
  rowsJson: string;
  rowCount: number;
  /** Columns to send back (Prefer: return=representation), or null for return=minimal. */
  returning: string[] | null;
  /** Whether the client asked for the return mode (then the answer says Preference-Applied). */
  preferred: boolean;
  single: boolean;
};

export type Plan = ReadPlan | InsertPlan;

export type RequestParts = {
  method: string;
  /** Path below /rest/v1, e.g. `/feedback`. */
  path: string;
  /** The query string as sent, without the `?` (the read cache's key). */
  search: string;
  query: URLSearchParams;
  header(name: string): string | undefined;
  body: Buffer;
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPS = new Set<string>(["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "is", "in"]);
const COUNT = /^\d{1,9}$/;
const OBJECT = "application/vnd.pgrst.object+json";

/**
 * `maxRows` is `[api] max_rows` from supabase/config.toml (supabase-config.ts): as PostgREST's db-max-rows,
 * no read returns more rows than that, whatever limit it asks for. Writes are not capped.
 */
export function planRequest(req: RequestParts, schema: Schema, maxRows: number | null = null): Plan | null {
  const name = req.path.slice(1);
  if (!IDENT.test(name)) return null;
  const relation = schema.get(name);
  if (!relation) return null;
  if (req.header("range") !== undefined || req.header("range-unit") !== undefined) return null;
  const accept = acceptKind(req.header("accept"));
  if (!accept) return null;
  if (req.method === "GET") return planRead(req, relation, accept === "object", maxRows);
  if (req.method === "POST") return planInsert(req, relation, accept === "object");
  return null;
}

function acceptKind(header: string | undefined): "array" | "object" | null {
  if (header === undefined) return "array";
  const type = header.split(";")[0]!.trim().toLowerCase();
  if (type === "" || type === "*/*" || type === "application/json") return "array";
  if (type === OBJECT) return "object";
  return null;
}

function isPublic(profile: string | undefined) {
  return profile === undefined || profile === "public";
}

function planRead(req: RequestParts, relation: Relation, single: boolean, maxRows: number | null): ReadPlan | null {
  if (req.header("prefer") !== undefined || !isPublic(req.header("accept-profile"))) return null;
  let select: string | null = null;
  let orderParam: string | null = null;
  let limit: number | null = null;
  let offset: number | null = null;
  const filters: Filter[] = [];
  for (const [key, value] of req.query) {
    if (key === "select") {
      if (select !== null) return null;
      select = value;
    } else if (key === "order") {
      if (orderParam !== null) return null;
      orderParam = value;
    } else if (key === "limit") {
      if (limit !== null || !COUNT.test(value)) return null;
      limit = Number(value);
    } else if (key === "offset") {
      if (offset !== null || !COUNT.test(value)) return null;
      offset = Number(value);
    } else {
      // `or`, `and`, `not`, `apikey`, embedded filters (`rel.col`): not plain column filters.
      if (key === "or" || key === "and" || key === "not" || key === "apikey" || key === "columns" || key === "on_conflict") return null;
      const filter = parseFilter(relation, key, value);
      if (!filter) return null;
      filters.push(filter);
    }
  }
  // An empty page past the start is PostgREST's 416 (PGRST103), which lite answers.
  if (limit === 0 && offset) return null;
  if (maxRows !== null && maxRows > 0 && (limit === null || limit > maxRows)) limit = maxRows;
  const columns = selectedColumns(relation, select);
  if (!columns) return null;
  const order = orderParam === null ? [] : parseOrder(relation, orderParam);
  if (!order) return null;
  return { kind: "read", relation: relation.name, columns, filters, order, limit, offset: offset ?? 0, single, contentLocation: single ? "" : contentLocation(relation.name, req.query) };
}

function contentLocation(relation: string, query: URLSearchParams): string {
  const sorted = new URLSearchParams([...query].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const search = sorted.toString();
  return search ? `/${relation}?${search}` : `/${relation}`;
}

function parseFilter(relation: Relation, key: string, raw: string): Filter | null {
  // A NUL cannot be in a Postgres string, nor in a text parameter (the protocol's strings end at one).
  if (!relation.columns.has(key) || raw.includes("\0")) return null;
  const dot = raw.indexOf(".");
  if (dot < 0) return null;
  const op = raw.slice(0, dot);
  const value = raw.slice(dot + 1);
  if (!OPS.has(op)) return null;
  switch (op as FilterOp) {
    case "is":
      return value === "null" || value === "true" || value === "false" ? { column: key, op: "is", value } : null;
    case "in": {
      // Quoted items may hold commas and escapes; lite parses those, the fast path does not.
      if (!value.startsWith("(") || !value.endsWith(")") || value.includes('"')) return null;
      const items = value.slice(1, -1).split(",");
      if (items.length === 0 || items.some((i) => i === "")) return null;
      return { column: key, op: "in", value: items };
    }
    case "like":
    case "ilike":
      return { column: key, op: op as FilterOp, value: value.replaceAll("*", "%") };
    default:
      return { column: key, op: op as FilterOp, value };
  }
}

function selectedColumns(relation: Relation, select: string | null): string[] | null {
  if (select === null || select === "*") return relation.opaque ? null : [...relation.columns.keys()];
  const items = select.split(",");
  const seen = new Set<string>();
  for (const item of items) {
    // Aliases, casts, JSON paths, embeds and spread all carry a character outside an identifier.
    if (!IDENT.test(item) || !relation.columns.has(item) || seen.has(item)) return null;
    seen.add(item);
  }
  return items;
}

function parseOrder(relation: Relation, param: string): Order[] | null {
  const order: Order[] = [];
  for (const term of param.split(",")) {
    const [column, ...mods] = term.split(".");
    if (!column || !relation.columns.has(column) || mods.length > 2) return null;
    let desc = false;
    let nulls: Order["nulls"] = null;
    for (const [i, m] of mods.entries()) {
      if (i === 0 && (m === "asc" || m === "desc")) desc = m === "desc";
      else if (m === "nullsfirst" || m === "nullslast") {
        if (nulls !== null) return null;
        nulls = m === "nullsfirst" ? "first" : "last";
      } else return null;
    }
    order.push({ column, desc, nulls });
  }
  return order;
}

function planInsert(req: RequestParts, relation: Relation, single: boolean): InsertPlan | null {
  if (!relation.insertable || !isPublic(req.header("content-profile"))) return null;
  const contentType = req.header("content-type")?.split(";")[0]!.trim().toLowerCase();
  if (contentType !== "application/json") return null;
  const returnPref = preferReturn(req.header("prefer"));
  if (!returnPref) return null;
  let select: string | null = null;
  for (const [key, value] of req.query) {
    if (key !== "select" || select !== null) return null;
    select = value;
  }
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString("utf8"));
  } catch {
    return null;
  }
  const rows = Array.isArray(body) ? body : [body];
  if (rows.length === 0 || (single && rows.length !== 1)) return null;
  if (single && returnPref !== "representation") return null;
  const first = rows[0];
  if (!isPlainObject(first)) return null;
  const columns = Object.keys(first);
  if (columns.length === 0) return null;
  for (const c of columns) if (!relation.columns.has(c)) return null;
  const sortedKeys = [...columns].sort().join("\u0000");
  for (const row of rows) {
    if (!isPlainObject(row) || Object.keys(row).sort().join("\u0000") !== sortedKeys) return null;
    for (const c of columns) if (!valueFits(relation.columns.get(c)!, row[c])) return null;
  }
  let returning: string[] | null = null;
  if (returnPref === "representation") {
    returning = selectedColumns(relation, select);
    if (!returning) return null;
  } else if (select !== null) {
    return null;
  }
  const preferred = req.header("prefer") !== undefined;
  return { kind: "insert", relation: relation.name, columns, rowsJson: JSON.stringify(rows), rowCount: rows.length, returning, preferred, single };
}

/** PostgREST's default is return=minimal (supabase-js sends no Prefer for an insert without select). */
function preferReturn(header: string | undefined): "minimal" | "representation" | null {
  if (header === undefined) return "minimal";
  const tokens = header.split(",").map((t) => t.trim()).filter(Boolean);
  if (tokens.length !== 1) return null;
  if (tokens[0] === "return=minimal") return "minimal";
  if (tokens[0] === "return=representation") return "representation";
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const NUMERIC = new Set(["int2", "int4", "float4", "float8"]);

/**
 * Values whose conversion by json_populate_recordset is the one lite's bound parameter gets.
 * A string into a jsonb column, a number into a text column and the like go to lite.
 */
function valueFits(column: Column, value: unknown): boolean {
  if (value === null) return true;
  if (column.json) return typeof value === "object";
  if (column.array) return false;
  if (column.type === "bool") return typeof value === "boolean";
  if (NUMERIC.has(column.type)) return typeof value === "number";
  return typeof value === "string";
}
