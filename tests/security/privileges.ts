import type postgres from "postgres";

/**
 * Every privilege the API roles (anon, authenticated, service_role) and PUBLIC hold on the project's
 * objects: schemas, tables and views, columns, sequences, functions, and the default privileges that
 * decide what later objects get. One sorted line each, so two snapshots compare as text and a change
 * shows up in a diff of tests/security/privileges.expected.txt.
 */
export async function privilegeSnapshot(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ line: string }[]>`
    with roles as (
      select oid, rolname from pg_roles where rolname in ('anon', 'authenticated', 'service_role')
      union all select 0::oid, 'PUBLIC'
    ), schemas as (
      select oid, nspname from pg_namespace where nspname in ('public', 'private', 'realtime', 'extensions', 'local_supabase')
    )
    select format('schema %s %s %s', s.nspname, r.rolname, string_agg(a.privilege_type, ',' order by a.privilege_type)) as line
      from schemas s join pg_namespace s2 on s2.oid = s.oid
      cross join lateral aclexplode(s2.nspacl) a
      join roles r on r.oid = a.grantee
     group by s.nspname, r.rolname
    union all
    select format('%s %s.%s %s %s', case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'view' else 'table' end,
                  s.nspname, c.relname, r.rolname, string_agg(a.privilege_type, ',' order by a.privilege_type))
      from pg_class c join schemas s on s.oid = c.relnamespace
      cross join lateral aclexplode(c.relacl) a
      join roles r on r.oid = a.grantee
     where c.relkind in ('r', 'p', 'v', 'm', 'S')
     group by c.relkind, s.nspname, c.relname, r.rolname
    union all
    select format('column %s.%s.%s %s %s', s.nspname, c.relname, att.attname, r.rolname, string_agg(a.privilege_type, ',' order by a.privilege_type))
      from pg_attribute att join pg_class c on c.oid = att.attrelid join schemas s on s.oid = c.relnamespace
      cross join lateral aclexplode(att.attacl) a
      join roles r on r.oid = a.grantee
     where att.attacl is not null and not att.attisdropped
     group by s.nspname, c.relname, att.attname, r.rolname
    union all
    select format('function %s.%s(%s) %s %s', s.nspname, p.proname, pg_get_function_identity_arguments(p.oid), r.rolname,
                  string_agg(a.privilege_type, ',' order by a.privilege_type))
      from pg_proc p join schemas s on s.oid = p.pronamespace
      cross join lateral aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
      join roles r on r.oid = a.grantee
     group by s.nspname, p.proname, p.oid, r.rolname
    union all
    select format('default %s %s %s %s', coalesce(s.nspname, '*'), case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences' when 'f' then 'functions' when 'T' then 'types' else d.defaclobjtype::text end,
                  r.rolname, string_agg(a.privilege_type, ',' order by a.privilege_type))
      from pg_default_acl d left join pg_namespace s on s.oid = d.defaclnamespace
      cross join lateral aclexplode(d.defaclacl) a
      join roles r on r.oid = a.grantee
     where pg_get_userbyid(d.defaclrole) = 'postgres'
     group by s.nspname, d.defaclobjtype, r.rolname
    order by 1`;
  return rows.map((r) => r.line);
}
