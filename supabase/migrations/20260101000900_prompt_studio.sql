-- Prompt studio: the prompt-optimization sessions (clarify → answer → synthesize → feedback), safe
-- version numbering for saved prompt versions, rollback to a chosen earlier version, and per-version
-- quality/cost/latency for the studio's version list.
--
-- Promotion itself is public.promote_prompt_version (20260101000800_job_queue.sql): the worker's A/B
-- gate calls it, and it is reused here unchanged. Rollback to a *chosen* version needs no change to
-- the immutability trigger (20260101000300_prompts.sql): it already lets a non-user role move a retired
-- version back to production as long as its content is untouched, and that is all a rollback does.

-- ---- optimization sessions -----------------------------------------------------------------------

create type public.opt_session_status as enum ('pending', 'clarifying', 'ready', 'finalized');

create table public.opt_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  prompt_id uuid references public.prompts (id) on delete set null,
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
  saved_version_id uuid references public.prompt_versions (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
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

grant select, insert, update, delete on public.opt_sessions, public.opt_feedback to authenticated, service_role;
grant select, insert, delete on public.opt_messages to authenticated, service_role;
revoke all on public.opt_sessions, public.opt_messages, public.opt_feedback from anon;

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
    user_id = (select auth.uid()) and org_id in (select private.my_org_ids('{admin,curator}'))
    and (prompt_id is null or exists (select 1 from public.prompts p where p.id = prompt_id and p.org_id = opt_sessions.org_id))
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

-- Some REST layers (the embedded @supabase/lite among them) pass a jsonb argument JSON-encoded twice,
-- i.e. as a JSON string holding the document; these arguments are always arrays or objects, so a
-- string is unwrapped (as enqueue_job does).
create or replace function private.jsonb_arg(p jsonb) returns jsonb
language sql immutable set search_path = '' as $$
  select case when jsonb_typeof(p) = 'string' then (p #>> '{}')::jsonb else p end
$$;
grant execute on function private.jsonb_arg(jsonb) to authenticated, service_role;

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
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'round_conflict', 'message', 'This round was already answered (perhaps in another tab); reload the session.')::text,
      detail = json_build_object('status', 409, 'headers', json_build_object())::text;
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
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'not_ready', 'message', 'This session has no clarifying questions yet; it cannot be finalized.')::text,
      detail = json_build_object('status', 409, 'headers', json_build_object())::text;
  end if;
  insert into public.opt_messages (session_id, user_id, role, kind, content, model_name)
  values (s.id, s.user_id, 'agent', 'note', jsonb_build_object('finalPrompt', p_final_prompt), p_model);
  return s;
end $$;

revoke all on function public.opt_open_session(uuid, uuid, uuid, text, jsonb, jsonb, text),
  public.opt_record_round(uuid, integer, jsonb, jsonb, jsonb, text, text, integer),
  public.opt_finalize(uuid, text, text) from public, anon;
grant execute on function public.opt_open_session(uuid, uuid, uuid, text, jsonb, jsonb, text),
  public.opt_record_round(uuid, integer, jsonb, jsonb, jsonb, text, text, integer),
  public.opt_finalize(uuid, text, text) to authenticated, service_role;

-- ---- prompt versions: numbering, rollback, metrics -------------------------------------------------

