-- Judge vs human and the reviewers' board (issue 19, items 6 and 7).
-- * A job kind, review_judge: the worker runs an LLM judge with a rubric prompt over a review queue's
--   items and stores its value per item and rubric in public.judge_scores (the worker writes, people
--   with review:report read). Its agreement with the human consensus is computed from these rows with
--   the report's statistics (shared/src/review/judge.ts).
-- * public.board_review: throughput per reviewer and day, the compact ratings agreement over time is
--   computed from, and the LLM cost attributable to the reviewed items; runs as the caller (RLS and
--   blind mode apply) and refuses callers without review:report.

-- ---- capability (shared/src/domain/capabilities.ts holds the same rows) ---------------------------------
insert into private.role_capabilities (role, capability) values ('admin', 'review:judge'), ('curator', 'review:judge');

-- ---- the job kind -----------------------------------------------------------------------------------------
alter type public.job_kind add value if not exists 'review_judge';
insert into private.job_kinds (kind, capability) values ('review_judge', 'review:judge');

-- ---- table ------------------------------------------------------------------------------------------------
-- One judge value per (job, item, rubric): a resumed job never asks twice. cost_usd and the tokens are
-- the judge calls' own (also logged in ai_requests), kept here so the board can attribute them to items.
create table public.judge_scores (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.organizations (id) on delete cascade,
  job_id uuid not null,
  queue_id uuid not null,
  item_id uuid not null,
  score_config_id uuid not null,
  value jsonb not null,
  rationale text not null default '' check (char_length(rationale) <= 4000),
  model text not null check (char_length(model) <= 200),
  cost_usd numeric(14, 8) not null default 0 check (cost_usd >= 0),
  input_tokens integer not null default 0 check (input_tokens >= 0),
  output_tokens integer not null default 0 check (output_tokens >= 0),
  created_at timestamptz not null default now(),
  unique (job_id, item_id, score_config_id),
  foreign key (org_id, job_id) references public.jobs (org_id, id) on delete cascade,
  foreign key (org_id, queue_id) references public.review_queues (org_id, id) on delete cascade,
  foreign key (org_id, item_id) references public.review_items (org_id, id) on delete cascade,
  foreign key (org_id, score_config_id) references public.score_configs (org_id, id) on delete restrict
);
create index judge_scores_queue_idx on public.judge_scores (queue_id, job_id);
create index judge_scores_item_idx on public.judge_scores (item_id);

-- ---- grants (the worker writes as the service role) ------------------------------------------------------
grant select on public.judge_scores to authenticated;

-- ---- triggers ---------------------------------------------------------------------------------------------
-- The item is the queue's, the rubric one of its rubrics, and the value a valid answer to it: the same
-- check submit_scores makes of people (private.score_value_valid), whatever the writer.
create or replace function private.guard_judge_score() returns trigger
language plpgsql set search_path = '' as $$
declare
  q public.review_queues;
  c public.score_configs;
begin
  select * into q from public.review_queues where id = new.queue_id;
  if not exists (select 1 from public.review_items i where i.id = new.item_id and i.queue_id = new.queue_id) then
    perform private.raise_http(400, 'invalid_input', 'The item is not one of this queue''s');
  end if;
  if not (new.score_config_id = any (q.score_config_ids)) then
    perform private.raise_http(400, 'invalid_input', 'That rubric is not one of this queue''s');
  end if;
  select * into c from public.score_configs where id = new.score_config_id;
  if not private.score_value_valid(c, new.value) then
    perform private.raise_http(400, 'invalid_score', format('"%s" needs a valid %s value', c.name, c.kind));
  end if;
  return new;
end $$;
create trigger judge_scores_guard before insert or update on public.judge_scores for each row execute function private.guard_judge_score();

-- ---- row-level security -----------------------------------------------------------------------------------
alter table public.judge_scores enable row level security;
create policy "Those who read a queue's report read its judge's scores" on public.judge_scores
  for select to authenticated using (org_id in (select private.orgs_where('review:report')));

