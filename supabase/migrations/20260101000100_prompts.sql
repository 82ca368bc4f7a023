-- Versioned prompts, promotion, and the prompt optimizer's sessions. A version pins its template, variables and model; the production
-- version of a prompt is what every call site serves (one per prompt). A version reaches production
-- only through promotion (the A/B gate, or an admin override with a reason) and leaves it only through
-- promotion of another or a rollback; every change is kept in prompt_promotions, and a rollback goes
-- only to a version that history shows was in production before.

create type public.prompt_status as enum ('draft', 'candidate', 'production', 'retired');

create table public.prompts (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  slug text not null check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  description text not null default '' check (char_length(description) <= 2000),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (org_id, slug),
  unique (org_id, id)
);

create table public.prompt_versions (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  prompt_id uuid not null,
  version integer not null check (version > 0),
  system_template text not null default '' check (char_length(system_template) <= 50000),
  template text not null check (char_length(template) between 1 and 50000),
  -- [{"name", "type", "required"?, "description"?}]: objects, never bare names.
  variables jsonb not null default '[]'::jsonb check (jsonb_typeof(variables) = 'array'),
  model text not null check (char_length(model) between 1 and 200),
  params jsonb not null default '{}'::jsonb check (jsonb_typeof(params) = 'object'),
  status public.prompt_status not null default 'draft',
  parent_version_id uuid,
  author_id uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  -- When the version first went to production (kept through later retirements and rollbacks).
  promoted_at timestamptz,
  -- With org_id: a version numbered into another organization's prompt fails on the foreign key (as
  -- for a prompt that does not exist), not on this constraint (which would say the prompt exists).
  unique (org_id, prompt_id, version),
  unique (org_id, id),
  foreign key (org_id, prompt_id) references public.prompts (org_id, id) on delete cascade,
  foreign key (org_id, parent_version_id) references public.prompt_versions (org_id, id) on delete set null (parent_version_id)
);
create unique index prompt_versions_one_production on public.prompt_versions (prompt_id) where status = 'production';
create index prompt_versions_prompt_idx on public.prompt_versions (prompt_id, version desc);

-- Every change of what a prompt serves: promotions (through the gate or by override) and rollbacks.
-- Append-only; rollback targets come from here, never from a version's own columns.
create table public.prompt_promotions (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.organizations (id) on delete cascade,
  prompt_id uuid not null,
  version_id uuid not null,
  previous_version_id uuid,
  kind text not null check (kind in ('gate', 'override', 'rollback', 'initial')),
  -- The A/B evaluation (jobs.id) that passed the gate, for kind = 'gate'.
  evidence_job_id uuid,
  reason text check (char_length(reason) <= 2000),
  actor_id uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  foreign key (org_id, prompt_id) references public.prompts (org_id, id) on delete cascade,
  foreign key (org_id, version_id) references public.prompt_versions (org_id, id) on delete cascade,
  foreign key (org_id, previous_version_id) references public.prompt_versions (org_id, id) on delete set null (previous_version_id),
  check (kind <> 'override' or reason is not null)
);
create index prompt_promotions_prompt_idx on public.prompt_promotions (prompt_id, id desc);

-- ---- grants -------------------------------------------------------------------------------------------
grant select, insert, delete on public.prompts to authenticated;
grant update (description) on public.prompts to authenticated;
-- Lifecycle columns (status, promoted_at) are not among them: they change only in the functions below.
grant select, delete on public.prompt_versions to authenticated;
grant insert (id, org_id, prompt_id, version, system_template, template, variables, model, params, parent_version_id, author_id) on public.prompt_versions to authenticated;
grant update (system_template, template, variables, model, params) on public.prompt_versions to authenticated;
grant select on public.prompt_promotions to authenticated;
revoke all on public.prompt_promotions from service_role;
grant select, insert on public.prompt_promotions to service_role;

-- ---- triggers ---------------------------------------------------------------------------------------
create trigger prompts_created_by before insert or update on public.prompts
  for each row execute function private.stamp_actor('created_by');
