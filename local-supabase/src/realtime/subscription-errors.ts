import type postgres from "postgres";
import type { PgChangeParams } from "./filters.ts";

/**
 * How hosted Realtime reports a postgres_changes subscription it cannot make (extensions/postgres_cdc_rls):
 * the join succeeds, then a `system` message with `extension: "postgres_changes"`, `status: "error"` and
 * one of these texts follows, and the channel gets no changes for any of its bindings (hosted creates
 * them in one transaction, which the failure rolls back). realtime-js hands it to `.on('system', …)`.
 */
const FILTER_TYPES = new Set(["eq", "neq", "lt", "lte", "gt", "gte", "in", "like", "ilike", "is", "match", "imatch", "isdistinct"]);

/** Elixir's `inspect` of a list of strings, as hosted writes parsed parts into its messages. */
function inspectList(items: string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(", ")}]`;
}

/** Hosted's parse_filters errors for a filter string, or null when hosted would accept it. */
export function filterParseError(filter: string): string | null {
  const segments = splitTopLevel(filter);
  for (const segment of segments) {
    const trimmed = segment.trim();
    if (!trimmed) return "Error parsing `filter` params: filter must not contain empty segments (check for extra commas)";
    const eq = trimmed.indexOf("=");
    if (eq < 0) return `Error parsing \`filter\` params: ${inspectList([trimmed])}`;
    let opValue = trimmed.slice(eq + 1);
    if (opValue.startsWith("not.")) opValue = opValue.slice(4);
    const dot = opValue.indexOf(".");
    if (dot < 0) return `Error parsing \`filter\` params: ${inspectList([opValue])}`;
    const [type, value] = [opValue.slice(0, dot), opValue.slice(dot + 1)];
    if (!FILTER_TYPES.has(type)) return `Error parsing \`filter\` params: ${inspectList([type, value])}`;
    if (type === "in" && !(value.length >= 2 && value.startsWith("(") && value.endsWith(")"))) {
      return "Error parsing `filter` params: `in` filter value must be wrapped by parentheses";
    }
  }
  return null;
}

/** Commas outside parentheses and quotes separate filters (`id=gt.0,id=lt.100`). */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = "";
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === "(") depth++;
    else if (!quoted && ch === ")") depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && ch === ",") {
      out.push(cur);
      cur = "";
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

function filtersToLog(filter: string | undefined): string {
  if (!filter) return "[]";
  const parts = splitTopLevel(filter).map((seg) => {
    const t = seg.trim();
    const eq = t.indexOf("=");
    let rest = t.slice(eq + 1);
    const negate = rest.startsWith("not.");
    if (negate) rest = rest.slice(4);
    const dot = rest.indexOf(".");
    return `{${JSON.stringify(t.slice(0, eq))}, ${JSON.stringify(rest.slice(0, dot))}, ${JSON.stringify(rest.slice(dot + 1))}, ${negate}}`;
  });
  return `[${parts.join(", ")}]`;
}

/**
 * Hosted subscribes only to tables of the publication (an unknown table, or one left out of
 * supabase_realtime, matches nothing there): "Unable to subscribe…" with the parameters as it logs them.
 */
export async function subscriptionError(sql: postgres.Sql, publication: string, p: PgChangeParams): Promise<string | null> {
  const table = p.table ?? "*";
  const [row] = await sql<Array<{ n: number }>>`
    select count(*)::int as n from pg_publication_tables
    where pubname = ${publication}
      and schemaname like (case ${p.schema} when '*' then '%' else ${p.schema} end) escape ''
      and tablename like (case ${table} when '*' then '%' else ${table} end) escape ''`;
  if ((row?.n ?? 0) > 0) return null;
  const event = p.event === "*" ? "*" : p.event;
  return `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: ${event}, schema: ${p.schema}, table: ${table}, filters: ${filtersToLog(p.filter)}, select: nil]`;
}
