import type pg from "pg";

export type Column = { name: string; type: string; array: boolean; json: boolean };
export type Relation = {
  name: string;
  insertable: boolean;
  /** The columns the fast path may render, in table order. */
  columns: Map<string, Column>;
  /** Whether some column is of a type it may not render (so `*` goes to lite). */
  opaque: boolean;
};
export type Schema = Map<string, Relation>;

/**
 * Column types whose JSON from Postgres (its row-to-JSON rendering, sql.ts) is exactly what lite sends
 * for them, checked by the equivalence test against real rows of each (plus enums). The fast path only
 * answers for these; a select or an insert touching any other type goes to lite, so a client never sees
 * a column rendered two ways depending on the query's shape (lite sends bigint and numeric as strings,
 * Postgres's JSON as numbers). Add a type here only with rows of it in that test. A domain counts as its
 * base type.
 */
export const FAST_TYPES = ["text", "uuid", "int2", "int4", "bool", "float4", "float8", "timestamptz", "jsonb", "_text"] as const;
const SERVED = new Set<string>(FAST_TYPES);

const QUERY = `
  select c.relname as relation, c.relkind in ('r', 'p') as insertable, a.attname as column,
         t.typname as type, t.typtype as typtype, a.attnum
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  join pg_catalog.pg_type d on d.oid = a.atttypid
  -- A domain renders as its base type (a status domain over text is a JSON string).
  join pg_catalog.pg_type t on t.oid = case when d.typtype = 'd' then d.typbasetype else d.oid end
  where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm')
  order by c.relname, a.attnum`;

/**
 * The public schema's relations and the columns the fast path may render. A column of a type outside
 * FAST_TYPES is left out and its relation marked opaque, so naming it, or `select=*`, goes to lite.
 */
export async function loadSchema(pool: pg.Pool): Promise<Schema> {
  const { rows } = await pool.query<{ relation: string; insertable: boolean; column: string; type: string; typtype: string }>(QUERY);
  const schema: Schema = new Map();
  for (const r of rows) {
    let rel = schema.get(r.relation);
    if (!rel) schema.set(r.relation, (rel = { name: r.relation, insertable: r.insertable, columns: new Map(), opaque: false }));
    const isEnum = r.typtype === "e";
    const array = r.type.startsWith("_");
    if (isEnum || SERVED.has(r.type)) {
      rel.columns.set(r.column, { name: r.column, type: r.type, array, json: r.type === "json" || r.type === "jsonb" });
    } else {
      rel.opaque = true;
    }
  }
  return schema;
}
