-- Platform bootstrap, part 1: the roles and schemas hosted Supabase provides before any
-- project migration runs. Idempotent: safe on every start. Never put this in supabase/migrations.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator noinherit login;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_admin') then
    create role supabase_admin superuser createdb createrole replication bypassrls login;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin noinherit nologin;
  end if;
end $$;

alter role service_role bypassrls;
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to current_user;

create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

-- Supabase puts `extensions` on every role's search_path so gen_random_bytes() etc. resolve.
alter role anon set search_path = public, extensions;
alter role authenticated set search_path = public, extensions;
alter role service_role set search_path = public, extensions;

-- Supabase's statement timeouts for the API roles: anon 3s, authenticated 8s, and the authenticator's
-- 8s for service_role, which has none of its own. The gateway applies them to each REST request as
-- PostgREST does (role-settings.ts). Set only where none is, so a project's own stands.
do $$
declare
  d record;
begin
  for d in select * from (values ('anon', '3s'), ('authenticated', '8s'), ('authenticator', '8s')) as v(role, timeout) loop
    if not exists (
      select 1 from pg_db_role_setting s join pg_roles r on r.oid = s.setrole, unnest(s.setconfig) c
      where r.rolname = d.role and c like 'statement\_timeout=%'
    ) then
      execute format('alter role %I set statement_timeout = %L', d.role, d.timeout);
    end if;
  end loop;
end $$;

-- What hosted Supabase grants when a project is created, and only then. Re-running these on every
-- start would undo a migration's revokes (a restart once handed every service-only function to anon).
-- The marker table records that this database got them; hosted has the same grants from its own setup.
create schema if not exists local_supabase;
revoke all on schema local_supabase from public;
create table if not exists local_supabase.bootstrap (step text primary key, applied_at timestamptz not null default now());

do $$
begin
  if not exists (select 1 from local_supabase.bootstrap where step = 'initial-privileges') then
    grant usage on schema public to anon, authenticated, service_role;
    grant usage on schema extensions to anon, authenticated, service_role;
    -- Supabase's defaults for objects the project (the `postgres` role) creates later in `public`.
    alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
    alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
    alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
    insert into local_supabase.bootstrap (step) values ('initial-privileges');
  end if;
end $$;

do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end $$;
