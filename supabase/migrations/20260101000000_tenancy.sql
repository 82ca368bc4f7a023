-- Tenancy: organizations, memberships with the four roles, profiles, invitations,
-- and the security-definer helpers every policy calls.

create schema if not exists private;
grant usage on schema private to anon, authenticated, service_role;

create type public.member_role as enum ('admin', 'curator', 'reviewer', 'manager');

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 120),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now()
);

create table public.memberships (
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.member_role not null,
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
create index memberships_user_idx on public.memberships (user_id);

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null default '' check (char_length(display_name) <= 80),
  avatar_color text not null default '#6366f1' check (avatar_color ~ '^#[0-9a-fA-F]{6}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  email text not null check (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  role public.member_role not null,
  invited_by uuid references auth.users (id) on delete set null,
  accepted_at timestamptz,
  created_at timestamptz not null default now(),
  unique (org_id, email)
);

-- Role checks read memberships as the table owner, so policies on memberships itself do not recurse.
create or replace function private.is_member(p_org uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.memberships m where m.org_id = p_org and m.user_id = (select auth.uid()))
$$;

create or replace function private.has_role(p_org uuid, p_roles public.member_role[]) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.memberships m
    where m.org_id = p_org and m.user_id = (select auth.uid()) and m.role = any (p_roles)
  )
$$;

create or replace function private.role_in(p_org uuid) returns public.member_role
language sql stable security definer set search_path = '' as $$
  select m.role from public.memberships m where m.org_id = p_org and m.user_id = (select auth.uid())
$$;

