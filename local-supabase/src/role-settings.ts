import type postgres from "postgres";

/**
 * The statement timeouts REST requests run under, as PostgREST applies them on Supabase.
 *
 * PostgREST reads the settings of the roles it impersonates (`alter role anon set statement_timeout
 * = '3s'`) and sets them in each request's transaction; `NOTIFY pgrst, 'reload config'` rereads them.
 * Supabase ships anon 3s, authenticated 8s, and none on service_role, whose requests keep the 8s the
 * authenticator role logs in with (bootstrap/00-roles.sql sets the same). Without this, a query that
 * Supabase cancels after 8 s would run to completion here, and the first sign of it would come after
 * `db push`. Both REST engines take the value from here through request-context.ts.
 */
export class StatementTimeouts {
  private byRole = new Map<string, string>();
  /** Bumped on every reload, so a cache of context statements knows to rebuild. */
  version = 0;

  constructor(private readonly sql: postgres.Sql) {}

  /** Rereads the roles' settings: at start, and on `NOTIFY pgrst, 'reload config'` (pgrst-notify.ts). */
  async reload() {
    this.byRole = await readStatementTimeouts(this.sql);
    this.version++;
  }

  /** The timeout a request as `role` runs under, or null for none. */
  for(role: string): string | null {
    return this.byRole.get(role) ?? this.byRole.get("authenticator") ?? null;
  }
}

/** Each API role's own `statement_timeout` setting; one for this database wins over one for all. */
export async function readStatementTimeouts(sql: postgres.Sql | postgres.TransactionSql): Promise<Map<string, string>> {
  const rows = await sql<{ role: string; value: string }[]>`
    select r.rolname as role, substr(c.setting, length('statement_timeout=') + 1) as value
    from pg_catalog.pg_db_role_setting s
    join pg_catalog.pg_roles r on r.oid = s.setrole
    cross join lateral unnest(s.setconfig) as c(setting)
    where r.rolname in ('anon', 'authenticated', 'service_role', 'authenticator')
      and s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
      and c.setting like 'statement\\_timeout=%'
    order by s.setdatabase`;
  return new Map(rows.map((r) => [r.role, r.value]));
}
