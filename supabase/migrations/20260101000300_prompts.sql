-- Versioned prompts. A production version is immutable; one production version per prompt;
-- promotion and rollback are admin-only functions that leave an audit trail.

create type public.prompt_status as enum ('draft', 'candidate', 'production', 'retired');

create table public.prompts (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  slug text not null check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  description text not null default '',
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (org_id, slug)
);

create table public.prompt_versions (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  prompt_id uuid not null references public.prompts (id) on delete cascade,
  version integer not null check (version > 0),
  system_template text not null default '',
  template text not null check (char_length(template) between 1 and 50000),
  variables jsonb not null default '[]'::jsonb,
  model text not null,
  params jsonb not null default '{}'::jsonb,
  status public.prompt_status not null default 'draft',
  parent_version_id uuid references public.prompt_versions (id) on delete set null,
  author_id uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  promoted_at timestamptz,
  unique (prompt_id, version)
);
create unique index prompt_versions_one_production on public.prompt_versions (prompt_id) where status = 'production';
create index prompt_versions_prompt_idx on public.prompt_versions (prompt_id, version desc);

alter table public.feedback add constraint feedback_prompt_version_fk
  foreign key (prompt_version_id) references public.prompt_versions (id) on delete set null;

grant select, insert, update, delete on public.prompts, public.prompt_versions to authenticated, service_role;

-- As in the AI-platform seed: a production prompt cannot be edited, only retired by a promotion
-- or a rollback (which run as the service role after checking the caller is an admin).
create or replace function private.prevent_production_prompt_edits() returns trigger
language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    -- Deleting a whole organization cascades here after its row is gone; that must not be blocked.
    if old.status = 'production' and exists (select 1 from public.organizations o where o.id = old.org_id) then
      raise exception 'Production prompt versions cannot be deleted' using errcode = '42501';
    end if;
    return old;
  end if;
  if old.status = 'production' then
    if new.status = 'retired' and (select auth.role()) is distinct from 'authenticated'
       and new.template = old.template and new.system_template = old.system_template
       and new.variables = old.variables and new.model = old.model and new.params = old.params then
      return new;
    end if;
    raise exception 'Production prompt version % is immutable; create a new version instead', old.version
      using errcode = '42501';
  end if;
  if old.status = 'retired' and (new.template <> old.template or new.system_template <> old.system_template
      or new.variables <> old.variables or new.model <> old.model or new.params <> old.params) then
    raise exception 'Retired prompt versions are kept as they were, for rollback' using errcode = '42501';
  end if;
  if new.status = 'production' and old.status <> 'production' and (select auth.role()) = 'authenticated' then
    raise exception 'Versions reach production only through promotion' using errcode = '42501';
  end if;
  return new;
end $$;
create trigger prompt_versions_immutable before update or delete on public.prompt_versions
  for each row execute function private.prevent_production_prompt_edits();

create or replace function private.guard_prompt_version_insert() returns trigger
language plpgsql as $$
begin
  if new.status in ('production', 'retired') and (select auth.role()) = 'authenticated' then
    raise exception 'New versions start as draft or candidate' using errcode = '42501';
  end if;
  return new;
end $$;
create trigger prompt_versions_insert_guard before insert on public.prompt_versions
  for each row execute function private.guard_prompt_version_insert();

alter table public.prompts enable row level security;
alter table public.prompt_versions enable row level security;

create policy "Members can read prompts" on public.prompts
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can create prompts" on public.prompts
  for insert to authenticated with check (org_id in (select private.my_org_ids('{admin,curator}')));
create policy "Curators and admins can describe prompts" on public.prompts
  for update to authenticated using (org_id in (select private.my_org_ids('{admin,curator}'))) with check (org_id in (select private.my_org_ids('{admin,curator}')));
create policy "Admins can delete prompts" on public.prompts
  for delete to authenticated using (org_id in (select private.my_org_ids('{admin}')));

create policy "Members can read prompt versions" on public.prompt_versions
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can write prompt versions" on public.prompt_versions
  for insert to authenticated with check (
    org_id in (select private.my_org_ids('{admin,curator}'))
    and exists (select 1 from public.prompts p where p.id = prompt_id and p.org_id = prompt_versions.org_id)
  );
create policy "Curators and admins can edit unreleased prompt versions" on public.prompt_versions
  for update to authenticated using (org_id in (select private.my_org_ids('{admin,curator}')))
  with check (
    org_id in (select private.my_org_ids('{admin,curator}'))
    and exists (select 1 from public.prompts p where p.id = prompt_id and p.org_id = prompt_versions.org_id)
  );
create policy "Admins can delete unreleased prompt versions" on public.prompt_versions
  for delete to authenticated using (org_id in (select private.my_org_ids('{admin}')));