-- The caller's organizations (optionally only those where they hold one of the roles). Policies compare
-- `org_id in (select private.my_org_ids(...))`: Postgres runs the subquery once per statement and
-- probes a hash, instead of calling a function for every row it scans (Supabase's advice for RLS speed).
create or replace function private.my_org_ids(p_roles public.member_role[] default null) returns setof uuid
language sql stable security definer set search_path = '' as $$
  select m.org_id from public.memberships m
  where m.user_id = (select auth.uid()) and (p_roles is null or m.role = any (p_roles))
$$;

create or replace function private.shares_org_with(p_user uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.memberships a join public.memberships b on a.org_id = b.org_id
    where a.user_id = (select auth.uid()) and b.user_id = p_user
  )
$$;

-- @supabase/lite passes a jsonb RPC argument as a JSON *string* holding the JSON (PostgREST passes the
-- value itself); RPCs taking jsonb unwrap with this, which is a no-op on hosted Supabase.
create or replace function private.jsonb_arg(p jsonb) returns jsonb
language sql immutable set search_path = '' as $$
  select case when jsonb_typeof(p) = 'string' then (p #>> '{}')::jsonb else p end
$$;

grant execute on all functions in schema private to authenticated, service_role;

grant select, insert, update, delete on public.organizations, public.memberships, public.profiles, public.invitations to authenticated, service_role;
grant select on public.organizations, public.memberships, public.profiles, public.invitations to anon;

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

create or replace function private.set_created_by() returns trigger
language plpgsql as $$
begin
  if (select auth.uid()) is not null then new.created_by := (select auth.uid()); end if;
  return new;
end $$;
create trigger organizations_created_by before insert on public.organizations
  for each row execute function private.set_created_by();

-- Every new auth user gets a profile; a pending invitation for their email becomes a membership.
create or replace function private.on_auth_user_created() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  palette text[] := array['#ef4444','#f97316','#eab308','#22c55e','#14b8a6','#3b82f6','#6366f1','#a855f7','#ec4899'];
begin
  insert into public.profiles (id, display_name, avatar_color)
  values (
    new.id,
    coalesce(nullif(new.raw_user_meta_data ->> 'display_name', ''), split_part(coalesce(new.email, ''), '@', 1)),
    palette[1 + abs(hashtext(new.id::text)) % array_length(palette, 1)]
  )
  on conflict (id) do nothing;
  insert into public.memberships (org_id, user_id, role)
  select i.org_id, new.id, i.role from public.invitations i
  where lower(i.email) = lower(new.email) and i.accepted_at is null
  on conflict do nothing;
  update public.invitations set accepted_at = now()
  where lower(email) = lower(new.email) and accepted_at is null;
  return new;
end $$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.on_auth_user_created();

-- An organization always keeps at least one admin.
create or replace function private.keep_one_admin() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  org uuid := coalesce(old.org_id, new.org_id);
begin
  if old.role = 'admin' and (tg_op = 'DELETE' or new.role <> 'admin') then
    if not exists (select 1 from public.memberships where org_id = org and role = 'admin' and user_id <> old.user_id)
       and exists (select 1 from public.organizations where id = org) then
      -- PostgREST's convention for a chosen HTTP status (honoured by hosted PostgREST and by lite).
      raise sqlstate 'PGRST' using
        message = json_build_object('code', 'last_admin', 'message', 'An organization needs at least one admin; make another member admin first.')::text,
        detail = json_build_object('status', 409, 'headers', json_build_object())::text;
    end if;
  end if;
  return coalesce(new, old);
end $$;
create trigger memberships_keep_one_admin before update or delete on public.memberships
  for each row execute function private.keep_one_admin();

alter table public.organizations enable row level security;
alter table public.memberships enable row level security;
alter table public.profiles enable row level security;
alter table public.invitations enable row level security;

-- The creator clause lets `insert ... returning` see the row before the membership trigger has run.
create policy "Members and creators can read their organizations" on public.organizations
  for select to authenticated using (private.is_member(id) or created_by = (select auth.uid()));
create policy "Signed-in users can create an organization" on public.organizations
  for insert to authenticated with check (created_by = (select auth.uid()));
create policy "Admins can rename their organization" on public.organizations
  for update to authenticated using (private.has_role(id, '{admin}')) with check (private.has_role(id, '{admin}'));
create policy "Admins can delete their organization" on public.organizations
  for delete to authenticated using (private.has_role(id, '{admin}'));

create policy "Members can see who else is in their organization" on public.memberships
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Admins can add members" on public.memberships
  for insert to authenticated with check (org_id in (select private.my_org_ids('{admin}')));
create policy "Admins can change roles" on public.memberships
  for update to authenticated using (org_id in (select private.my_org_ids('{admin}'))) with check (org_id in (select private.my_org_ids('{admin}')));
create policy "Admins can remove members and members can leave" on public.memberships
  for delete to authenticated using (org_id in (select private.my_org_ids('{admin}')) or user_id = (select auth.uid()));

create policy "Users can read their own and their teammates' profiles" on public.profiles
  for select to authenticated using (id = (select auth.uid()) or private.shares_org_with(id));
create policy "Users can create their own profile" on public.profiles
  for insert to authenticated with check (id = (select auth.uid()));
create policy "Users can edit their own profile" on public.profiles
  for update to authenticated using (id = (select auth.uid())) with check (id = (select auth.uid()));

create policy "Admins can read invitations" on public.invitations
  for select to authenticated using (org_id in (select private.my_org_ids('{admin}')));
create policy "Admins can invite" on public.invitations
  for insert to authenticated with check (org_id in (select private.my_org_ids('{admin}')));
create policy "Admins can withdraw invitations" on public.invitations
  for delete to authenticated using (org_id in (select private.my_org_ids('{admin}')));

-- The caller's organizations with their role: the org switcher's one round trip.
create or replace function public.my_organizations()
returns table (org_id uuid, name text, slug text, role public.member_role)
language sql stable security invoker set search_path = '' as $$
  select o.id, o.name, o.slug, m.role
  from public.memberships m join public.organizations o on o.id = m.org_id
  where m.user_id = (select auth.uid())
  order by o.name
$$;
grant execute on function public.my_organizations() to authenticated;
revoke execute on function public.my_organizations() from anon;
