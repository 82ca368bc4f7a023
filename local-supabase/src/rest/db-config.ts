/**
 * PostgREST's settings that Supabase projects set in the database, honoured as PostgREST honours them:
 *
 *   alter role authenticator set pgrst.db_aggregates_enabled = 'true';
 *   notify pgrst, 'reload config';
 *
 * - `pgrst.db_aggregates_enabled`: `count()`, `sum()`, `avg()`, `min()`, `max()` in `select`; off by default,
 *   as on hosted, where a request using them gets 400 PGRST123.
 * - `pgrst.db_plan_enabled`: `Accept: application/vnd.pgrst.plan` (supabase-js's `explain()`); off by default.
 * - `pgrst.db_tx_end`: how a request's transaction ends: `commit` (default), `commit-allow-override`,
 *   `rollback` or `rollback-allow-override`; with `-allow-override`, `Prefer: tx=commit|rollback` decides.
 *
 * The settings are read with the roles' statement timeouts (role-settings.ts) and reach lite's REST engine
 * as live properties of its `api` config, which it reads on every request.
 */

/** Reads one `pgrst.*` setting (undefined when not set). */
export type DbSettings = (name: string) => string | undefined;

export type TxEnd = "commit" | "commit-allow-override" | "rollback" | "rollback-allow-override";

/** lite's `api` config as the gateway extends it (db_tx_end is the gateway's own, read by lite-hooks.ts). */
export type LiteApiConfig = Record<string, unknown> & { db_tx_end?: TxEnd };

export function bindDbSettings(api: LiteApiConfig, settings: DbSettings): void {
  const live = (name: string, read: () => unknown) => Object.defineProperty(api, name, { get: read, enumerable: true, configurable: true });
  live("aggregates_enabled", () => bool(settings("pgrst.db_aggregates_enabled")));
  live("plan_enabled", () => bool(settings("pgrst.db_plan_enabled")));
  live("db_tx_end", () => txEnd(settings("pgrst.db_tx_end")));
}

/** PostgREST's booleans: true/false, on/off, yes/no, 1/0, any case; anything else is the default (off). */
function bool(value: string | undefined): boolean {
  return value !== undefined && /^(true|on|yes|1)$/i.test(value.trim());
}

function txEnd(value: string | undefined): TxEnd {
  const v = value?.trim().toLowerCase();
  return v === "commit-allow-override" || v === "rollback" || v === "rollback-allow-override" ? v : "commit";
}

/**
 * Whether a request's transaction ends in a rollback, and whether that was the client's `Prefer: tx=…`
 * honoured (then PostgREST names it in Preference-Applied).
 */
export function transactionEnd(setting: TxEnd | undefined, prefer: string | null | undefined): { rollback: boolean; applied: "tx=commit" | "tx=rollback" | null } {
  const base = setting ?? "commit";
  const rollbackByDefault = base.startsWith("rollback");
  if (!base.endsWith("-allow-override")) return { rollback: rollbackByDefault, applied: null };
  const asked = preferTx(prefer);
  if (asked === null) return { rollback: rollbackByDefault, applied: null };
  return { rollback: asked === "rollback", applied: `tx=${asked}` };
}

function preferTx(prefer: string | null | undefined): "commit" | "rollback" | null {
  if (!prefer) return null;
  for (const token of prefer.split(",")) {
    const t = token.trim().toLowerCase();
    if (t === "tx=commit") return "commit";
    if (t === "tx=rollback") return "rollback";
  }
  return null;
}