create trigger prompt_versions_author before insert or update on public.prompt_versions
  for each row execute function private.stamp_actor('author_id');

-- As in the AI-platform seed: a version that has been in production is kept as it ran. Content changes
-- only while a version is a draft or candidate; lifecycle changes only inside the promotion functions.
create or replace function private.guard_prompt_version() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'DELETE' then
    -- Deleting a whole organization or prompt cascades here; that must not be blocked.
    if (old.status in ('production', 'retired') or old.promoted_at is not null)
       and exists (select 1 from public.prompts p where p.id = old.prompt_id) then
      perform private.raise_http(409, 'immutable_version', format('Version %s has been in production; it is kept for rollback and cannot be deleted', old.version));
    end if;
    return old;
  end if;
  if tg_op = 'INSERT' then
    if current_user not in ('postgres', 'supabase_admin') then
      new.promoted_at := null;
      if new.status not in ('draft', 'candidate') then
        perform private.raise_http(400, 'invalid_status', 'New versions start as draft or candidate; production is reached through promotion.');
      end if;
    end if;
    return new;
  end if;
  if (new.template, new.system_template, new.variables, new.model, new.params)
     is distinct from (old.template, old.system_template, old.variables, old.model, old.params)
     and old.status not in ('draft', 'candidate') then
    perform private.raise_http(409, 'immutable_version', format('Version %s is %s; create a new version instead', old.version, old.status));
  end if;
  -- Not even the service role: only the promotion functions (running as the owner) or the owner.
  if (new.status, new.promoted_at, new.prompt_id, new.org_id, new.version)
     is distinct from (old.status, old.promoted_at, old.prompt_id, old.org_id, old.version)
     and current_user not in ('postgres', 'supabase_admin') then
    perform private.raise_http(403, 'forbidden', 'A version''s status changes only through promotion and rollback');
  end if;
  return new;
end $$;
create trigger prompt_versions_guard before insert or update or delete on public.prompt_versions
  for each row execute function private.guard_prompt_version();

create or replace function private.prompt_promotions_append_only() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from public.prompts p where p.id = old.prompt_id) then
    return old;
  end if;
  raise exception 'prompt_promotions is append-only: % is not allowed', lower(tg_op) using errcode = '42501';
end $$;
create trigger prompt_promotions_append_only before update or delete on public.prompt_promotions
  for each row execute function private.prompt_promotions_append_only();

-- ---- row-level security -------------------------------------------------------------------------------
alter table public.prompts enable row level security;
alter table public.prompt_versions enable row level security;
alter table public.prompt_promotions enable row level security;

create policy "Members can read prompts" on public.prompts
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can create prompts" on public.prompts
  for insert to authenticated with check (org_id in (select private.orgs_where('prompt:edit')));
create policy "Curators and admins can describe prompts" on public.prompts
  for update to authenticated using (org_id in (select private.orgs_where('prompt:edit')))
  with check (org_id in (select private.orgs_where('prompt:edit')));
create policy "Admins can delete prompts" on public.prompts
  for delete to authenticated using (org_id in (select private.orgs_where('prompt:delete')));

create policy "Members can read prompt versions" on public.prompt_versions
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Curators and admins can write prompt versions" on public.prompt_versions
  for insert to authenticated with check (org_id in (select private.orgs_where('prompt:edit')));
create policy "Curators and admins can edit unreleased prompt versions" on public.prompt_versions
  for update to authenticated using (org_id in (select private.orgs_where('prompt:edit')))
  with check (org_id in (select private.orgs_where('prompt:edit')));
create policy "Admins can delete unreleased prompt versions" on public.prompt_versions
  for delete to authenticated using (org_id in (select private.orgs_where('prompt:delete')));

create policy "Members can read the promotion history" on public.prompt_promotions
  for select to authenticated using (org_id in (select private.my_org_ids()));

-- ---- functions ----------------------------------------------------------------------------------------