-- ---- the reviewers' board ---------------------------------------------------------------------------------
-- For the managers' board, over whole UTC days [p_from, p_to] (the same range control as the quality and
-- cost boards). Runs as the caller: scores are read under their policy, so the values are exactly those
-- the caller may see (a manager all; a curator the complete items'). One JSON document:
-- * throughput: [{day, reviewer_id, items}] slots submitted per day and reviewer (no value revealed);
-- * agreement: {rubrics: [...], units: [{day, rubric_id, values: [...]}]} one unit per item completed
--   in the range and rubric, dated by the item's last submission: the raw ratings agreement over time
--   is computed from (Krippendorff's alpha per window, shared/src/review/boards.ts);
-- * cost: per day, the items completed that day and the LLM cost attributable to them (null without
--   usage:read, which is what LLM cost needs on the cost board too): the judge calls made on those items
--   (judge_scores.cost_usd, every run), plus the generation cost of the output under review where the
--   item links to it (an ai_requests row's cost_usd; an A/B item's two outputs in eval_results). Cost per
--   reviewed item = that cost / the items completed.
-- The items of an organization that became complete in [p_from, p_to), dated by their last submission
-- (as the caller: RLS applies).
create or replace function private.board_review_done(p_org uuid, p_from timestamptz, p_to timestamptz)
returns table (item_id uuid, day date, source_kind text, source_id text)
language sql stable set search_path = '' as $$
  select i.id, (max(a.submitted_at) at time zone 'UTC')::date, i.source_kind, i.source_id
  from public.review_items i
  join public.review_assignments a on a.item_id = i.id and a.status = 'submitted'
  where i.org_id = p_org and i.status = 'complete'
  group by i.id
  having max(a.submitted_at) >= p_from and max(a.submitted_at) < p_to
$$;
grant execute on function private.board_review_done(uuid, timestamptz, timestamptz) to authenticated, service_role;

create or replace function public.board_review(p_org uuid, p_from date, p_to date) returns jsonb
language plpgsql stable set search_path = '' as $$
declare
  v_from timestamptz := (p_from::timestamp at time zone 'UTC');
  v_to timestamptz := ((p_to + 1)::timestamp at time zone 'UTC');
  v_throughput jsonb;
  v_rubrics jsonb;
  v_units jsonb;
  v_cost jsonb := null;
begin
  perform private.require_capability(p_org, 'review:report', 'The organization');
  -- private.assert_board_range's rule; that helper is for the definer boards, not granted to callers.
  if p_from is null or p_to is null or p_from > p_to then
    raise exception 'Board range needs p_from <= p_to' using errcode = '22023';
  end if;
  if p_to - p_from > 366 then
    raise exception 'Board range is limited to 366 days' using errcode = '22023';
  end if;

  select coalesce(jsonb_agg(jsonb_build_object('day', t.day, 'reviewer_id', t.reviewer_id, 'items', t.items) order by t.day, t.reviewer_id), '[]'::jsonb)
    into v_throughput
  from (
    select (a.submitted_at at time zone 'UTC')::date as day, a.reviewer_id, count(*)::integer as items
    from public.review_assignments a
    where a.org_id = p_org and a.status = 'submitted' and a.submitted_at >= v_from and a.submitted_at < v_to
    group by 1, 2
  ) t;

  select coalesce(jsonb_agg(jsonb_build_object('day', u.day, 'rubric_id', u.score_config_id, 'values', u.vals) order by u.day, u.score_config_id, u.item_id), '[]'::jsonb)
    into v_units
  from (
    select d.day, d.item_id, s.score_config_id, jsonb_agg(s.value order by s.reviewer_id) as vals
    from private.board_review_done(p_org, v_from, v_to) d join public.scores s on s.item_id = d.item_id
    group by 1, 2, 3
  ) u;

  select coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'version', c.version, 'kind', c.kind, 'min_value', c.min_value,
           'max_value', c.max_value, 'step', c.step, 'levels', c.levels, 'categories', c.categories, 'multi', c.multi) order by c.name, c.version), '[]'::jsonb)
    into v_rubrics
  from public.score_configs c
  where c.org_id = p_org and c.id in (select (x ->> 'rubric_id')::uuid from jsonb_array_elements(v_units) x);

  if private.can(p_org, 'usage:read') or (private.is_privileged() and (select auth.uid()) is null) then
    select coalesce(jsonb_agg(jsonb_build_object('day', c.day, 'items', c.items, 'judge_usd', round(c.judge_usd, 6), 'source_usd', round(c.source_usd, 6),
             'cost_usd', round(c.judge_usd + c.source_usd, 6), 'judge_tokens', c.judge_tokens) order by c.day), '[]'::jsonb)
      into v_cost
    from (
      select d.day, count(*)::integer as items,
             coalesce(sum(j.usd), 0) as judge_usd, coalesce(sum(j.tokens), 0)::bigint as judge_tokens,
             coalesce(sum(case d.source_kind
               when 'ai_requests' then (select r.cost_usd from public.ai_requests r where r.org_id = p_org and r.id::text = d.source_id)
               when 'ab_eval' then (select coalesce((e.metrics -> 'a' ->> 'costUsd')::numeric, 0) + coalesce((e.metrics -> 'b' ->> 'costUsd')::numeric, 0)
                                    from public.eval_results e where e.org_id = p_org and e.id::text = d.source_id)
             end), 0) as source_usd
      from private.board_review_done(p_org, v_from, v_to) d
      left join lateral (
        select sum(js.cost_usd) as usd, sum(js.input_tokens + js.output_tokens) as tokens from public.judge_scores js where js.item_id = d.item_id
      ) j on true
      group by d.day
    ) c;
  end if;

  return jsonb_build_object('from', p_from, 'to', p_to, 'throughput', v_throughput,
                            'agreement', jsonb_build_object('rubrics', v_rubrics, 'units', v_units), 'cost', v_cost);
