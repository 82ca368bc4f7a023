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
  private pgrst = new Map<string, string>();
  /** Bumped on every reload, so a cache of context statements knows to rebuild. */
  version = 0;

  constructor(private readonly sql: postgres.Sql) {}

  /** Rereads the roles' settings: at start, and on `NOTIFY pgrst, 'reload config'` (pgrst-notify.ts). */
  async reload() {
    [this.byRole, this.pgrst] = await Promise.all([readStatementTimeouts(this.sql), readPgrstSettings(this.sql)]);
    this.version++;
  }

  /**
   * PostgREST's in-database configuration, read in the same reload: `alter role authenticator set
   * pgrst.db_aggregates_enabled = 'true'` then `notify pgrst, 'reload config'` (rest/db-config.ts says which
   * settings the gateway honours). Undefined when not set.
   */
  pgrstSetting(name: string): string | undefined {
    return this.pgrst.get(name);
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

/**
 * The authenticator role's `pgrst.*` settings, as PostgREST reads its in-database configuration (the role
 * it logs in as is `authenticator` on Supabase); one for this database wins over one for all.
 */
export async function readPgrstSettings(sql: postgres.Sql | postgres.TransactionSql): Promise<Map<string, string>> {
  const rows = await sql<{ name: string; value: string }[]>`
    select substr(c.setting, 1, strpos(c.setting, '=') - 1) as name, substr(c.setting, strpos(c.setting, '=') + 1) as value
    from pg_catalog.pg_db_role_setting s
    join pg_catalog.pg_roles r on r.oid = s.setrole
    cross join lateral unnest(s.setconfig) as c(setting)
    where r.rolname = 'authenticator'
      and s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
      and c.setting like 'pgrst.%'
    order by s.setdatabase`;
  return new Map(rows.map((r) => [r.name, r.value]));
}