-- Saves a draft/candidate version numbered max+1. Invoker: RLS decides who may. Locking the prompt row
-- serializes concurrent saves of the same prompt, so two curators saving at once get consecutive
-- numbers instead of a unique violation.
create or replace function public.create_prompt_version(
  p_prompt_id uuid, p_template text, p_system_template text, p_variables jsonb, p_model text, p_params jsonb,
  p_parent_version_id uuid, p_status public.prompt_status
) returns public.prompt_versions
language plpgsql volatile security invoker set search_path = '' as $$
declare
  p public.prompts;
  v public.prompt_versions;
  next_version integer;
begin
  p_variables := private.jsonb_arg(p_variables);
  p_params := private.jsonb_arg(p_params);
  select * into p from public.prompts where id = p_prompt_id for update;
  if not found then
    perform private.raise_http(404, 'not_found', 'The prompt was not found');
  end if;
  if p_status not in ('draft', 'candidate') then
    perform private.raise_http(400, 'invalid_status', 'New versions start as draft or candidate; production is reached through promotion.');
  end if;
  if p_parent_version_id is not null
     and not exists (select 1 from public.prompt_versions pv where pv.id = p_parent_version_id and pv.prompt_id = p_prompt_id) then
    perform private.raise_http(400, 'invalid_parent', 'The parent version belongs to another prompt');
  end if;
  select coalesce(max(pv.version), 0) + 1 into next_version from public.prompt_versions pv where pv.prompt_id = p_prompt_id;
  insert into public.prompt_versions (org_id, prompt_id, version, system_template, template, variables, model, params, parent_version_id)
  values (p.org_id, p.id, next_version, coalesce(p_system_template, ''), p_template, coalesce(p_variables, '[]'::jsonb), p_model,
          coalesce(p_params, '{}'::jsonb), p_parent_version_id)
  returning * into v;
  if p_status = 'candidate' then
    -- The status column is not the user's to write; marking a saved version a candidate is.
    perform private.mark_candidate(v.id);
    select * into v from public.prompt_versions where id = v.id;
  end if;
  return v;
end $$;

-- draft → candidate (a curator proposes it for the gate) and back.
create or replace function private.mark_candidate(p_version_id uuid, p_candidate boolean default true) returns void
language plpgsql security definer set search_path = '' as $$
declare
  v public.prompt_versions;
begin
  select * into v from public.prompt_versions where id = p_version_id for update;
  if not found then
    perform private.raise_http(404, 'not_found', 'The prompt version was not found');
  end if;
  perform private.require_capability(v.org_id, 'prompt:edit', 'The prompt version');
  if v.status not in ('draft', 'candidate') then
    perform private.raise_http(409, 'invalid_status', format('Version %s is %s; only drafts and candidates change between the two', v.version, v.status));
  end if;
  update public.prompt_versions set status = case when p_candidate then 'candidate' else 'draft' end::public.prompt_status
   where id = p_version_id;
end $$;

create or replace function public.set_prompt_version_candidate(p_version_id uuid, p_candidate boolean default true)
returns public.prompt_versions
language plpgsql volatile security invoker set search_path = '' as $$
declare
  v public.prompt_versions;
begin
  perform private.mark_candidate(p_version_id, p_candidate);
  select * into v from public.prompt_versions where id = p_version_id;
  return v;
end $$;

-- The one place that changes what a prompt serves. Retires the current production version, puts the
-- target in production and records the change. Callers check who may; this checks what may happen.
create or replace function private.apply_promotion(
  p_version_id uuid, p_kind text, p_actor uuid, p_evidence_job_id uuid, p_reason text
) returns public.prompt_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v public.prompt_versions;
  cur public.prompt_versions;
