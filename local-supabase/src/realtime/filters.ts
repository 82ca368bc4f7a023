/** postgres_changes subscription parameters, parsed and matched (SPEC C2). */

export type ChangeEvent = "INSERT" | "UPDATE" | "DELETE" | "*";
export type FilterOp = "eq" | "neq" | "lt" | "lte" | "gt" | "gte" | "in";
export type Filter = { column: string; op: FilterOp; value: string | string[] };

export type PgChangeParams = { event: ChangeEvent; schema: string; table?: string; filter?: string };

const OPS = new Set<FilterOp>(["eq", "neq", "lt", "lte", "gt", "gte", "in"]);
const EVENTS = new Set(["INSERT", "UPDATE", "DELETE", "*"]);

export function parseParams(raw: unknown): PgChangeParams {
  if (!raw || typeof raw !== "object") throw new Error("postgres_changes entry must be an object");
  const o = raw as Record<string, unknown>;
  const event = typeof o.event === "string" ? o.event.toUpperCase() : "";
  if (!EVENTS.has(event)) throw new Error(`unsupported event ${JSON.stringify(o.event)}`);
  if (typeof o.schema !== "string" || !o.schema) throw new Error("schema is required");
  if (o.table !== undefined && o.table !== null && typeof o.table !== "string") throw new Error("table must be a string");
  if (o.filter !== undefined && o.filter !== null && typeof o.filter !== "string") throw new Error("filter must be a string");
  return {
    event: event as ChangeEvent,
    schema: o.schema,
    ...(typeof o.table === "string" ? { table: o.table } : {}),
    ...(typeof o.filter === "string" ? { filter: o.filter } : {}),
  };
}

/** "column=op.value" as PostgREST and Supabase Realtime write it; `in` takes "(a,b,c)". */
export function parseFilter(text: string): Filter {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`invalid filter ${JSON.stringify(text)}`);
  const column = text.slice(0, eq).trim();
  const rest = text.slice(eq + 1);
  const dot = rest.indexOf(".");
  if (dot <= 0) throw new Error(`invalid filter ${JSON.stringify(text)}`);
  const op = rest.slice(0, dot) as FilterOp;
  if (!OPS.has(op)) throw new Error(`unsupported filter operator ${JSON.stringify(op)}`);
  const raw = rest.slice(dot + 1);
  if (op === "in") {
    const m = /^\((.*)\)$/s.exec(raw.trim());
    if (!m) throw new Error(`invalid in-list ${JSON.stringify(raw)}`);
    const items = splitList(m[1]!);
    if (items.length > 100) throw new Error("in-list is limited to 100 values");
    return { column, op, value: items };
  }
  return { column, op, value: unquote(raw) };
}

function splitList(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) {
      out.push(cur.trim());
      cur = "";
      continue;
    }
    cur += ch;
  }
  if (cur.trim() || out.length) out.push(cur.trim());
  return out.map(unquote);
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

const NUMERIC = new Set(["int2", "int4", "int8", "float4", "float8", "numeric", "oid"]);
const TIME = new Set(["timestamp", "timestamptz", "date"]);

/** Compares the WAL text value as its column type, as Supabase casts both sides in SQL. */
export function matchFilter(f: Filter, typname: string | undefined, value: string | null | undefined): boolean {
  if (value === undefined || value === null) return false;
  const cmp = (a: string, b: string): number => {
    if (typname && NUMERIC.has(typname)) return Number(a) - Number(b);
    if (typname && TIME.has(typname)) return Date.parse(a.replace(" ", "T")) - Date.parse(b.replace(" ", "T"));
    if (typname === "bool") return Number(normBool(a)) - Number(normBool(b));
    if (typname === "uuid") return a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  switch (f.op) {
    case "eq":
      return cmp(value, f.value as string) === 0;
    case "neq":
      return cmp(value, f.value as string) !== 0;
    case "lt":
      return cmp(value, f.value as string) < 0;
    case "lte":
      return cmp(value, f.value as string) <= 0;
    case "gt":
      return cmp(value, f.value as string) > 0;
    case "gte":
      return cmp(value, f.value as string) >= 0;
    case "in":
      return (f.value as string[]).some((v) => cmp(value, v) === 0);
  }
}

function normBool(s: string): boolean {
  return s === "t" || s === "true" || s === "1";
}

/** Supabase's subscription ids are small integers (erlang:phash2); the client only checks equality. */
export function bindingId(p: PgChangeParams): number {
  const s = JSON.stringify([p.event, p.schema, p.table ?? null, p.filter ?? null]);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x7ffffff;
}
