-- The review loop: feedback → improvement cases → training examples, with comments on cases.

create type public.feedback_status as enum ('new', 'triaged', 'case_open', 'dismissed');
create type public.case_status as enum ('pending', 'approved', 'rejected');

create table public.feedback (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  rating smallint not null check (rating between 1 and 5),
  query text not null check (char_length(query) between 1 and 20000),
  response text not null check (char_length(response) <= 50000),
  comment text check (char_length(comment) <= 5000),
  status public.feedback_status not null default 'new',
  labels text[] not null default '{}' check (cardinality(labels) <= 20),
  claimed_by uuid references auth.users (id) on delete set null,
  claimed_at timestamptz,
  source text not null default 'app' check (char_length(source) <= 60),
  external_id text check (char_length(external_id) <= 200),
  model text,
  prompt_version_id uuid,
  -- The customer's LLM trace this rating is about (their Langfuse trace id), for scoring it there.
  trace_id text check (char_length(trace_id) <= 200),
  case_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, external_id)
);
create index feedback_inbox_idx on public.feedback (org_id, created_at desc, id desc);
create index feedback_org_status_idx on public.feedback (org_id, status, created_at desc);
create index feedback_org_rating_idx on public.feedback (org_id, rating, created_at desc);
create index feedback_labels_idx on public.feedback using gin (labels);