begin
  select * into v from public.prompt_versions where id = p_version_id;
  if not found then
    perform private.raise_http(404, 'not_found', 'The prompt version was not found');
  end if;
  -- Lock the prompt first: concurrent promotions and rollbacks of one prompt go one at a time.
  perform 1 from public.prompts where id = v.prompt_id for update;
  select * into v from public.prompt_versions where id = p_version_id for update;
  if v.status = 'production' then
    perform private.raise_http(409, 'already_production', format('Version %s is already in production', v.version));
  end if;
  select * into cur from public.prompt_versions where prompt_id = v.prompt_id and status = 'production' for update;
  if cur.id is not null then
    update public.prompt_versions set status = 'retired' where id = cur.id;
  end if;
  update public.prompt_versions set status = 'production', promoted_at = coalesce(promoted_at, now())
   where id = v.id returning * into v;
  insert into public.prompt_promotions (org_id, prompt_id, version_id, previous_version_id, kind, evidence_job_id, reason, actor_id)
  values (v.org_id, v.prompt_id, v.id, cur.id, p_kind, p_evidence_job_id, p_reason, coalesce((select auth.uid()), p_actor));
  perform private.sync_live_models(v.org_id);
  perform private.audit(v.org_id, case p_kind when 'rollback' then 'prompt.rollback' else 'prompt.promotion' end, 'prompt_version', v.id::text,
    jsonb_build_object('prompt_id', v.prompt_id, 'version', v.version, 'kind', p_kind, 'previous_version_id', cur.id,
                       'previous_version', cur.version, 'job_id', p_evidence_job_id, 'reason', p_reason), p_actor);
  return v;
end $$;

-- What "live" means for a model: some production prompt version of its organization serves it. Kept on
-- models.is_live (read by the boards and the models list) by the promotion functions, the one place that
-- changes what is served.
-- (plpgsql, not sql: `models` is created by a later migration, and only plpgsql bodies wait until run.)
create or replace function private.sync_live_models(p_org uuid) returns void
language plpgsql volatile security definer set search_path = '' as $$
begin
  update public.models m set is_live = live.serving
  from (
    select mo.id, exists (
      select 1 from public.prompt_versions v where v.org_id = mo.org_id and v.status = 'production' and v.model = mo.served_model
    ) as serving
    from public.models mo where mo.org_id = p_org
  ) live
  where m.id = live.id and m.is_live is distinct from live.serving;
end $$;

-- A candidate that serves the live prompt with another model: the production version of the prompt,
-- copied, with `p_model_id`'s reference pinned. It reaches users like any candidate: through the gate.
create or replace function public.propose_model_version(p_prompt_id uuid, p_model_id uuid)
returns public.prompt_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  p public.prompts;
  m record;
  cur public.prompt_versions;
  v public.prompt_versions;
begin
  select * into p from public.prompts where id = p_prompt_id;
  if not found then
    perform private.raise_http(404, 'not_found', 'The prompt was not found');
  end if;
  perform private.require_capability(p.org_id, 'prompt:edit', 'The prompt');
  select id, served_model, name into m from public.models where id = p_model_id and org_id = p.org_id;
  if m.id is null then
    perform private.raise_http(404, 'not_found', 'The model was not found');
  end if;
  perform 1 from public.prompts where id = p_prompt_id for update;
  select * into cur from public.prompt_versions where prompt_id = p_prompt_id and status = 'production';
  if cur.id is null then
    perform private.raise_http(409, 'no_production_version', 'This prompt has no production version to run on another model yet');
  end if;
  if cur.model = m.served_model then
    perform private.raise_http(409, 'already_served', format('Production already serves %s', m.name));
  end if;
  insert into public.prompt_versions (org_id, prompt_id, version, system_template, template, variables, model, params, status, parent_version_id, author_id)
  values (p.org_id, p.id, (select coalesce(max(pv.version), 0) + 1 from public.prompt_versions pv where pv.prompt_id = p.id),
          cur.system_template, cur.template, cur.variables, m.served_model, cur.params, 'candidate', cur.id, (select auth.uid()))
  returning * into v;
  return v;
end $$;

