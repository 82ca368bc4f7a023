-- Tenancy: organizations, memberships with the four roles and what each role may do (capabilities),
-- profiles, invitations, the audit log, and the security-definer helpers every policy calls.
--
-- Privileges are explicit. Supabase's default privileges grant everything on every new table and
-- function in `public` to anon and authenticated, so that a forgotten revoke leaves a table to RLS
-- alone and a forgotten function callable by anyone holding the anon key. This project takes those
-- defaults back for the role that runs migrations (as Supabase's docs describe for locking a project
-- down), and every table and function below says who may use it. The service role keeps Supabase's
-- defaults: it is the trusted backend (ingest, the worker) and bypasses RLS anyway.
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke execute on functions from anon, authenticated;
-- Postgres itself lets PUBLIC execute every new function; that default is global (a per-schema revoke
-- cannot take it back), so it is revoked globally for the role that runs migrations.
alter default privileges revoke execute on functions from public;

create schema if not exists private;
grant usage on schema private to authenticated, service_role;

-- ---- shared helpers ---------------------------------------------------------------------------------

-- PostgREST's convention for an error with a chosen HTTP status and a stable code (honoured by hosted
-- PostgREST and by the embedded gateway). One home for the 20-odd places that refuse with a sentence.
-- A refusal for lack of rights keeps Postgres's own code (42501), which PostgREST answers with 403 (401
-- for anon) like any permission error.
create or replace function private.raise_http(p_status integer, p_code text, p_message text) returns void
language plpgsql immutable set search_path = '' as $$
begin
  if p_status = 403 and p_code = 'forbidden' then
    raise exception using message = p_message, errcode = '42501';
  end if;
  raise sqlstate 'PGRST' using
    message = json_build_object('code', p_code, 'message', p_message)::text,
    detail = json_build_object('status', p_status, 'headers', json_build_object())::text;
end $$;

-- Who is not an end user: the service role (REST with the service key), or a direct connection that
-- carries no end user's claims (the worker, migrations, the seed). Reads the request's claims, not
-- current_user: inside a security-definer function current_user is always the owner.
create or replace function private.is_privileged() returns boolean
language sql stable set search_path = '' as $$
  select case coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role',
                       nullif(current_setting('request.jwt.claim.role', true), ''), '')
    when 'service_role' then true
    when '' then current_user in ('postgres', 'supabase_admin', 'service_role')
    else false
  end
$$;

-- What guard triggers let through: privileged callers, and statements run by a security-definer
-- function of ours (current_user is then the owner), which checked the caller itself. Not security
-- definer, so that it sees the caller's current_user.
create or replace function private.is_trusted() returns boolean
language sql stable set search_path = '' as $$
  select private.is_privileged() or current_user in ('postgres', 'supabase_admin')
$$;

-- Only the service role or the database owner may go on. Used by functions no user may call: grants
-- alone are not the only guard (a grant can be widened by mistake; this cannot).
create or replace function private.require_privileged() returns void
language plpgsql stable set search_path = '' as $$
begin
  if not private.is_privileged() then
    perform private.raise_http(403, 'forbidden', 'Only the service role may do this');
  end if;
end $$;

