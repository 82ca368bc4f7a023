/**
 * lite introspects every schema of the database into one cache and looks relations up by name, so in a
 * Supabase database `users` is public.users, auth.users or (in another project) personal.users,
 * whichever comes first: `select=id,users(*)` embedded auth.users and failed on its columns. PostgREST
 * resolves every name of a request, embeds included, in the request's schema. The gateway hands lite,
 * per request, the part of its cache that belongs to that schema.
 */

type Named = { schema?: string | null };
type ForeignKey = Named & { table: string; ref_table: string; ref_schema?: string | null };

/** lite's introspection result (the fields this module reads; the rest pass through). */
export type Introspection = {
  tables: Named[];
  views: Named[];
  columns: Named[];
  foreign_keys: ForeignKey[];
  primary_keys?: Named[];
  indexes?: Named[];
  functions?: Named[];
  triggers?: Named[];
  check_constraints?: Named[];
  unique_constraints?: Named[];
  comments?: Named[];
  partitions?: Named[];
  default_schema?: string;
  [other: string]: unknown;
};

const scoped = new WeakMap<Introspection, Map<string, Introspection>>();

/** The cache as a request to `schema` sees it; computed once per cache and schema. */
export function introspectionForSchema(all: Introspection, schema: string): Introspection {
  let bySchema = scoped.get(all);
  if (!bySchema) scoped.set(all, (bySchema = new Map()));
  let view = bySchema.get(schema);
  if (!view) bySchema.set(schema, (view = scope(all, schema)));
  return view;
}

function scope(all: Introspection, schema: string): Introspection {
  const mine = <T extends Named>(rows: T[] | undefined): T[] | undefined => rows?.filter((r) => (r.schema || "public") === schema);
  return {
    ...all,
    tables: mine(all.tables)!,
    views: mine(all.views)!,
    columns: mine(all.columns)!,
    // A key from this schema into another (public.profiles → auth.users) is no relationship an embed can
    // follow here: PostgREST looks the embedded name up in the request's schema.
    foreign_keys: all.foreign_keys.filter((fk) => (fk.schema || "public") === schema && (fk.ref_schema ?? fk.schema ?? "public") === schema),
    primary_keys: mine(all.primary_keys),
    indexes: mine(all.indexes),
    functions: mine(all.functions),
    triggers: mine(all.triggers),
    check_constraints: mine(all.check_constraints),
    unique_constraints: mine(all.unique_constraints),
    comments: mine(all.comments),
    partitions: mine(all.partitions),
    default_schema: schema,
  };
}