create table public.improvement_cases (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  feedback_id uuid not null unique references public.feedback (id) on delete cascade,
  query text not null,
  bad_response text not null,
  suggested_response text not null default '',
  status public.case_status not null default 'pending',
  suggestion_model text,
  flags jsonb not null default '[]'::jsonb,
  created_by uuid references auth.users (id) on delete set null,
  approved_by uuid references auth.users (id) on delete set null,
  decided_at timestamptz,
  reject_reason text check (char_length(reject_reason) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index improvement_cases_org_idx on public.improvement_cases (org_id, status, created_at desc);

alter table public.feedback add constraint feedback_case_fk
  foreign key (case_id) references public.improvement_cases (id) on delete set null;

create table public.training_examples (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  query text not null check (char_length(query) between 1 and 20000),
  answer text not null check (char_length(answer) between 1 and 50000),
  tags text[] not null default '{}',
  source_case_id uuid unique references public.improvement_cases (id) on delete set null,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now()
);
create index training_examples_org_idx on public.training_examples (org_id, created_at desc);
create index training_examples_tags_idx on public.training_examples using gin (tags);

create table public.comments (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  case_id uuid not null references public.improvement_cases (id) on delete cascade,
  author_id uuid references auth.users (id) on delete set null default auth.uid(),
  body text not null check (char_length(body) between 1 and 5000),
  created_at timestamptz not null default now()
);
create index comments_case_idx on public.comments (case_id, created_at);

grant select, insert, update, delete on public.feedback, public.improvement_cases, public.training_examples, public.comments to authenticated, service_role;

create or replace function private.touch_updated_at() returns trigger language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end $$;
create trigger feedback_touch before update on public.feedback for each row execute function private.touch_updated_at();
create trigger improvement_cases_touch before update on public.improvement_cases for each row execute function private.touch_updated_at();

-- Triage is for people; linking a case and deciding one are for the functions that check the role.
create or replace function private.guard_feedback_update() returns trigger
language plpgsql as $$
begin
  if (select auth.role()) = 'service_role' or current_user in ('postgres', 'supabase_admin') then
    return new;
  end if;
  if new.org_id <> old.org_id or new.query <> old.query or new.response <> old.response or new.rating <> old.rating
     or new.comment is distinct from old.comment or new.source <> old.source or new.model is distinct from old.model
     or new.prompt_version_id is distinct from old.prompt_version_id
     or new.external_id is distinct from old.external_id or new.created_at <> old.created_at then
    raise exception 'Feedback content is read-only; only triage fields (status, labels, claim) can change'
      using errcode = '42501';
  end if;
  if new.case_id is distinct from old.case_id or (new.status = 'case_open' and old.status <> 'case_open') then
    raise exception 'Cases are opened with the create-improvement-case function' using errcode = '42501';
  end if;
  if old.status = 'case_open' and new.status <> 'case_open' then
    raise exception 'This feedback has an improvement case; decide the case instead' using errcode = '42501';
  end if;
  if new.claimed_by is distinct from old.claimed_by then
    if new.claimed_by is not null and new.claimed_by <> (select auth.uid()) then
      raise exception 'You can only claim feedback for yourself' using errcode = '42501';
    end if;
    new.claimed_at := case when new.claimed_by is null then null else now() end;
  end if;
  return new;
end $$;
create trigger feedback_guard before update on public.feedback for each row execute function private.guard_feedback_update();

-- Feedback added by hand starts untriaged-or-triaged, unlinked and unclaimed (or claimed by its author);
-- the insert path must not bypass the update guard above.
create or replace function private.guard_feedback_insert() returns trigger
language plpgsql as $$
begin
  if (select auth.role()) = 'service_role' or current_user in ('postgres', 'supabase_admin') then
    return new;
  end if;
  if new.case_id is not null or new.status not in ('new', 'triaged') then
    raise exception 'New feedback starts as new or triaged; cases are opened with the create-improvement-case function'
      using errcode = '42501';
  end if;
  if new.claimed_by is not null and new.claimed_by <> (select auth.uid()) then
    raise exception 'You can only claim feedback for yourself' using errcode = '42501';
  end if;
  new.claimed_at := case when new.claimed_by is null then null else now() end;
  return new;
end $$;
create trigger feedback_insert_guard before insert on public.feedback for each row execute function private.guard_feedback_insert();

create or replace function private.guard_case_update() returns trigger
language plpgsql as $$
begin
  if (select auth.role()) = 'service_role' or current_user in ('postgres', 'supabase_admin') then
    return new;
  end if;
  if new.status <> old.status or new.approved_by is distinct from old.approved_by or new.decided_at is distinct from old.decided_at
     or new.reject_reason is distinct from old.reject_reason then
    raise exception 'Cases are decided with the approve/reject functions' using errcode = '42501';
  end if;
  if old.status <> 'pending' and new.suggested_response <> old.suggested_response then
    raise exception 'This case is already %; its answer can no longer change', old.status using errcode = '42501';
  end if;
  if new.org_id <> old.org_id or new.feedback_id <> old.feedback_id or new.query <> old.query or new.bad_response <> old.bad_response then
    raise exception 'Only the suggested answer of a case can be edited' using errcode = '42501';
  end if;
  return new;
end $$;
create trigger improvement_cases_guard before update on public.improvement_cases for each row execute function private.guard_case_update();

alter table public.feedback enable row level security;
alter table public.improvement_cases enable row level security;
alter table public.training_examples enable row level security;
alter table public.comments enable row level security;

create policy "Members can read their organization's feedback" on public.feedback
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Reviewers, curators and admins can add feedback by hand" on public.feedback
  for insert to authenticated with check (org_id in (select private.my_org_ids('{admin,curator,reviewer}')));
create policy "Reviewers, curators and admins can triage feedback" on public.feedback
  for update to authenticated using (org_id in (select private.my_org_ids('{admin,curator,reviewer}')))
  with check (org_id in (select private.my_org_ids('{admin,curator,reviewer}')));
create policy "Admins can delete feedback" on public.feedback
  for delete to authenticated using (org_id in (select private.my_org_ids('{admin}')));

create policy "Members can read their organization's cases" on public.improvement_cases
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can edit a case's suggested answer" on public.improvement_cases
  for update to authenticated using (org_id in (select private.my_org_ids('{admin,curator}')))
  with check (org_id in (select private.my_org_ids('{admin,curator}')));
create policy "Admins can delete cases" on public.improvement_cases
  for delete to authenticated using (org_id in (select private.my_org_ids('{admin}')));

create policy "Members can read their organization's training data" on public.training_examples
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can add training examples" on public.training_examples
  for insert to authenticated with check (
    org_id in (select private.my_org_ids('{admin,curator}'))
    and (source_case_id is null
         or exists (select 1 from public.improvement_cases c where c.id = source_case_id and c.org_id = training_examples.org_id))
  );
create policy "Curators and admins can edit training examples" on public.training_examples
  for update to authenticated using (org_id in (select private.my_org_ids('{admin,curator}')))
  with check (
    org_id in (select private.my_org_ids('{admin,curator}'))
    and (source_case_id is null
         or exists (select 1 from public.improvement_cases c where c.id = source_case_id and c.org_id = training_examples.org_id))
  );
create policy "Curators and admins can delete training examples" on public.training_examples
  for delete to authenticated using (org_id in (select private.my_org_ids('{admin,curator}')));

create policy "Members can read comments in their organization" on public.comments
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Reviewers, curators and admins can comment as themselves" on public.comments
  for insert to authenticated with check (
    org_id in (select private.my_org_ids('{admin,curator,reviewer}')) and author_id = (select auth.uid())
    and exists (select 1 from public.improvement_cases c where c.id = case_id and c.org_id = comments.org_id)
  );
-- Authors edit only while they may still comment in that organization, and never move a comment
-- to another case or organization.
create policy "Authors can edit their comments" on public.comments
  for update to authenticated
  using (author_id = (select auth.uid()) and org_id in (select private.my_org_ids('{admin,curator,reviewer}')))
  with check (
    author_id = (select auth.uid()) and org_id in (select private.my_org_ids('{admin,curator,reviewer}'))
    and exists (select 1 from public.improvement_cases c where c.id = case_id and c.org_id = comments.org_id)
  );
create policy "Authors and admins can delete comments" on public.comments
  for delete to authenticated
  using ((author_id = (select auth.uid()) and org_id in (select private.my_org_ids())) or org_id in (select private.my_org_ids('{admin}')));