-- Promotion by the A/B gate: the worker, after the evaluation job `p_job_id` passed. Service only.
create or replace function public.promote_prompt_version_from_gate(p_version_id uuid, p_job_id uuid, p_actor uuid default null)
returns public.prompt_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v public.prompt_versions;
begin
  perform private.require_privileged();
  select * into v from public.prompt_versions where id = p_version_id;
  if not found then
    perform private.raise_http(404, 'not_found', 'The prompt version was not found');
  end if;
  if v.status <> 'candidate' then
    perform private.raise_http(409, 'not_candidate', format('Version %s is %s; only candidates pass the gate', v.version, v.status));
  end if;
  return private.apply_promotion(p_version_id, 'gate', p_actor, p_job_id, null);
end $$;

-- An admin puts a version in production without the gate, and must say why. Recorded as an override.
create or replace function public.override_prompt_version(p_version_id uuid, p_reason text)
returns public.prompt_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  v public.prompt_versions;
begin
  select * into v from public.prompt_versions where id = p_version_id;
  if not found then
    perform private.raise_http(404, 'not_found', 'The prompt version was not found');
  end if;
  perform private.require_capability(v.org_id, 'prompt:promote', 'The prompt version');
  if char_length(btrim(coalesce(p_reason, ''))) < 3 then
    perform private.raise_http(400, 'reason_required', 'Say why this version skips the A/B gate');
  end if;
  if v.status <> 'candidate' then
    perform private.raise_http(409, 'not_candidate', format('Version %s is %s; only candidates are promoted (roll back to bring back an earlier production version)', v.version, v.status));
  end if;
  return private.apply_promotion(p_version_id, 'override', null, null, btrim(p_reason));
end $$;

-- Brings back a version that was in production before: the chosen one, or (none chosen) the one the
-- current production version replaced. Only versions the promotion history shows in production
-- qualify; a draft or candidate that never passed the gate cannot reach users through the back door,
-- whatever its own columns say.
create or replace function public.rollback_prompt(p_prompt_id uuid, p_target_version_id uuid default null, p_reason text default null)
returns public.prompt_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  p public.prompts;
  cur uuid;
  target public.prompt_versions;
  target_id uuid := p_target_version_id;
begin
  select * into p from public.prompts where id = p_prompt_id;
  if not found then
    perform private.raise_http(404, 'not_found', 'The prompt was not found');
  end if;
  perform private.require_capability(p.org_id, 'prompt:rollback', 'The prompt');
  perform 1 from public.prompts where id = p_prompt_id for update;
  select id into cur from public.prompt_versions where prompt_id = p_prompt_id and status = 'production';
  if target_id is null then
    -- What the current production version replaced when it went live.
    select h.previous_version_id into target_id from public.prompt_promotions h
     where h.prompt_id = p_prompt_id and h.version_id = cur and h.previous_version_id is not null
     order by h.id desc limit 1;
    if target_id is null then
      perform private.raise_http(409, 'nothing_to_roll_back', 'There is no earlier production version of this prompt to roll back to.');
    end if;
  end if;
  select * into target from public.prompt_versions where id = target_id and prompt_id = p_prompt_id;
  if not found then
    perform private.raise_http(404, 'not_found', 'That version does not belong to this prompt');
  end if;
  if target.status = 'production' then
    perform private.raise_http(409, 'already_production', format('Version %s is already in production', target.version));
  end if;
  if not exists (select 1 from public.prompt_promotions h where h.prompt_id = p_prompt_id and h.version_id = target.id) then
    perform private.raise_http(409, 'never_in_production',
      format('Version %s has never been in production; it can only get there by passing an A/B evaluation (promote it).', target.version));
  end if;
  return private.apply_promotion(target.id, 'rollback', null, null, nullif(btrim(coalesce(p_reason, '')), ''));
end $$;

grant execute on function private.mark_candidate(uuid, boolean) to authenticated;
grant execute on function public.propose_model_version(uuid, uuid) to authenticated, service_role;
grant execute on function public.create_prompt_version(uuid, text, text, jsonb, text, jsonb, uuid, public.prompt_status),
  public.set_prompt_version_candidate(uuid, boolean), public.override_prompt_version(uuid, text),
  public.rollback_prompt(uuid, uuid, text) to authenticated, service_role;