end $$;
grant execute on function public.board_review(uuid, date, date) to authenticated, service_role;

alter publication supabase_realtime add table public.judge_scores;

-- ---- human preference as gate evidence --------------------------------------------------------------------
-- A review queue over an A/B evaluation's items (a preference rubric) whose final preferences give B a
-- human win rate whose CI's lower bound clears the gate's threshold (shared/src/review/preference.ts) is
-- evidence the gate accepts: the promote-from-review function computes it from the rows the caller may
-- read and promotes through this function, which records the promotion as kind 'human_review' with the
-- evaluation as its evidence job and the numbers in the audit log. Service only, like the worker's gate:
-- no caller can hand in numbers of their own.
alter table public.prompt_promotions drop constraint prompt_promotions_kind_check;
alter table public.prompt_promotions add constraint prompt_promotions_kind_check check (kind in ('gate', 'override', 'rollback', 'initial', 'human_review'));

create or replace function public.promote_prompt_version_from_review(p_version_id uuid, p_job_id uuid, p_queue_id uuid, p_evidence jsonb, p_actor uuid)
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
    perform private.raise_http(409, 'not_candidate', format('Version %s is %s; only candidates are promoted', v.version, v.status));
  end if;
  -- The evidence must be about this version, in its organization: the queue reviews that evaluation,
  -- whose B is this version, and the person acting may promote there.
  if not exists (select 1 from public.review_queues q where q.id = p_queue_id and q.org_id = v.org_id and q.source_kind = 'ab_eval' and q.source ->> 'job_id' = p_job_id::text)
     or not exists (select 1 from public.jobs j where j.id = p_job_id and j.org_id = v.org_id and j.kind = 'ab_eval' and j.config -> 'variantB' ->> 'promptVersionId' = v.id::text) then
    perform private.raise_http(400, 'invalid_evidence', 'That review queue does not review an evaluation of this version in its organization');
  end if;
  if p_actor is null or not exists (
    select 1 from public.memberships m where m.org_id = v.org_id and m.user_id = p_actor and private.role_can(m.role, 'prompt:promote')) then
    perform private.raise_http(403, 'forbidden', 'This needs the prompt:promote permission');
  end if;
  perform private.audit(v.org_id, 'prompt.human_evidence', 'prompt_version', v.id::text,
    coalesce(p_evidence, '{}'::jsonb) || jsonb_build_object('queue_id', p_queue_id, 'job_id', p_job_id), p_actor);
  return private.apply_promotion(v.id, 'human_review', p_actor, p_job_id, left(coalesce(p_evidence ->> 'summary', 'human preference'), 2000));
end $$;
revoke all on function public.promote_prompt_version_from_review(uuid, uuid, uuid, jsonb, uuid) from public, anon, authenticated;
grant execute on function public.promote_prompt_version_from_review(uuid, uuid, uuid, jsonb, uuid) to service_role;
