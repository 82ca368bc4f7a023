/**
 * Resource embedding's relationship lookup as PostgREST does it (SchemaCache.hs builds the relationships,
 * Plan.hs `findRel` picks one), for @supabase/lite's REST engine (lite-hooks.ts), over the request's
 * schema (schema-scope.ts). What lite did differently:
 *
 * - A foreign key over several columns (`(org_id, feedback_id) references feedback (org_id, id)`) named by
 *   its constraint joined on one of its columns, so a to-one embed matched several rows (21000). Here a
 *   relationship is the whole constraint, and the join uses every column pair.
 * - A table with two foreign keys was a many-to-many junction. PostgREST makes one only when the columns
 *   of both keys are part of the junction's primary key.
 * - Self-references: PostgREST reads `children:t(*)` as the one-to-many side, `parent_id(*)` (the column)
 *   as the many-to-one side, and a hint as the referencing column of the one-to-many side; two
 *   self-references named by the table alone are ambiguous (PGRST201).
 * - Errors: PGRST200 and PGRST201 carry PostgREST's message, details and hint.
 */
import { closest } from "./fuzzy.ts";

type FkRow = {
  schema?: string | null;
  table: string;
  column: string;
  ref_schema?: string | null;
  ref_table: string;
  ref_column: string;
  foreign_key_name: string;
  foreign_key_group?: string | null;
  is_visible?: boolean;
};

/** The parts of lite's (scoped) introspection read here. */
export type RelIntrospection = {
  tables?: Array<{ name: string; schema?: string | null }>;
  views?: Array<{ name: string; schema?: string | null }>;
  foreign_keys?: FkRow[];
  primary_keys?: Array<{ table: string; columns: string[] }>;
  unique_constraints?: Array<{ table: string; columns: string[] }>;
  functions?: Array<{ name: string; arg_types: string[]; return_typtype?: string }>;
  default_schema?: string;
};

type Cardinality = "m2o" | "o2m" | "o2o" | "m2m";

/** A relationship from `table` to `foreignTable`, PostgREST's `Relationship`. */
type Relationship = {
  table: string;
  foreignTable: string;
  isSelf: boolean;
  cardinality: Cardinality;
  /** For O2O: whether `table` is the referenced side (PostgREST's isParent). */
  isParent?: boolean;
  constraint: string;
  /** (column of `table`, column of `foreignTable`) pairs; for M2M unused. */
  columns: Array<[string, string]>;
  foreignIsView: boolean;
  junction?: { table: string; constraint1: string; constraint2: string; source: Array<[string, string]>; target: Array<[string, string]> };
  /** The key's rows as lite stores them, for the shapes lite joins with. */
  rows: FkRow[];
  junctionRows?: { toParent: FkRow[]; toTarget: FkRow[] };
};

/** What lite's `Ce` returns. */
export type LiteRelation = { targetTable: string; fkRel: Record<string, unknown> | null; cardinality: Cardinality; displayHint?: string };

type Constraint = { table: string; refTable: string; name: string; rows: FkRow[] };

const cache = new WeakMap<object, Map<string, Relationship[]>>();

function constraints(intro: RelIntrospection): Constraint[] {
  const byKey = new Map<string, Constraint>();
  for (const fk of intro.foreign_keys ?? []) {
    if (fk.is_visible === false) continue;
    const key = `${fk.table}\u0000${fk.ref_table}\u0000${fk.foreign_key_group ?? fk.foreign_key_name}`;
    let c = byKey.get(key);
    if (!c) byKey.set(key, (c = { table: fk.table, refTable: fk.ref_table, name: fk.foreign_key_name, rows: [] }));
    c.rows.push(fk);
  }
  // lite reads the keys ordered by table and constraint name, the order PostgREST lists a table's keys in.
  return [...byKey.values()];
}

function sameSet(a: string[], b: string[]): boolean {
  const s = new Set(a);
  return s.size === new Set(b).size && b.every((x) => s.has(x));
}