-- Saves a draft/candidate version numbered max+1. Invoker: RLS (curators and admins of the prompt's
-- org) decides who may. Locking the prompt row serializes concurrent saves of the same prompt, so two
-- curators saving at once get consecutive numbers instead of a unique-violation.
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
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'not_found', 'message', 'The prompt was not found')::text,
      detail = json_build_object('status', 404, 'headers', json_build_object())::text;
  end if;
  if p_status not in ('draft', 'candidate') then
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'invalid_status', 'message', 'New versions start as draft or candidate; production is reached through promotion.')::text,
      detail = json_build_object('status', 400, 'headers', json_build_object())::text;
  end if;
  if p_parent_version_id is not null
     and not exists (select 1 from public.prompt_versions pv where pv.id = p_parent_version_id and pv.prompt_id = p_prompt_id) then
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'invalid_parent', 'message', 'The parent version belongs to another prompt')::text,
      detail = json_build_object('status', 400, 'headers', json_build_object())::text;
  end if;
  select coalesce(max(pv.version), 0) + 1 into next_version from public.prompt_versions pv where pv.prompt_id = p_prompt_id;
  insert into public.prompt_versions (org_id, prompt_id, version, system_template, template, variables, model, params, status, parent_version_id, author_id)
  values (p.org_id, p.id, next_version, coalesce(p_system_template, ''), p_template, coalesce(p_variables, '[]'::jsonb), p_model,
          coalesce(p_params, '{}'::jsonb), p_status, p_parent_version_id, (select auth.uid()))
  returning * into v;
  return v;
end $$;
revoke all on function public.create_prompt_version(uuid, text, text, jsonb, text, jsonb, uuid, public.prompt_status) from public, anon;
grant execute on function public.create_prompt_version(uuid, text, text, jsonb, text, jsonb, uuid, public.prompt_status) to authenticated, service_role;

-- Makes a chosen earlier production version production again (public.rollback_prompt only goes one
-- step back). Only a version that has been production before qualifies: a draft or a candidate that
-- never passed the gate must not reach users through the back door. Locking the prompt row, then the
-- current production row, orders this against concurrent promotions; the unique index is the backstop.
create or replace function public.rollback_prompt_to_version(p_prompt_id uuid, p_target_version_id uuid, p_actor uuid default null, p_reason text default null)
returns public.prompt_versions
language plpgsql volatile security definer set search_path = '' as $$
declare
  cur public.prompt_versions;
  target public.prompt_versions;
begin
  perform private.require_service_role();
  perform 1 from public.prompts where id = p_prompt_id for update;
  select * into target from public.prompt_versions where id = p_target_version_id and prompt_id = p_prompt_id for update;
  if not found then
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'not_found', 'message', 'That version does not belong to this prompt')::text,
      detail = json_build_object('status', 404, 'headers', json_build_object())::text;
  end if;
  if target.status = 'production' then
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'already_production', 'message', format('Version %s is already in production', target.version))::text,
      detail = json_build_object('status', 409, 'headers', json_build_object())::text;
  end if;
  if target.status <> 'retired' or target.promoted_at is null then
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'never_in_production', 'message',
        format('Version %s has never been in production; it can only get there by passing an A/B evaluation (promote it).', target.version))::text,
      detail = json_build_object('status', 409, 'headers', json_build_object())::text;
  end if;
  select * into cur from public.prompt_versions where prompt_id = p_prompt_id and status = 'production' for update;
  if cur.id is not null then
    update public.prompt_versions set status = 'retired' where id = cur.id;
  end if;
  -- promoted_at is kept: it records when the version first went live (rollback_prompt orders by it).
  update public.prompt_versions set status = 'production' where id = target.id returning * into target;
  perform private.audit(target.org_id, 'prompt.rollback', 'prompt_version', target.id::text,
    jsonb_build_object('actor_id', p_actor, 'from_version_id', cur.id, 'from_version', cur.version, 'to_version', target.version, 'reason', p_reason));
  return target;
end $$;
revoke all on function public.rollback_prompt_to_version(uuid, uuid, uuid, text) from public, anon, authenticated;
grant execute on function public.rollback_prompt_to_version(uuid, uuid, uuid, text) to service_role;