-- @supabase/lite passes a jsonb RPC argument as a JSON *string* holding the JSON (PostgREST passes the
-- value itself); RPCs taking jsonb unwrap with this, which is a no-op on hosted Supabase.
create or replace function private.jsonb_arg(p jsonb) returns jsonb
language sql immutable set search_path = '' as $$
  select case when jsonb_typeof(p) = 'string' then (p #>> '{}')::jsonb else p end
$$;

create or replace function private.touch_updated_at() returns trigger language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end $$;

-- Attribution: the column named by the trigger's argument (created_by, author_id, invited_by, …) is the
-- caller: set from auth.uid() on insert when the request leaves it out, refused when the request names
-- someone else, and never changed later by an end user. Privileged callers (the service role acting for
-- a user, the seed) set it themselves.
create or replace function private.stamp_actor() returns trigger
language plpgsql set search_path = '' as $$
declare
  col text := tg_argv[0];
  given text;
begin
  if private.is_privileged() then
    return new;
  end if;
  if tg_op = 'INSERT' then
    given := to_jsonb(new) ->> col;
    if given is not null and given is distinct from (select auth.uid())::text then
      perform private.raise_http(403, 'forbidden', format('%s records who did this; it must be you', col));
    end if;
    new := jsonb_populate_record(new, jsonb_build_object(col, (select auth.uid())));
  elsif (to_jsonb(new) -> col) is distinct from (to_jsonb(old) -> col) then
    perform private.raise_http(403, 'forbidden', format('%s records who did this; it cannot be changed', col));
  end if;
  return new;
end $$;

-- ---- roles and what they may do -----------------------------------------------------------------

create type public.member_role as enum ('admin', 'curator', 'reviewer', 'manager');

-- The capability table (shared/src/domain/capabilities.ts holds the same rows; a test asserts they are
-- equal). Policies and functions ask "may the caller do X in this organization", never list roles.
create table private.role_capabilities (
  role public.member_role not null,
  capability text not null check (capability ~ '^[a-z_]+:[a-z_]+$'),
  primary key (role, capability)
);
insert into private.role_capabilities (role, capability)
select r.role::public.member_role, c.capability
from (values
  ('org:read', '{admin,curator,reviewer,manager}'),
  ('org:manage', '{admin}'),
  ('member:manage', '{admin}'),
  ('feedback:write', '{admin,curator,reviewer}'),
  ('feedback:delete', '{admin}'),
  ('case:open', '{admin,curator,reviewer}'),
  ('case:edit', '{admin,curator}'),
  ('case:decide', '{admin,curator}'),
  ('case:delete', '{admin}'),
  ('comment:write', '{admin,curator,reviewer}'),
  ('comment:moderate', '{admin}'),
  ('training:manage', '{admin,curator}'),
  ('prompt:edit', '{admin,curator}'),
  ('prompt:delete', '{admin}'),
  ('prompt:promote', '{admin}'),
  ('prompt:rollback', '{admin}'),
  ('job:start', '{admin}'),
  ('job:cancel', '{admin}'),
  ('model:manage', '{admin}'),
  ('usage:read', '{admin,manager}'),
  ('audit:read', '{admin,manager}'),
  ('ingest_key:manage', '{admin}'),
  ('alert:manage', '{admin}'),
  ('llm:use', '{admin,curator,reviewer}'),
  ('presence:publish', '{admin,curator,reviewer}')
) as c(capability, roles)
cross join lateral unnest(c.roles::text[]) as r(role);

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 120),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now()
);

-- A surrogate key, so that a deleted membership published to Realtime (which sends only the primary
-- key of a deleted row under RLS) says nothing about who belonged to which organization.
create table public.memberships (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.member_role not null,
  created_at timestamptz not null default now(),
  unique (org_id, user_id)
);
create index memberships_user_idx on public.memberships (user_id);

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null default '' check (char_length(display_name) <= 80),
  avatar_color text not null default '#6366f1' check (avatar_color ~ '^#[0-9a-fA-F]{6}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Addresses are stored in lower case: GoTrue keeps emails lower-cased, and an invitation must match
-- one address, not every spelling of it.
create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  email text not null check (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$' and email = lower(email)),
  role public.member_role not null,
  invited_by uuid references auth.users (id) on delete set null,
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (org_id, email)
);

create table public.audit_logs (
  id bigint generated always as identity primary key,
  org_id uuid references public.organizations (id) on delete cascade,
  actor_id uuid references auth.users (id) on delete set null,
  action text not null,
  entity_type text not null,
  entity_id text,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index audit_logs_org_idx on public.audit_logs (org_id, id desc);

-- ---- helpers the policies call (security definer: they read memberships as its owner, so policies on
-- memberships itself do not recurse) --------------------------------------------------------------------

create or replace function private.is_member(p_org uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.memberships m where m.org_id = p_org and m.user_id = (select auth.uid()))
$$;

-- Whether a role carries a capability (the table is private; this reads it as its owner).
create or replace function private.role_can(p_role public.member_role, p_capability text) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from private.role_capabilities rc where rc.role = p_role and rc.capability = p_capability)
$$;

-- Whether the caller may do `p_capability` in organization `p_org`.
create or replace function private.can(p_org uuid, p_capability text) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.memberships m
    join private.role_capabilities rc on rc.role = m.role and rc.capability = p_capability
    where m.org_id = p_org and m.user_id = (select auth.uid())
  )
$$;

create or replace function private.role_in(p_org uuid) returns public.member_role
language sql stable security definer set search_path = '' as $$
  select m.role from public.memberships m where m.org_id = p_org and m.user_id = (select auth.uid())
$$;

