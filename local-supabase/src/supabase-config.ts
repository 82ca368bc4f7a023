import fs from "node:fs";
import path from "node:path";
import { parse } from "smol-toml";

/** supabase/config.toml as a table (empty when there is none), as the Supabase CLI reads it. */
export function readConfigToml(root: string): Record<string, unknown> {
  const file = path.join(root, "supabase", "config.toml");
  return fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
}

/** Supabase CLI's default for `[api] max_rows`. */
const DEFAULT_MAX_ROWS = 1000;

/**
 * `[api]` from supabase/config.toml, the settings hosted Supabase takes from the dashboard and
 * `supabase start` from this file. Only what the gateway acts on: `max_rows`, PostgREST's db-max-rows,
 * the most rows any read returns (Supabase's 1000-row cap, which an app meets first in production
 * when nothing applies it locally). Both REST engines get the same value.
 */
export function readApiConfig(root: string): { maxRows: number } {
  const api = readConfigToml(root).api as { max_rows?: unknown } | undefined;
  const maxRows = api?.max_rows;
  if (maxRows === undefined) return { maxRows: DEFAULT_MAX_ROWS };
  if (typeof maxRows !== "number" || !Number.isInteger(maxRows) || maxRows < 0) {
    throw new Error(`supabase/config.toml: [api] max_rows must be a whole number of rows, not ${JSON.stringify(maxRows)}`);
  }
  return { maxRows };
}