-- Per-version quality, cost and latency for one prompt: live traffic from ai_requests (in the window),
-- user ratings from feedback, and the latest completed A/B evaluation the version took part in.
-- Invoker, so each source keeps its own RLS: ai_requests (cost) is visible to admins and managers only;
-- other members see zeros there and still see ratings and evaluations.
create or replace function public.prompt_version_metrics(p_prompt_id uuid, p_since timestamptz default null)
returns table (
  version_id uuid, version integer, status public.prompt_status, model text, author_id uuid,
  created_at timestamptz, promoted_at timestamptz,
  requests bigint, errors bigint, error_rate double precision,
  avg_latency_ms double precision, p95_latency_ms double precision,
  input_tokens bigint, output_tokens bigint, cost_usd numeric, cost_per_request_usd numeric,
  feedback_count bigint, avg_rating double precision,
  last_eval jsonb
)
language sql stable security invoker set search_path = '' as $$
  select v.id, v.version, v.status, v.model, v.author_id, v.created_at, v.promoted_at,
         coalesce(r.requests, 0), coalesce(r.errors, 0),
         case when coalesce(r.requests, 0) = 0 then null else r.errors::double precision / r.requests end,
         r.avg_latency, r.p95_latency,
         coalesce(r.input_tokens, 0), coalesce(r.output_tokens, 0), coalesce(r.cost, 0),
         case when coalesce(r.requests, 0) = 0 then null else round(r.cost / r.requests, 8) end,
         coalesce(f.n, 0), f.avg_rating,
         e.last_eval
  from public.prompt_versions v
  left join lateral (
    select count(*) as requests, count(*) filter (where a.status = 'error') as errors,
           avg(a.latency_ms)::double precision as avg_latency,
           percentile_cont(0.95) within group (order by a.latency_ms) as p95_latency,
           sum(a.input_tokens) as input_tokens, sum(a.output_tokens) as output_tokens, sum(a.cost_usd) as cost
    from public.ai_requests a
    where a.prompt_version_id = v.id and a.created_at >= coalesce(p_since, now() - interval '30 days')
  ) r on true
  left join lateral (
    select count(*) as n, avg(fb.rating)::double precision as avg_rating
    from public.feedback fb
    where fb.prompt_version_id = v.id and fb.org_id = v.org_id and fb.created_at >= coalesce(p_since, now() - interval '30 days')
  ) f on true
  left join lateral (
    -- The variant this version was, its opponent, and the analysis the worker stored (B-minus-A deltas).
    select jsonb_build_object(
             'jobId', j.id, 'finishedAt', j.finished_at,
             'side', case when j.config -> 'variantB' ->> 'promptVersionId' = v.id::text then 'B' else 'A' end,
             'opponentVersionId', case when j.config -> 'variantB' ->> 'promptVersionId' = v.id::text
                                       then j.config -> 'variantA' ->> 'promptVersionId' else j.config -> 'variantB' ->> 'promptVersionId' end,
             'n', j.result -> 'analysis' -> 'n',
             'meanDeltaB', j.result -> 'analysis' -> 'meanDelta',
             'winRateB', j.result -> 'analysis' -> 'winRateB',
             'pValue', j.result -> 'analysis' -> 'pValue',
             'gatePassed', j.result -> 'analysis' -> 'gate' -> 'passed',
             'promoted', j.result -> 'decision' -> 'promoted',
             'self', case when j.config -> 'variantB' ->> 'promptVersionId' = v.id::text
                          then j.result -> 'analysis' -> 'b' else j.result -> 'analysis' -> 'a' end
           ) as last_eval
    from public.jobs j
    where j.org_id = v.org_id and j.kind = 'ab_eval' and j.status = 'completed'
      and (j.config -> 'variantA' ->> 'promptVersionId' = v.id::text or j.config -> 'variantB' ->> 'promptVersionId' = v.id::text)
    order by j.finished_at desc nulls last
    limit 1
  ) e on true
  where v.prompt_id = p_prompt_id
  order by v.version desc
$$;
revoke all on function public.prompt_version_metrics(uuid, timestamptz) from public, anon;
grant execute on function public.prompt_version_metrics(uuid, timestamptz) to authenticated, service_role;
