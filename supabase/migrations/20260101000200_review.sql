-- The review loop: feedback → improvement cases → training examples, with comments on cases, the
-- functions that open and decide cases, and the ingest keys customers send feedback with.

-- Feedback's and a case's status are domains over text, not enums: under row-level security, Postgres
-- uses a query's filter as an index condition only if its operator is leakproof, and enum equality is
-- not (text equality is). As enums, `status = 'new'` could not use feedback_org_status_idx for any
-- signed-in user, and the inbox walked the organisation's rows in date order (bench/README-boards.md).
create domain public.feedback_status as text
  constraint feedback_status_valid check (value in ('new', 'triaged', 'case_open', 'dismissed'));
create domain public.case_status as text
  constraint case_status_valid check (value in ('pending', 'approved', 'rejected'));

-- Which triage moves a person may make (shared/src/domain/feedback.ts holds the same table; a test
-- asserts they agree). `case_open` is entered and left only by the case functions.
create table private.feedback_transitions (
  from_status public.feedback_status not null,
  to_status public.feedback_status not null,
  primary key (from_status, to_status)
);
insert into private.feedback_transitions values
  ('new', 'triaged'), ('new', 'dismissed'),
  ('triaged', 'new'), ('triaged', 'dismissed'),
  ('dismissed', 'new'), ('dismissed', 'triaged');
alter table private.feedback_transitions enable row level security;

create or replace function private.feedback_move_allowed(p_from text, p_to text) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from private.feedback_transitions t where t.from_status = p_from and t.to_status = p_to)
$$;
grant execute on function private.feedback_move_allowed(text, text) to authenticated, service_role;

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
  model text check (char_length(model) <= 200),
  prompt_version_id uuid,
  -- The customer's LLM trace this rating is about (their Langfuse trace id), for scoring it there.
  trace_id text check (char_length(trace_id) <= 200),
  case_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, external_id),
  unique (org_id, id),
  foreign key (org_id, prompt_version_id) references public.prompt_versions (org_id, id) on delete set null (prompt_version_id)
);
create index feedback_inbox_idx on public.feedback (org_id, created_at desc, id desc);
create index feedback_org_status_idx on public.feedback (org_id, status, created_at desc);
create index feedback_org_rating_idx on public.feedback (org_id, rating, created_at desc);
create index feedback_labels_idx on public.feedback using gin (labels);

create table public.improvement_cases (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  feedback_id uuid not null unique,
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
  updated_at timestamptz not null default now(),
  unique (org_id, id),
  foreign key (org_id, feedback_id) references public.feedback (org_id, id) on delete cascade
);
create index improvement_cases_org_idx on public.improvement_cases (org_id, status, created_at desc);
create index improvement_cases_org_created_idx on public.improvement_cases (org_id, created_at);
create index improvement_cases_org_decided_idx on public.improvement_cases (org_id, decided_at) where decided_at is not null;

alter table public.feedback add constraint feedback_case_fk
  foreign key (org_id, case_id) references public.improvement_cases (org_id, id) on delete set null (case_id);

create table public.training_examples (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  query text not null check (char_length(query) between 1 and 20000),
  answer text not null check (char_length(answer) between 1 and 50000),
  tags text[] not null default '{}' check (cardinality(tags) <= 40),
  source_case_id uuid,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (org_id, id),
  -- One example per case. With org_id, so that another organization's case id fails on the foreign key
  -- exactly as a missing one does, instead of saying "that case already has an example".
  unique (org_id, source_case_id),
  foreign key (org_id, source_case_id) references public.improvement_cases (org_id, id) on delete set null (source_case_id)
);
create index training_examples_org_idx on public.training_examples (org_id, created_at desc);
create index training_examples_tags_idx on public.training_examples using gin (tags);

