/**
 * `Prefer: count=estimated` as PostgREST computes it (MainTx.hs, Statements.hs): the exact count, taken
 * over at most `max_rows` + 1 rows so it stays cheap on a big table; if that many rows exist, the larger
 * of it and the planner's estimate (`count=planned`). So a table under `max_rows` gets its exact count and
 * a 200 for a full read. lite answered the planner's estimate whatever the size: 510 rows and a 206 for a
 * five-row table never analysed.
 */

/** Runs lite's query for `ast`, its SQL wrapped by `wrap`, and returns the rows. */
export type RunQuery = (ast: Record<string, unknown>, wrap: (sql: string) => string) => Promise<Array<Record<string, unknown>>>;

export async function estimatedCount(ast: Record<string, unknown> & { $maxRows?: number }, run: RunQuery): Promise<number | undefined> {
  const maxRows = ast.$maxRows;
  if (typeof maxRows !== "number" || !(maxRows > 0)) return undefined;
  const plain = { ...ast, type: "query", order: undefined, limit: undefined, offset: undefined };
  const [limited] = await run({ ...plain, limit: maxRows + 1 }, (sql) => `SELECT count(*) AS __count FROM (${sql}) AS __limited_count`);
  const exact = Number(limited?.__count ?? 0);
  if (exact <= maxRows) return exact;
  const [explained] = await run(plain, (sql) => `EXPLAIN (FORMAT JSON) ${sql}`);
  const plan = explained?.["QUERY PLAN"];
  const rows = Array.isArray(plan) ? Number((plan[0] as { Plan?: { "Plan Rows"?: unknown } } | undefined)?.Plan?.["Plan Rows"]) : Number.NaN;
  return Number.isFinite(rows) ? Math.max(exact, rows) : exact;
}