-- The caller's organizations. Policies compare `org_id in (select private.my_org_ids())`: Postgres runs
-- the subquery once per statement and probes a hash, instead of calling a function for every row it
-- scans (Supabase's advice for RLS speed).
create or replace function private.my_org_ids() returns setof uuid
language sql stable security definer set search_path = '' as $$
  select m.org_id from public.memberships m where m.user_id = (select auth.uid())
$$;

-- The caller's organizations where they may do `p_capability`, for policies (same shape as above).
create or replace function private.orgs_where(p_capability text) returns setof uuid
language sql stable security definer set search_path = '' as $$
  select m.org_id from public.memberships m
  join private.role_capabilities rc on rc.role = m.role and rc.capability = p_capability
  where m.user_id = (select auth.uid())
$$;

-- Refuses unless the caller may do `p_capability` in `p_org`. A caller outside the organization gets
-- the same answer as for something that does not exist (404), so ids of other tenants reveal nothing.
-- Not security definer: is_privileged() must see the request, and role_in() is definer already.
create or replace function private.require_capability(p_org uuid, p_capability text, p_what text default 'It') returns void
language plpgsql stable set search_path = '' as $$
declare
  r public.member_role;
begin
  if private.is_privileged() and (select auth.uid()) is null then
    return;
  end if;
  r := private.role_in(p_org);
  if r is null then
    perform private.raise_http(404, 'not_found', format('%s was not found', p_what));
  end if;
  if not private.role_can(r, p_capability) then
    perform private.raise_http(403, 'forbidden', format('This needs the %s permission, which the %s role does not have here', p_capability, r));
  end if;
end $$;

create or replace function private.shares_org_with(p_user uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.memberships a join public.memberships b on a.org_id = b.org_id
    where a.user_id = (select auth.uid()) and b.user_id = p_user
  )
$$;

-- The audit trail. The actor is the caller; only a privileged caller acting for someone (the worker
-- finishing a job an admin started) names them.
create or replace function private.audit(p_org uuid, p_action text, p_entity_type text, p_entity_id text, p_details jsonb, p_actor uuid default null)
returns void language sql security definer set search_path = '' as $$
  insert into public.audit_logs (org_id, actor_id, action, entity_type, entity_id, details)
  values (p_org, coalesce((select auth.uid()), p_actor), p_action, p_entity_type, p_entity_id, coalesce(p_details, '{}'::jsonb))
$$;

grant execute on function private.raise_http(integer, text, text), private.is_privileged(), private.is_trusted(), private.require_privileged(),
  private.jsonb_arg(jsonb), private.is_member(uuid), private.role_can(public.member_role, text), private.can(uuid, text), private.role_in(uuid), private.my_org_ids(),
  private.orgs_where(text), private.require_capability(uuid, text, text), private.shares_org_with(uuid)
  to authenticated, service_role;

-- ---- grants -------------------------------------------------------------------------------------------
grant select, insert, delete on public.organizations to authenticated;
grant update (name) on public.organizations to authenticated;
grant select, delete on public.memberships to authenticated;
grant update (role) on public.memberships to authenticated;
grant select on public.profiles to authenticated;
grant update (display_name, avatar_color) on public.profiles to authenticated;
grant select, delete on public.invitations to authenticated;
grant insert (id, org_id, email, role, invited_by) on public.invitations to authenticated;
grant update (role) on public.invitations to authenticated;
grant select on public.audit_logs to authenticated;
revoke all on public.audit_logs from service_role;
grant select, insert on public.audit_logs to service_role;

-- ---- triggers ---------------------------------------------------------------------------------------
create trigger organizations_created_by before insert or update on public.organizations
  for each row execute function private.stamp_actor('created_by');
create trigger invitations_invited_by before insert or update on public.invitations
  for each row execute function private.stamp_actor('invited_by');
create trigger profiles_touch before update on public.profiles for each row execute function private.touch_updated_at();

-- An invitation is for one lower-case address.
create or replace function private.normalize_invitation() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.email := lower(btrim(new.email));
  return new;
end $$;
create trigger invitations_normalize before insert or update of email on public.invitations
  for each row execute function private.normalize_invitation();

-- The creator of an organization becomes its first admin.
create or replace function private.on_org_created() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.created_by is not null then
    insert into public.memberships (org_id, user_id, role) values (new.id, new.created_by, 'admin')
    on conflict do nothing;
  end if;
  return new;
end $$;
create trigger organizations_add_creator after insert on public.organizations
  for each row execute function private.on_org_created();

-- Pending invitations for a user's address become memberships. Only ever called for an address its
-- owner has proven (a confirmed email): signing up with someone else's address, in any letter case,
-- gets nobody in.
create or replace function private.accept_invitations_for(p_user uuid, p_email text, p_only uuid default null) returns integer
language plpgsql security definer set search_path = '' as $$
declare
  n integer;
begin
  with pending as (
    update public.invitations i set accepted_at = now(), accepted_by = p_user
    where i.email = lower(p_email) and i.accepted_at is null and (p_only is null or i.id = p_only)
    returning i.org_id, i.role
  ), added as (
    insert into public.memberships (org_id, user_id, role)
    select org_id, p_user, role from pending
    on conflict (org_id, user_id) do nothing
    returning 1
  )
  select count(*) into n from added;
  return n;
end $$;

-- Every new auth user gets a profile. Invitations wait for the address to be confirmed: on insert when
-- it arrives confirmed (an admin-created user, the seed), else when GoTrue confirms it.
create or replace function private.on_auth_user_created() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  palette text[] := array['#ef4444','#f97316','#eab308','#22c55e','#14b8a6','#3b82f6','#6366f1','#a855f7','#ec4899'];
begin
  insert into public.profiles (id, display_name, avatar_color)
  values (
    new.id,
    coalesce(nullif(private.jsonb_arg(new.raw_user_meta_data) ->> 'display_name', ''), split_part(coalesce(new.email, ''), '@', 1)),
    palette[1 + abs(hashtext(new.id::text)) % array_length(palette, 1)]
  )
  on conflict (id) do nothing;
  if new.email_confirmed_at is not null and new.email is not null then
    perform private.accept_invitations_for(new.id, new.email);
  end if;
  return new;
end $$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.on_auth_user_created();

-- Only when the address goes from unconfirmed to confirmed (a signup link, an admin confirming it). A
-- later change of email is not proof: the embedded Auth confirms an email change from the old mailbox.
create or replace function private.on_auth_user_confirmed() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.email is not null and new.email_confirmed_at is not null and old.email_confirmed_at is null then
    perform private.accept_invitations_for(new.id, new.email);
  end if;
  return new;
end $$;
create trigger on_auth_user_confirmed after update of email_confirmed_at on auth.users
  for each row execute function private.on_auth_user_confirmed();

-- An organization always keeps at least one admin.
create or replace function private.keep_one_admin() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  org uuid := coalesce(old.org_id, new.org_id);
begin
  if old.role = 'admin' and (tg_op = 'DELETE' or new.role <> 'admin') then
    if not exists (select 1 from public.memberships where org_id = org and role = 'admin' and user_id <> old.user_id)
       and exists (select 1 from public.organizations where id = org) then
      perform private.raise_http(409, 'last_admin', 'An organization needs at least one admin; make another member admin first.');
    end if;
  end if;
  return coalesce(new, old);
end $$;
create trigger memberships_keep_one_admin before update or delete on public.memberships
  for each row execute function private.keep_one_admin();

create or replace function private.audit_membership() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.org_id, 'member.added', 'membership', new.user_id::text, jsonb_build_object('role', new.role));
  elsif tg_op = 'UPDATE' and new.role <> old.role then
    perform private.audit(new.org_id, 'member.role_changed', 'membership', new.user_id::text, jsonb_build_object('from', old.role, 'to', new.role));
  elsif tg_op = 'DELETE' and exists (select 1 from public.organizations where id = old.org_id) then
    perform private.audit(old.org_id, 'member.removed', 'membership', old.user_id::text, jsonb_build_object('role', old.role));
  end if;
  return coalesce(new, old);
