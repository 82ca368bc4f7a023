-- Platform bootstrap, part 2: auth helpers exactly as GoTrue's migrations define them, run after
-- @supabase/lite has provisioned the auth schema (it owns auth.users and the token tables).
-- As GoTrue defines them today: an empty setting (what a transaction-local set_config leaves behind on
-- a pooled connection) counts as unset, and the search path is empty.
create or replace function auth.uid() returns uuid language sql stable set search_path = '' as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
create or replace function auth.role() returns text language sql stable set search_path = '' as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
create or replace function auth.email() returns text language sql stable set search_path = '' as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
create or replace function auth.jwt() returns jsonb language sql stable set search_path = '' as $$
  select coalesce(nullif(current_setting('request.jwt.claim', true), ''), nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;
-- Grants once (see 00-roles.sql): replacing a function keeps its grants, so later starts change nothing.
do $$
begin
  if not exists (select 1 from local_supabase.bootstrap where step = 'auth-privileges') then
    grant usage on schema auth to anon, authenticated, service_role;
    grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to anon, authenticated, service_role;
    insert into local_supabase.bootstrap (step) values ('auth-privileges');
  end if;
end $$;