create table public.comments (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  case_id uuid not null,
  author_id uuid references auth.users (id) on delete set null,
  body text not null check (char_length(body) between 1 and 5000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (org_id, case_id) references public.improvement_cases (org_id, id) on delete cascade
);
create index comments_case_idx on public.comments (case_id, created_at);

-- Keys the customer's app uses to send feedback (ingest-feedback); only a hash is stored.
create table public.ingest_keys (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 80),
  prefix text not null,
  key_hash text not null unique,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- ---- grants: what people may write, column by column (everything else is the functions' or the
-- database's: ids of other rows, attribution, timestamps, external ids, trace ids) ----------------------
grant select, delete on public.feedback to authenticated;
grant insert (id, org_id, rating, query, response, comment, labels, status, claimed_by, model, source) on public.feedback to authenticated;
grant update (status, labels, claimed_by) on public.feedback to authenticated;
grant select, delete on public.improvement_cases to authenticated;
grant update (suggested_response) on public.improvement_cases to authenticated;
grant select, delete on public.training_examples to authenticated;
grant insert (id, org_id, query, answer, tags, source_case_id, created_by) on public.training_examples to authenticated;
grant update (query, answer, tags) on public.training_examples to authenticated;
grant select, delete on public.comments to authenticated;
grant insert (id, org_id, case_id, body, author_id) on public.comments to authenticated;
grant update (body) on public.comments to authenticated;
grant select, delete on public.ingest_keys to authenticated;

-- ---- triggers ---------------------------------------------------------------------------------------
create trigger feedback_touch before update on public.feedback for each row execute function private.touch_updated_at();
create trigger improvement_cases_touch before update on public.improvement_cases for each row execute function private.touch_updated_at();
create trigger comments_touch before update on public.comments for each row execute function private.touch_updated_at();
create trigger training_examples_created_by before insert or update on public.training_examples
  for each row execute function private.stamp_actor('created_by');
create trigger comments_author before insert or update on public.comments
  for each row execute function private.stamp_actor('author_id');
create trigger improvement_cases_created_by before insert or update on public.improvement_cases
  for each row execute function private.stamp_actor('created_by');

-- Triage is for people: a move the transition table allows, and a claim only for oneself. Opening and
-- deciding a case belong to the case functions.
create or replace function private.guard_feedback() returns trigger
language plpgsql set search_path = '' as $$
begin
  if private.is_trusted() then
    return new;
  end if;
  if tg_op = 'INSERT' then
    if new.status not in ('new', 'triaged') then
      perform private.raise_http(403, 'forbidden', 'New feedback starts as new or triaged; cases are opened with the create-improvement-case function');
    end if;
  elsif new.status is distinct from old.status then
    if old.status = 'case_open' then
      perform private.raise_http(409, 'case_open', 'This feedback has an improvement case; decide the case instead');
    end if;
    if not private.feedback_move_allowed(old.status, new.status) then
      perform private.raise_http(403, 'forbidden', format('Feedback cannot move from %s to %s by hand; cases are opened with the create-improvement-case function', old.status, new.status));
    end if;
  end if;
  if tg_op = 'INSERT' or new.claimed_by is distinct from old.claimed_by then
    if new.claimed_by is not null and new.claimed_by <> (select auth.uid()) then
      perform private.raise_http(403, 'forbidden', 'You can only claim feedback for yourself');
    end if;
    new.claimed_at := case when new.claimed_by is null then null else now() end;
  end if;
  return new;
end $$;
create trigger feedback_guard before insert or update on public.feedback for each row execute function private.guard_feedback();

create or replace function private.guard_case() returns trigger
language plpgsql set search_path = '' as $$
begin
  if private.is_trusted() then
    return new;
  end if;
  if old.status <> 'pending' and new.suggested_response is distinct from old.suggested_response then
    perform private.raise_http(409, 'already_decided', format('This case is already %s; its answer can no longer change', old.status));
  end if;
  return new;
end $$;
create trigger improvement_cases_guard before update on public.improvement_cases for each row execute function private.guard_case();

create or replace function private.audit_case_decision() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.status <> old.status then
    perform private.audit(new.org_id, 'case.' || new.status::text, 'improvement_case', new.id::text,
      jsonb_build_object('reason', new.reject_reason, 'feedback_id', new.feedback_id), new.approved_by);
  end if;
  return new;
end $$;
create trigger improvement_cases_audit after update of status on public.improvement_cases
  for each row execute function private.audit_case_decision();

-- ---- row-level security -------------------------------------------------------------------------------
alter table public.feedback enable row level security;
alter table public.improvement_cases enable row level security;
alter table public.training_examples enable row level security;
alter table public.comments enable row level security;
alter table public.ingest_keys enable row level security;

create policy "Members can read their organization's feedback" on public.feedback
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Reviewers, curators and admins can add feedback by hand" on public.feedback
  for insert to authenticated with check (org_id in (select private.orgs_where('feedback:write')));
create policy "Reviewers, curators and admins can triage feedback" on public.feedback
  for update to authenticated using (org_id in (select private.orgs_where('feedback:write')))
  with check (org_id in (select private.orgs_where('feedback:write')));
create policy "Admins can delete feedback" on public.feedback
  for delete to authenticated using (org_id in (select private.orgs_where('feedback:delete')));

create policy "Members can read their organization's cases" on public.improvement_cases
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can edit a case's suggested answer" on public.improvement_cases
  for update to authenticated using (org_id in (select private.orgs_where('case:edit')))
  with check (org_id in (select private.orgs_where('case:edit')));
create policy "Admins can delete cases" on public.improvement_cases
  for delete to authenticated using (org_id in (select private.orgs_where('case:delete')));

create policy "Members can read their organization's training data" on public.training_examples
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can add training examples" on public.training_examples
  for insert to authenticated with check (org_id in (select private.orgs_where('training:manage')));
create policy "Curators and admins can edit training examples" on public.training_examples
  for update to authenticated using (org_id in (select private.orgs_where('training:manage')))
  with check (org_id in (select private.orgs_where('training:manage')));
create policy "Curators and admins can delete training examples" on public.training_examples
  for delete to authenticated using (org_id in (select private.orgs_where('training:manage')));

create policy "Members can read comments in their organization" on public.comments
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Reviewers, curators and admins can comment as themselves" on public.comments
  for insert to authenticated with check (org_id in (select private.orgs_where('comment:write')) and author_id = (select auth.uid()));
-- Authors edit only while they may still comment in that organization.
create policy "Authors can edit their comments" on public.comments
  for update to authenticated
  using (author_id = (select auth.uid()) and org_id in (select private.orgs_where('comment:write')))
  with check (author_id = (select auth.uid()) and org_id in (select private.orgs_where('comment:write')));
create policy "Authors and admins can delete comments" on public.comments
  for delete to authenticated
  using ((author_id = (select auth.uid()) and org_id in (select private.my_org_ids())) or org_id in (select private.orgs_where('comment:moderate')));

create policy "Admins can see their organization's ingest keys" on public.ingest_keys
  for select to authenticated using (org_id in (select private.orgs_where('ingest_key:manage')));
create policy "Admins can revoke ingest keys" on public.ingest_keys
  for delete to authenticated using (org_id in (select private.orgs_where('ingest_key:manage')));

-- ---- functions ----------------------------------------------------------------------------------------

-- Opens the case for a feedback row, or returns the one already open (idempotent under concurrency).
-- The caller opens it as themselves; the suggestion is what the create-improvement-case function's LLM
-- call wrote (a curator edits it before anyone approves it).
create or replace function public.open_improvement_case(
  p_feedback_id uuid, p_suggested text, p_model text default null, p_flags jsonb default '[]'::jsonb
) returns public.improvement_cases
language plpgsql volatile security definer set search_path = '' as $$
declare
  fb public.feedback;
  result public.improvement_cases;
begin
  select * into fb from public.feedback where id = p_feedback_id;
  if not found or not (private.is_privileged() or private.is_member(fb.org_id)) then
    perform private.raise_http(404, 'not_found', 'The feedback was not found');
  end if;
  perform private.require_capability(fb.org_id, 'case:open', 'The feedback');
  select * into fb from public.feedback where id = p_feedback_id for update;
  if fb.case_id is not null then
    select * into result from public.improvement_cases where id = fb.case_id;
    return result;
  end if;
  p_flags := coalesce(private.jsonb_arg(p_flags), '[]'::jsonb);
  if jsonb_typeof(p_flags) <> 'array' then
    perform private.raise_http(400, 'invalid_input', 'flags must be a JSON array');
  end if;
  insert into public.improvement_cases (org_id, feedback_id, query, bad_response, suggested_response, suggestion_model, flags, created_by)
  values (fb.org_id, fb.id, fb.query, fb.response, coalesce(p_suggested, ''), left(p_model, 200), p_flags, (select auth.uid()))
  on conflict (feedback_id) do update set updated_at = public.improvement_cases.updated_at
  returning * into result;
  update public.feedback set case_id = result.id, status = 'case_open' where id = fb.id;
  perform private.audit(fb.org_id, 'case.opened', 'improvement_case', result.id::text,
    jsonb_build_object('feedback_id', fb.id, 'model', p_model));
  return result;
end $$;

-- Approves (writing the training example from the final text) or rejects a pending case, as the
-- caller, who must be allowed to decide cases in its organization.
create or replace function public.decide_improvement_case(
  p_case_id uuid, p_decision text, p_reason text default null, p_final_text text default null, p_tags text[] default '{}'
) returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  c public.improvement_cases;
  fb public.feedback;
  ex public.training_examples;
  final_text text;
begin
  if p_decision not in ('approved', 'rejected') then
    perform private.raise_http(400, 'invalid_input', 'decision must be approved or rejected');
  end if;
  select * into c from public.improvement_cases where id = p_case_id;
  if not found or not (private.is_privileged() or private.is_member(c.org_id)) then
    perform private.raise_http(404, 'not_found', 'The case was not found');
  end if;
  perform private.require_capability(c.org_id, 'case:decide', 'The case');
  select * into c from public.improvement_cases where id = p_case_id for update;
  if c.status <> 'pending' then
    perform private.raise_http(409, 'already_decided', format('This case was already %s; a decision cannot be changed.', c.status));
  end if;
  if p_decision = 'rejected' and char_length(btrim(coalesce(p_reason, ''))) < 3 then
    perform private.raise_http(400, 'reason_required', 'Say why the case is rejected, in a few words');
  end if;
  final_text := btrim(coalesce(p_final_text, c.suggested_response));
  if p_decision = 'approved' and final_text = '' then
    perform private.raise_http(422, 'empty_answer', 'The answer is empty; write one before approving.');
  end if;
  update public.improvement_cases set
    status = p_decision,
    suggested_response = case when p_decision = 'approved' then final_text else suggested_response end,
    approved_by = (select auth.uid()),
    decided_at = now(),
    reject_reason = case when p_decision = 'rejected' then btrim(p_reason) else null end
  where id = c.id returning * into c;
  if p_decision = 'approved' then
    select * into fb from public.feedback where id = c.feedback_id;
    insert into public.training_examples (org_id, query, answer, tags, source_case_id, created_by)
    values (c.org_id, c.query, final_text,
      (select coalesce(array_agg(distinct t), '{}') from unnest(coalesce(fb.labels, '{}') || coalesce(p_tags, '{}')) t where t <> ''),
      c.id, (select auth.uid()))
    returning * into ex;
  end if;
  update public.feedback set status = 'triaged' where id = c.feedback_id and status = 'case_open';
  return jsonb_build_object('case', to_jsonb(c), 'training_example', to_jsonb(ex));
end $$;

create or replace function public.create_ingest_key(p_org uuid, p_name text) returns text
language plpgsql security definer set search_path = '' as $$
declare
  secret text := 'rwk_' || encode(extensions.gen_random_bytes(24), 'hex');
begin
  perform private.require_capability(p_org, 'ingest_key:manage', 'The organization');
  insert into public.ingest_keys (org_id, name, prefix, key_hash, created_by)
  values (p_org, p_name, left(secret, 10), encode(extensions.digest(secret, 'sha256'), 'hex'), (select auth.uid()));
  return secret;
end $$;

-- Which organization an ingest key sends feedback for. Only the ingest function (service role) asks.
create or replace function public.resolve_ingest_key(p_key text) returns uuid
language plpgsql security definer set search_path = '' as $$
declare
  org uuid;
begin
  perform private.require_privileged();
  update public.ingest_keys set last_used_at = now()
  where key_hash = encode(extensions.digest(p_key, 'sha256'), 'hex') and revoked_at is null
  returning org_id into org;
  return org;
end $$;

grant execute on function public.open_improvement_case(uuid, text, text, jsonb),
  public.decide_improvement_case(uuid, text, text, text, text[]),
  public.create_ingest_key(uuid, text) to authenticated, service_role;
grant execute on function public.resolve_ingest_key(text) to service_role;