end $$;
create trigger memberships_audit after insert or update or delete on public.memberships
  for each row execute function private.audit_membership();

-- Append-only for everyone, the service role and the table owner included. The one exception is
-- the cascade when a whole organization is deleted (its row is already gone by then); without it
-- no organization could ever be deleted, since adding its first member writes an audit row.
create or replace function private.audit_logs_append_only() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'DELETE' and old.org_id is not null
     and not exists (select 1 from public.organizations o where o.id = old.org_id) then
    return old;
  end if;
  raise exception 'audit_logs is append-only: % is not allowed', lower(tg_op) using errcode = '42501';
end $$;
create trigger audit_logs_no_update before update or delete on public.audit_logs
  for each row execute function private.audit_logs_append_only();
create trigger audit_logs_no_truncate before truncate on public.audit_logs
  for each statement execute function private.audit_logs_append_only();

-- ---- row-level security -------------------------------------------------------------------------------
alter table public.organizations enable row level security;
alter table public.memberships enable row level security;
alter table public.profiles enable row level security;
alter table public.invitations enable row level security;
alter table public.audit_logs enable row level security;
alter table private.role_capabilities enable row level security;

-- The creator clause lets `insert ... returning` see the row before the membership trigger has run.
create policy "Members and creators can read their organizations" on public.organizations
  for select to authenticated using (private.is_member(id) or created_by = (select auth.uid()));