grant execute on function public.promote_prompt_version_from_gate(uuid, uuid, uuid) to service_role;

-- ---- the prompt optimizer (the prompt-optimization seed): clarify → answer → synthesize → rate ----------

create type public.opt_session_status as enum ('pending', 'clarifying', 'ready', 'finalized');

create table public.opt_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  prompt_id uuid,
  status public.opt_session_status not null default 'pending',
  initial_prompt text not null check (char_length(initial_prompt) between 1 and 20000),
  selections jsonb not null default '{}'::jsonb check (jsonb_typeof(selections) = 'object'),
  working_memory jsonb not null default '{"facts": [], "constraints": [], "gaps": [], "rationale": ""}'::jsonb
    check (jsonb_typeof(working_memory) = 'object'),
  -- Answered clarification rounds. The cap (3) is the seed's safety rule; it lives here as well as in
  -- the function so no client, however it calls us, can run a fourth round.
  rounds integer not null default 0 check (rounds between 0 and 3),
  final_prompt text check (char_length(final_prompt) <= 50000),
  -- The prompt version the final prompt was saved as (save-prompt-version with sessionId).
  saved_version_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (org_id, prompt_id) references public.prompts (org_id, id) on delete set null (prompt_id),
  foreign key (org_id, saved_version_id) references public.prompt_versions (org_id, id) on delete set null (saved_version_id)
);
create index opt_sessions_user_idx on public.opt_sessions (user_id, created_at desc);
create index opt_sessions_org_idx on public.opt_sessions (org_id, created_at desc);

