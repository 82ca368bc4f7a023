/**
 * `Accept: application/vnd.pgrst.plan` (supabase-js's `explain()`), when `pgrst.db_plan_enabled` is on: the
 * planner's EXPLAIN of the query the request runs, as PostgREST answers it. lite answered the SQL text it
 * compiled, not a plan. PostgREST explains its main statement, which aggregates the rows into the JSON
 * body, so the top node is that Aggregate; the query here is wrapped the same way.
 */

type Compiled = { sql: string; parameters: readonly unknown[] };
type Executor = { executeQuery(q: { sql: string; parameters: readonly unknown[]; query: { kind: "RawNode" } }): Promise<{ rows: Array<Record<string, unknown>> }> };

const PLAN = /application\/vnd\.pgrst\.plan(?:\+(json|text))?/i;
const OPTIONS = new Set(["analyze", "verbose", "settings", "buffers", "wal"]);

export async function explain(accept: string, compiled: Compiled, db: Executor): Promise<Response> {
  const m = PLAN.exec(accept);
  const format = m?.[1]?.toLowerCase() === "json" ? "json" : "text";
  const requested = /;\s*options=([^;,]+)/i.exec(accept)?.[1]?.trim() ?? "";
  const options = requested.split("|").map((o) => o.trim().toLowerCase()).filter((o) => OPTIONS.has(o));
  const forType = /;\s*for="?([^";]+)"?/i.exec(accept)?.[1] ?? "application/json";
  const body = `SELECT coalesce(json_agg(_postgrest_t), '[]')::text AS body FROM (${compiled.sql}) _postgrest_t`;
  const statement = `EXPLAIN (${[`FORMAT ${format.toUpperCase()}`, ...options.map((o) => o.toUpperCase())].join(", ")}) ${body}`;
  const { rows } = await db.executeQuery({ sql: statement, parameters: compiled.parameters, query: { kind: "RawNode" } });
  const plan = rows.map((r) => r["QUERY PLAN"]);
  const text = format === "json" ? JSON.stringify(typeof plan[0] === "string" ? JSON.parse(plan[0]) : plan[0]) : plan.join("\n");
  const type = `application/vnd.pgrst.plan+${format}; for="${forType}"${options.length ? `; options=${options.join("|")}` : ""}; charset=utf-8`;
  return new Response(text, { status: 200, headers: { "Content-Type": type } });
}