create policy "Signed-in users can create an organization" on public.organizations
  for insert to authenticated with check (created_by = (select auth.uid()));
create policy "Admins can rename their organization" on public.organizations
  for update to authenticated using (private.can(id, 'org:manage')) with check (private.can(id, 'org:manage'));
create policy "Admins can delete their organization" on public.organizations
  for delete to authenticated using (private.can(id, 'org:manage'));

-- Nobody adds members directly: a membership comes from creating the organization or from an
-- invitation its addressee accepted (public.accept_invitation).
create policy "Members can see who else is in their organization" on public.memberships
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Admins can change roles" on public.memberships
  for update to authenticated using (org_id in (select private.orgs_where('member:manage')))
  with check (org_id in (select private.orgs_where('member:manage')));
create policy "Admins can remove members and members can leave" on public.memberships
  for delete to authenticated using (org_id in (select private.orgs_where('member:manage')) or user_id = (select auth.uid()));

create policy "Users can read their own and their teammates' profiles" on public.profiles
  for select to authenticated using (id = (select auth.uid()) or private.shares_org_with(id));
create policy "Users can edit their own profile" on public.profiles
  for update to authenticated using (id = (select auth.uid())) with check (id = (select auth.uid()));

create policy "Admins can read invitations" on public.invitations
  for select to authenticated using (org_id in (select private.orgs_where('member:manage')));
create policy "Admins can invite" on public.invitations
  for insert to authenticated with check (org_id in (select private.orgs_where('member:manage')));
create policy "Admins can change a pending invitation's role" on public.invitations
  for update to authenticated using (org_id in (select private.orgs_where('member:manage')) and accepted_at is null)
  with check (org_id in (select private.orgs_where('member:manage')));
create policy "Admins can withdraw invitations" on public.invitations
  for delete to authenticated using (org_id in (select private.orgs_where('member:manage')));

create policy "Admins and managers can read the audit log" on public.audit_logs
  for select to authenticated using (org_id in (select private.orgs_where('audit:read')));

-- ---- functions the app calls --------------------------------------------------------------------------

-- The caller's organizations with their role: the org switcher's one round trip.
create or replace function public.my_organizations()
returns table (org_id uuid, name text, slug text, role public.member_role)
language sql stable security invoker set search_path = '' as $$
  select o.id, o.name, o.slug, m.role
  from public.memberships m join public.organizations o on o.id = m.org_id
  where m.user_id = (select auth.uid())
  order by o.name
$$;

-- Invitations waiting for the caller, by the address they confirmed (never by a claim in the token).
create or replace function public.my_invitations()
returns table (id uuid, org_id uuid, org_name text, role public.member_role, invited_by_name text, created_at timestamptz)
language sql stable security definer set search_path = '' as $$
  select i.id, i.org_id, o.name, i.role, p.display_name, i.created_at
  from auth.users u
  join public.invitations i on i.email = lower(u.email) and i.accepted_at is null
  join public.organizations o on o.id = i.org_id
  left join public.profiles p on p.id = i.invited_by
  where u.id = (select auth.uid()) and u.email_confirmed_at is not null
  order by i.created_at
$$;

-- Accepts one invitation for the caller's confirmed address. Any other id, another person's invitation
-- included, is "not found".
create or replace function public.accept_invitation(p_invitation_id uuid)
returns public.memberships
language plpgsql volatile security definer set search_path = '' as $$
declare
  u record;
  m public.memberships;
begin
  select id, email, email_confirmed_at into u from auth.users where id = (select auth.uid());
  if u.id is null or u.email_confirmed_at is null or not exists (
    select 1 from public.invitations i where i.id = p_invitation_id and i.email = lower(u.email) and i.accepted_at is null
  ) then
    perform private.raise_http(404, 'not_found', 'The invitation was not found');
  end if;
  perform private.accept_invitations_for(u.id, u.email, p_invitation_id);
  select * into m from public.memberships where user_id = u.id
    and org_id = (select org_id from public.invitations where id = p_invitation_id);
  return m;
end $$;

grant execute on function public.my_organizations(), public.my_invitations(), public.accept_invitation(uuid) to authenticated;
