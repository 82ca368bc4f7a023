-- A database set up the way hosted Supabase sets up a PostgreSQL 17 project before any migration of
-- ours runs, for dev/hosted-push.ts: `supabase db push` then meets what only hosted would refuse.
-- Run once, as the bootstrap superuser `supabase_admin`, on a cluster initdb made for that user.
--
-- Written for this project from what Supabase publishes, not copied: the order and roles of
-- supabase/postgres's migrations/db (init-scripts run as a still-superuser `postgres`, then
-- 10000000000000_demote-postgres and the later grant migrations), and the roles, owners, grants and
-- default privileges that `pg_dumpall --roles-only` and `pg_dump` show on PostgreSQL 17 projects.
-- Left out, because no package here ships them: supautils (which lets `postgres` create a few
-- privileged extensions), pg_graphql, pg_net, pg_cron, supabase_vault, pgjwt and the storage schema.
-- Our migrations use none of them; one that does fails here, as it would against a project without them.

-- ---- roles (attributes as on a PostgreSQL 17 project) -------------------------------------------------
-- `postgres` starts as a superuser: the platform's init scripts run as it and leave it owning what they
-- create (the extensions schema, pgcrypto, the supabase_realtime publication); it is demoted below.
create role postgres superuser login;
alter database postgres owner to postgres;
create role anon nologin inherit;
create role authenticated nologin inherit;
create role service_role nologin inherit bypassrls;
create role authenticator login noinherit;
create role supabase_auth_admin login noinherit createrole;
create role supabase_realtime_admin nologin noinherit;
create role supabase_replication_admin login replication;
create role supabase_read_only_user login bypassrls;
create role dashboard_user nologin createrole createdb replication;
grant pg_read_all_data, pg_monitor to supabase_read_only_user;
alter role supabase_read_only_user set default_transaction_read_only = on;
grant anon, authenticated, service_role to authenticator with inherit false;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = 60000;
alter role supabase_admin set search_path = "$user", public, auth, extensions;
alter role postgres set search_path = "$user", public, extensions;

-- ---- the init scripts, as the still-superuser postgres ----------------------------------------------
set role postgres;
create publication supabase_realtime;
create schema extensions;
create extension "uuid-ossp" with schema extensions;
create extension pgcrypto with schema extensions;
create extension pg_stat_statements with schema extensions;
grant usage on schema public to postgres, anon, authenticated, service_role;
grant usage on schema extensions to anon, authenticated, service_role;
grant all on schema extensions to dashboard_user;
-- Supabase's blanket defaults for what the project creates in public (our first migration takes the
-- anon and authenticated ones back).
alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;
reset role;

alter default privileges for role supabase_admin in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema extensions grant all on tables to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions grant all on functions to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions grant all on sequences to postgres with grant option;

-- PostgREST's schema-cache triggers: on hosted they fire on every DDL a migration runs.
create function extensions.pgrst_ddl_watch() returns event_trigger language plpgsql as $$
begin
  if exists (select from pg_event_trigger_ddl_commands() c where c.schema_name is distinct from 'pg_temp') then
    notify pgrst, 'reload schema';
  end if;
end $$;
create function extensions.pgrst_drop_watch() returns event_trigger language plpgsql as $$
begin
  if exists (select from pg_event_trigger_dropped_objects() o where not o.is_temporary) then
    notify pgrst, 'reload schema';
  end if;
end $$;
create event trigger pgrst_ddl_watch on ddl_command_end execute function extensions.pgrst_ddl_watch();
create event trigger pgrst_drop_watch on sql_drop execute function extensions.pgrst_drop_watch();
grant all on function extensions.pgrst_ddl_watch(), extensions.pgrst_drop_watch() to postgres with grant option;

-- ---- auth: the schema is supabase_admin's, everything in it Auth's (GoTrue runs as supabase_auth_admin)
create schema auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role, postgres;
grant all on schema auth to supabase_auth_admin, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth grant all on functions to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth grant all on sequences to postgres, dashboard_user;

set role supabase_auth_admin;
-- auth.users and auth.identities as GoTrue's migrations leave them today (the columns, generated
-- columns and keys that our triggers, foreign keys and seed meet).
create table auth.users (
  instance_id uuid,
  id uuid not null primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0 check (email_change_confirm_status between 0 and 2),
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
create unique index users_email_partial_key on auth.users (email) where is_sso_user = false;
create index users_instance_id_idx on auth.users (instance_id);

create table auth.identities (
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid not null default gen_random_uuid() primary key,
  unique (provider_id, provider)
);
create index identities_user_id_idx on auth.identities (user_id);

create function auth.uid() returns uuid language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$$;
create function auth.role() returns text language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text
$$;
create function auth.email() returns text language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.email', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'))::text
$$;
create function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;
reset role;

-- What postgres may do with Auth's tables since the platform narrowed it: read (and pass reading on),
-- reference, trigger and write, but not own or alter them.
grant insert, references, delete, trigger, truncate, maintain, update on auth.users, auth.identities to postgres;
grant select on auth.users, auth.identities to postgres with grant option;
grant all on auth.users, auth.identities to dashboard_user;
grant all on function auth.uid(), auth.role(), auth.email(), auth.jwt() to dashboard_user;
grant all on function auth.jwt() to postgres;

-- ---- realtime: the schema is supabase_admin's; Realtime Authorization's table and topic() its admin's --
create schema realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;
grant all on schema realtime to supabase_realtime_admin;
alter default privileges for role supabase_admin in schema realtime grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime grant all on functions to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime grant all on sequences to postgres, dashboard_user;

set role supabase_realtime_admin;
create table realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id uuid not null default gen_random_uuid(),
  primary key (id, inserted_at)
) partition by range (inserted_at);
alter table realtime.messages enable row level security;
create function realtime.topic() returns text language sql stable as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;
reset role;

-- Broadcast from the database (Realtime's own migrations create these as supabase_admin).
create function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void language plpgsql security definer set search_path = '' as $$
begin
  insert into realtime.messages (payload, event, topic, private, extension) values (payload, event, topic, private, 'broadcast');
exception when others then
  raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
end $$;
create function realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW') returns void language plpgsql security definer set search_path = '' as $$
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  perform realtime.send(jsonb_build_object('old_record', old, 'record', new, 'operation', operation, 'table', table_name,
    'schema', table_schema), event_name, topic_name);
end $$;

grant all on function realtime.send(jsonb, text, text, boolean),
  realtime.broadcast_changes(text, text, text, text, text, record, record, text) to postgres, dashboard_user;

grant all on realtime.messages to postgres, dashboard_user;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;
grant all on function realtime.topic() to postgres, dashboard_user;

-- ---- postgres demoted: no superuser, owner of the database and of what it creates ----------------------
alter role postgres nosuperuser createdb createrole login replication bypassrls;
grant anon, authenticated, service_role, authenticator to postgres with admin option, inherit true;
grant pg_read_all_data, pg_signal_backend, pg_monitor, pg_create_subscription to postgres with admin option, inherit true;
-- The one platform role postgres belongs to: so a project can write policies on realtime.messages.
grant supabase_realtime_admin to postgres with inherit true;