create table public.opt_messages (
  id bigint generated always as identity primary key,
  session_id uuid not null references public.opt_sessions (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  role text not null check (role in ('system', 'agent', 'user')),
  kind text not null check (kind in ('question', 'answer', 'note')),
  content jsonb not null check (octet_length(content::text) <= 60000),
  model_name text check (char_length(model_name) <= 200),
  created_at timestamptz not null default now()
);
create index opt_messages_session_idx on public.opt_messages (session_id, created_at);

create table public.opt_feedback (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null unique references public.opt_sessions (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  rating smallint not null check (rating between 1 and 5),
  comments text check (char_length(comments) <= 5000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Sessions are their author's own workspace; the session steps below run as the author (invoker) and
-- write these tables through RLS, which is why the author may write them; the guard trigger keeps a
-- session moving forward only.
grant select, insert, update, delete on public.opt_sessions, public.opt_feedback to authenticated;
grant select, insert, delete on public.opt_messages to authenticated;

-- A session only moves forward and a round is only ever added one at a time while questions are open.
-- Applies to every role (the functions obey it anyway); a user editing their own row over REST cannot
-- reset the round counter or skip to an unearned state.
create or replace function private.guard_opt_session() returns trigger
language plpgsql as $$
begin
  if new.user_id <> old.user_id or new.org_id <> old.org_id or new.initial_prompt <> old.initial_prompt
     or new.selections <> old.selections or new.created_at <> old.created_at then
    raise exception 'A session''s owner, organization, prompt and selections are fixed; start a new session instead'
      using errcode = '42501';
  end if;
  if not (
    new.status = old.status
    or (old.status = 'pending' and new.status in ('clarifying', 'ready', 'finalized'))
    or (old.status = 'clarifying' and new.status in ('ready', 'finalized'))
    or (old.status = 'ready' and new.status = 'finalized')
  ) then
    raise exception 'A session cannot go from % back to %', old.status, new.status using errcode = '42501';
  end if;
  if new.rounds <> old.rounds and (new.rounds <> old.rounds + 1 or old.status <> 'clarifying') then
    raise exception 'Rounds are added one at a time while questions are open' using errcode = '42501';
  end if;
  if new.final_prompt is distinct from old.final_prompt and new.status <> 'finalized' then
    raise exception 'The final prompt is written when the session is finalized' using errcode = '42501';
  end if;
  new.updated_at := now();
  return new;
end $$;
create trigger opt_sessions_guard before update on public.opt_sessions
  for each row execute function private.guard_opt_session();

-- private.touch_updated_at comes from 20260101000100_review.sql.
create trigger opt_feedback_touch before update on public.opt_feedback
  for each row execute function private.touch_updated_at();

alter table public.opt_sessions enable row level security;
alter table public.opt_messages enable row level security;
alter table public.opt_feedback enable row level security;

-- Sessions are private to their author (the seed's rule), and only while they are still a member of
-- the organization the session belongs to.
create policy "Users can read their own sessions in their organizations" on public.opt_sessions
  for select to authenticated using (user_id = (select auth.uid()) and org_id in (select private.my_org_ids()));
-- Optimizing a prompt is authoring it: curators and admins (managers and reviewers read, they do not write prompts).
create policy "Curators and admins can start sessions in their organizations" on public.opt_sessions
  for insert to authenticated with check (
    user_id = (select auth.uid()) and org_id in (select private.orgs_where('prompt:edit'))
  );
create policy "Users can advance their own sessions" on public.opt_sessions
  for update to authenticated using (user_id = (select auth.uid()) and org_id in (select private.my_org_ids()))
  with check (user_id = (select auth.uid()) and org_id in (select private.my_org_ids()));
create policy "Users can delete their own sessions" on public.opt_sessions
  for delete to authenticated using (user_id = (select auth.uid()) and org_id in (select private.my_org_ids()));

-- Messages and feedback hang off a session; the session's own policy (same user, still a member)
-- decides through the subquery.
create policy "Users can read the messages of their own sessions" on public.opt_messages
  for select to authenticated using (
    user_id = (select auth.uid()) and exists (select 1 from public.opt_sessions s where s.id = session_id)
  );
create policy "Users can add messages to their own sessions" on public.opt_messages
  for insert to authenticated with check (
    user_id = (select auth.uid()) and exists (select 1 from public.opt_sessions s where s.id = session_id)
  );
create policy "Users can delete messages of their own sessions" on public.opt_messages
  for delete to authenticated using (
    user_id = (select auth.uid()) and exists (select 1 from public.opt_sessions s where s.id = session_id)
  );

create policy "Users can read feedback on their own sessions" on public.opt_feedback
  for select to authenticated using (
    user_id = (select auth.uid()) and exists (select 1 from public.opt_sessions s where s.id = session_id)
  );
create policy "Users can rate their own sessions" on public.opt_feedback
  for insert to authenticated with check (
    user_id = (select auth.uid()) and exists (select 1 from public.opt_sessions s where s.id = session_id)
  );
create policy "Users can change their rating" on public.opt_feedback
  for update to authenticated using (
    user_id = (select auth.uid()) and exists (select 1 from public.opt_sessions s where s.id = session_id)
  ) with check (
    user_id = (select auth.uid()) and exists (select 1 from public.opt_sessions s where s.id = session_id)
  );

-- ---- session steps (security invoker: they run with the caller's JWT, so RLS applies; each is one
-- transaction, so a session never has questions without its state, or a round without its answers) --


-- A new session with its first clarifying questions (status clarifying; ready when there are none).
create or replace function public.opt_open_session(
  p_id uuid, p_org_id uuid, p_prompt_id uuid, p_initial_prompt text, p_selections jsonb, p_questions jsonb, p_model text
) returns public.opt_sessions
language plpgsql volatile security invoker set search_path = '' as $$
declare
  s public.opt_sessions;
  n integer;
begin
  p_questions := private.jsonb_arg(p_questions);
  p_selections := private.jsonb_arg(p_selections);
  n := coalesce(jsonb_array_length(p_questions), 0);
  insert into public.opt_sessions (id, user_id, org_id, prompt_id, status, initial_prompt, selections)
  values (p_id, (select auth.uid()), p_org_id, p_prompt_id,
          case when n > 0 then 'clarifying' else 'ready' end::public.opt_session_status,
          p_initial_prompt, coalesce(p_selections, '{}'::jsonb))
  returning * into s;
  insert into public.opt_messages (session_id, user_id, role, kind, content, model_name)
  select s.id, s.user_id, 'agent', 'question', jsonb_build_object('text', q.value, 'round', 0, 'index', q.ord - 1), p_model
  from jsonb_array_elements_text(coalesce(p_questions, '[]'::jsonb)) with ordinality as q(value, ord);
  return s;
end $$;

-- One answered round: the user's answers, the updated memory, the model's note and the next questions.
-- p_expected_rounds fences concurrent submissions: the second one for the same round matches nothing.
create or replace function public.opt_record_round(
  p_session_id uuid, p_expected_rounds integer, p_answers jsonb, p_memory jsonb, p_questions jsonb,
  p_rationale text, p_model text, p_max_rounds integer default 3
) returns public.opt_sessions
language plpgsql volatile security invoker set search_path = '' as $$
declare
  s public.opt_sessions;
  round integer := p_expected_rounds + 1;
  more boolean;
begin
  p_answers := private.jsonb_arg(p_answers);
  p_memory := private.jsonb_arg(p_memory);
  p_questions := private.jsonb_arg(p_questions);
  more := coalesce(jsonb_array_length(p_questions), 0) > 0 and round < p_max_rounds;
  update public.opt_sessions
     set rounds = round,
         working_memory = p_memory,
         status = case when more then 'clarifying' else 'ready' end::public.opt_session_status
   where id = p_session_id and rounds = p_expected_rounds and status = 'clarifying'
  returning * into s;
  if not found then
    perform private.raise_http(409, 'round_conflict', 'This round was already answered (perhaps in another tab); reload the session.');
  end if;
  insert into public.opt_messages (session_id, user_id, role, kind, content)
  select s.id, s.user_id, 'user', 'answer', jsonb_build_object('question', a ->> 'question', 'answer', a ->> 'answer', 'round', round)
  from jsonb_array_elements(coalesce(p_answers, '[]'::jsonb)) a;
  insert into public.opt_messages (session_id, user_id, role, kind, content, model_name)
  values (s.id, s.user_id, 'agent', 'note', jsonb_build_object('rationale', coalesce(p_rationale, ''), 'round', round, 'memory', p_memory), p_model);
  if more then
    insert into public.opt_messages (session_id, user_id, role, kind, content, model_name)
    select s.id, s.user_id, 'agent', 'question', jsonb_build_object('text', q.value, 'round', round, 'index', q.ord - 1), p_model
    from jsonb_array_elements_text(p_questions) with ordinality as q(value, ord);
  end if;
  return s;
end $$;

-- Stores the synthesized prompt and finalizes the session (again, if the user regenerates it).
create or replace function public.opt_finalize(p_session_id uuid, p_final_prompt text, p_model text)
returns public.opt_sessions
language plpgsql volatile security invoker set search_path = '' as $$
declare
  s public.opt_sessions;
begin
  update public.opt_sessions set status = 'finalized', final_prompt = p_final_prompt
   where id = p_session_id and status in ('clarifying', 'ready', 'finalized')
  returning * into s;
  if not found then
    perform private.raise_http(409, 'not_ready', 'This session has no clarifying questions yet; it cannot be finalized.');
  end if;
  insert into public.opt_messages (session_id, user_id, role, kind, content, model_name)
  values (s.id, s.user_id, 'agent', 'note', jsonb_build_object('finalPrompt', p_final_prompt), p_model);
  return s;
end $$;

grant execute on function public.opt_open_session(uuid, uuid, uuid, text, jsonb, jsonb, text),
  public.opt_record_round(uuid, integer, jsonb, jsonb, jsonb, text, text, integer),
  public.opt_finalize(uuid, text, text) to authenticated, service_role;