/** Every relationship of the schema, in PostgREST's order: keys, many-to-many, then the inverse of the keys. */
function allRelationships(intro: RelIntrospection): Relationship[] {
  const views = new Set((intro.views ?? []).map((v) => v.name));
  const tableViews = new Set((intro.tables ?? []).filter((t) => (t as { type?: string }).type === "view").map((t) => t.name));
  const isView = (name: string) => views.has(name) || tableViews.has(name);
  const pk = new Map<string, string[]>();
  for (const p of intro.primary_keys ?? []) pk.set(p.table, p.columns);
  const uniques = new Map<string, string[][]>();
  for (const u of intro.unique_constraints ?? []) uniques.set(u.table, [...(uniques.get(u.table) ?? []), u.columns]);
  const forward: Relationship[] = constraints(intro).map((c) => {
    const cols = c.rows.map((r) => r.column);
    const keys = [...(pk.has(c.table) ? [pk.get(c.table)!] : []), ...(uniques.get(c.table) ?? [])];
    const oneToOne = keys.some((k) => sameSet(k, cols));
    return {
      table: c.table,
      foreignTable: c.refTable,
      isSelf: c.table === c.refTable,
      cardinality: oneToOne ? "o2o" : "m2o",
      isParent: false,
      constraint: c.name,
      columns: c.rows.map((r): [string, string] => [r.column, r.ref_column]),
      foreignIsView: isView(c.refTable),
      rows: c.rows,
    };
  });
  const m2o = forward.filter((r) => r.cardinality === "m2o");
  const m2m: Relationship[] = [];
  for (const a of m2o) {
    for (const b of m2o) {
      if (a.table !== b.table || a.constraint === b.constraint) continue;
      const junctionCols = [...a.columns.map((c) => c[0]), ...b.columns.map((c) => c[0])];
      const keyCols = new Set(pk.get(a.table) ?? []);
      if (!junctionCols.every((c) => keyCols.has(c))) continue;
      m2m.push({
        table: a.foreignTable,
        foreignTable: b.foreignTable,
        isSelf: a.foreignTable === b.foreignTable,
        cardinality: "m2m",
        constraint: a.table,
        columns: [],
        foreignIsView: b.foreignIsView,
        junction: { table: a.table, constraint1: a.constraint, constraint2: b.constraint, source: a.columns.map(([c, f]) => [f, c]), target: b.columns.map(([c, f]) => [f, c]) },
        rows: a.rows,
        junctionRows: { toParent: a.rows, toTarget: b.rows },
      });
    }
  }
  const inverse: Relationship[] = forward.map((r) => ({
    ...r,
    table: r.foreignTable,
    foreignTable: r.table,
    cardinality: r.cardinality === "o2o" ? "o2o" : "o2m",
    isParent: r.cardinality === "o2o" ? true : undefined,
    columns: r.columns.map(([c, f]): [string, string] => [f, c]),
    foreignIsView: isView(r.table),
  }));
  return [...forward, ...m2m, ...inverse];
}

function relationshipsFrom(intro: RelIntrospection, origin: string): Relationship[] {
  let byOrigin = cache.get(intro);
  if (!byOrigin) {
    byOrigin = new Map();
    for (const r of allRelationships(intro)) byOrigin.set(r.table, [...(byOrigin.get(r.table) ?? []), r]);
    cache.set(intro, byOrigin);
  }
  return byOrigin.get(origin) ?? [];
}

const single = (r: Relationship) => (r.cardinality !== "m2m" && r.columns.length === 1 ? r.columns[0]! : null);

/** PostgREST's findRel filter. */
function matches(r: Relationship, target: string, hint: string | undefined): boolean {
  const col = single(r);
  if (r.isSelf) {
    if (hint === undefined) {
      return (target === r.foreignTable && r.cardinality === "o2m") || (col !== null && col[0] === target && r.cardinality === "m2o");
    }
    return target === r.foreignTable && r.cardinality === "o2m" && col !== null && col[1] === hint;
  }
  if (hint === undefined) {
    return (
      target === r.foreignTable ||
      (r.cardinality !== "m2m" && r.constraint === target && !r.foreignIsView) ||
      (col !== null && col[0] === target && !r.foreignIsView)
    );
  }
  return (
    target === r.foreignTable &&
    ((r.cardinality !== "m2m" && r.constraint === hint) || (col !== null && (col[0] === hint || col[1] === hint)) || (r.cardinality === "m2m" && r.junction!.table === hint))
  );
}

const cardinalityName: Record<Cardinality, string> = { m2o: "many-to-one", o2m: "one-to-many", o2o: "one-to-one", m2m: "many-to-many" };

function described(r: Relationship) {
  const els = (xs: string[]) => `(${xs.join(", ")})`;
  const relationship =
    r.cardinality === "m2m"
      ? `${r.junction!.table} using ${r.junction!.constraint1}${els(r.junction!.source.map((c) => c[1]))} and ${r.junction!.constraint2}${els(r.junction!.target.map((c) => c[1]))}`
      : `${r.constraint} using ${r.table}${els(r.columns.map((c) => c[0]))} and ${r.foreignTable}${els(r.columns.map((c) => c[1]))}`;
  return { cardinality: cardinalityName[r.cardinality], embedding: `${r.table} with ${r.foreignTable}`, relationship };
}

/** Shaped as a PostgREST raise (`sqlstate 'PGRST'`), which lite renders with the given status. */
function pgrstError(status: number, code: string, message: string, details: unknown, hint: string | null) {
  return { code: "PGRST", message: JSON.stringify({ code, message, details, hint }), detail: JSON.stringify({ status, headers: {} }) };
}

function noRelHint(intro: RelIntrospection, parent: string, child: string): string | null {
  const origins = new Set<string>();
  for (const r of allRelationships(intro)) origins.add(r.table);
  if (origins.has(parent)) {
    const children = new Set(relationshipsFrom(intro, parent).map((r) => r.foreignTable));
    if (children.has(child)) return null;
    const guess = closest(children, child, 0.33);
    return guess === null ? null : `Perhaps you meant '${guess}' instead of '${child}'.`;
  }
  const guess = closest(origins, parent, 0.33);
  return guess === null ? null : `Perhaps you meant '${guess}' instead of '${parent}'.`;
}

/** A function PostgREST would embed as a computed relationship (lite plans those itself). */
function computedRelationship(intro: RelIntrospection, origin: string, target: string): boolean {
  return (intro.functions ?? []).some((f) => f.name === target && f.arg_types.length === 1 && f.arg_types[0]!.replace(/^.*\./, "").replace(/"/g, "") === origin);
}

/**
 * lite's `Ce(parent, embedKey, joinSpec, introspection)`: the relationship an embed follows. Throws
 * PostgREST's PGRST200/PGRST201; undefined leaves the embed to lite (a computed relationship).
 */
export function findRelationship(origin: string | undefined, embedKey: string, join: { from?: string; hint?: string } | undefined, intro: RelIntrospection | undefined): LiteRelation | undefined {
  if (!origin || !intro?.foreign_keys) return undefined;
  const target = join?.from || embedKey;
  const hint = join?.hint;
  const found = relationshipsFrom(intro, origin).filter((r) => matches(r, target, hint));
  if (found.length === 0) {
    if (computedRelationship(intro, origin, target)) return undefined;
    const schema = intro.default_schema ?? "public";
    throw pgrstError(
      400,
      "PGRST200",
      `Could not find a relationship between '${origin}' and '${target}' in the schema cache`,
      `Searched for a foreign key relationship between '${origin}' and '${target}'${hint ? ` using the hint '${hint}'` : ""} in the schema '${schema}', but no matches were found.`,
      noRelHint(intro, origin, target),
    );
  }
  if (found.length > 1) {
    const hints = found.map((r) => `'${r.foreignTable}!${r.cardinality === "m2m" ? r.junction!.table : r.constraint}'`).join(", ");
    throw pgrstError(
      300,
      "PGRST201",
      `Could not embed because more than one relationship was found for '${origin}' and '${target}'`,
      found.map(described),
      `Try changing '${target}' to one of the following: ${hints}. Find the desired relationship in the 'details' key.`,
    );
  }
  return toLite(found[0]!, origin, hint);
}

/** The relationship in the shape lite's planner joins with (its `Vr` and many-to-many objects). */
function toLite(r: Relationship, origin: string, hint: string | undefined): LiteRelation {
  const target = r.foreignTable;
  if (r.cardinality === "m2m") {
    const { toParent, toTarget } = r.junctionRows!;
    return {
      targetTable: target,
      cardinality: "m2m",
      displayHint: hint,
      fkRel: {
        type: "m2m",
        junctionTable: r.junction!.table,
        junctionToParentCols: toParent.map((f) => f.column),
        parentCols: toParent.map((f) => f.ref_column),
        junctionToTargetCols: toTarget.map((f) => f.column),
        targetCols: toTarget.map((f) => f.ref_column),
        fk: toParent[0],
        parentFkGroup: toParent,
        targetFkGroup: toTarget,
      },
    };
  }
  // lite joins a to-one embed held by the origin as "m2o" (origin.col = target.ref) and one held by the
  // target as "o2m" (target.col = origin.ref); a one-to-one is either, by which side holds the key.
  const originHoldsKey = r.cardinality === "m2o" || (r.cardinality === "o2o" && !r.isParent);
  const type = originHoldsKey ? "m2o" : "o2m";
  const leftCols = originHoldsKey ? r.columns.map(([c]) => `${origin}.${c}`) : r.columns.map(([, f]) => `${target}.${f}`);
  const rightCols = originHoldsKey ? r.columns.map(([, f]) => `${target}.${f}`) : r.columns.map(([c]) => `${origin}.${c}`);
  return {
    targetTable: target,
    cardinality: r.cardinality,
    displayHint: hint,
    fkRel: { leftCol: leftCols[0], rightCol: rightCols[0], leftCols, rightCols, type, fk: r.rows[0] },
  };
}
