-- Alerts and feedback themes: alert rules per organization (the defaults created for every new
-- organization), their firing/resolved state with one open alert per rule and scope, the event history,
-- notification channels and the delivery log; hourly rollups the worker evaluates rules from (never raw
-- scans); and the themes job's output (themes and the feedback each one holds).
--
-- Who: managers and admins read alerts (alert:read); admins edit rules and channels, acknowledge and
-- mute (alert:manage). Themes are read by every member (they are built from feedback, which every member
-- reads). The worker (service role / owner) evaluates, delivers and writes themes.

-- ---- capabilities and job kinds --------------------------------------------------------------------------
insert into private.role_capabilities (role, capability) values ('admin', 'alert:read'), ('manager', 'alert:read');

alter type public.job_kind add value if not exists 'themes';
insert into private.job_kinds (kind, capability) values ('themes', 'job:start');

-- ---- hourly rollups (what alert rules read) --------------------------------------------------------------
-- The daily rollups (observability) cannot answer "p95 over the last hour" or "per prompt version", so
-- these keep hourly buckets with the prompt version, filled by statement-level triggers like the daily
-- ones: a bulk insert costs one upsert per (org, hour, model, function, version).
create table private.ai_usage_hourly (
  org_id uuid not null references public.organizations (id) on delete cascade,
  hour timestamptz not null,
  model text not null,
  function_name text not null,
  prompt_version_id uuid,
  requests bigint not null default 0,
  errors bigint not null default 0,
  tokens bigint not null default 0,
  cost_usd numeric(18, 8) not null default 0,
  -- cumulative log-scale histogram, same buckets as public.ai_usage_daily.latency_hist
  latency_hist integer[] not null default private.empty_latency_hist()
);
create unique index ai_usage_hourly_key on private.ai_usage_hourly (org_id, hour, model, function_name, prompt_version_id) nulls not distinct;
create index ai_usage_hourly_hour_idx on private.ai_usage_hourly (hour, org_id);

create table private.feedback_hourly (
  org_id uuid not null references public.organizations (id) on delete cascade,
  hour timestamptz not null,
  model text not null default '',
  prompt_version_id uuid,
  ratings bigint not null default 0,
  rating_sum bigint not null default 0
);
create unique index feedback_hourly_key on private.feedback_hourly (org_id, hour, model, prompt_version_id) nulls not distinct;
create index feedback_hourly_hour_idx on private.feedback_hourly (hour, org_id);

alter table private.ai_usage_hourly enable row level security;
alter table private.feedback_hourly enable row level security;

create or replace function private.ai_usage_hourly_apply(p_rows text, p_sign integer) returns text
language plpgsql immutable set search_path = '' as $$
begin
  -- p_rows is a transition table of the calling trigger, or the table itself for the backfill.
  if p_rows not in ('new_rows', 'old_rows', 'public.ai_requests') or p_sign not in (-1, 1) then
    raise exception 'ai_usage_hourly_apply: unexpected source %', p_rows;
  end if;
  return format($q$
    with grouped as (
      select r.org_id, date_trunc('hour', r.created_at) as hour, r.model, r.function_name,
             coalesce(r.prompt_version_id, '00000000-0000-0000-0000-000000000000'::uuid) as pvk,
             private.latency_bucket(r.latency_ms) as bucket, count(*) as n,
             count(*) filter (where r.status = 'error') as errors,
             sum(r.input_tokens + r.output_tokens) as tokens, sum(r.cost_usd) as cost_usd
      from %1$s r
      where exists (select 1 from public.organizations o where o.id = r.org_id)
      group by 1, 2, 3, 4, 5, 6
    ), per_key as (
      select org_id, hour, model, function_name, pvk, sum(n) as n, sum(errors) as errors,
             sum(tokens) as tokens, sum(cost_usd) as cost_usd
      from grouped group by 1, 2, 3, 4, 5
    ), cumulative as (
      select k.org_id, k.hour, k.model, k.function_name, k.pvk, b.b,
             sum(coalesce(g.n, 0)) over (partition by k.org_id, k.hour, k.model, k.function_name, k.pvk order by b.b) as c
      from per_key k
      cross join generate_series(1, 80) as b(b)
      left join grouped g on g.org_id = k.org_id and g.hour = k.hour and g.model = k.model
                         and g.function_name = k.function_name and g.pvk = k.pvk and g.bucket = b.b
    ), hists as (
      select org_id, hour, model, function_name, pvk, array_agg(c::integer order by b) as hist
      from cumulative group by 1, 2, 3, 4, 5
    )
    insert into private.ai_usage_hourly as d (org_id, hour, model, function_name, prompt_version_id, requests, errors, tokens, cost_usd, latency_hist)
    select k.org_id, k.hour, k.model, k.function_name, nullif(k.pvk, '00000000-0000-0000-0000-000000000000'::uuid),
           %2$s * k.n, %2$s * k.errors, %2$s * k.tokens, %2$s * k.cost_usd,
           case when %2$s > 0 then h.hist else private.int_array_sub(private.empty_latency_hist(), h.hist) end
    from per_key k join hists h using (org_id, hour, model, function_name, pvk)
    order by 1, 2, 3, 4, 5
    on conflict (org_id, hour, model, function_name, prompt_version_id) do update set
      requests = d.requests + excluded.requests, errors = d.errors + excluded.errors, tokens = d.tokens + excluded.tokens,
      cost_usd = d.cost_usd + excluded.cost_usd, latency_hist = private.int_array_add(d.latency_hist, excluded.latency_hist)
  $q$, p_rows, p_sign);
end $$;

create or replace function private.ai_usage_hourly_rollup() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'DELETE' then
    execute private.ai_usage_hourly_apply('old_rows', -1);
  else
    execute private.ai_usage_hourly_apply('new_rows', 1);
  end if;
  return null;
end $$;
create trigger ai_requests_hourly_insert after insert on public.ai_requests
  referencing new table as new_rows for each statement execute function private.ai_usage_hourly_rollup();
create trigger ai_requests_hourly_delete after delete on public.ai_requests
  referencing old table as old_rows for each statement execute function private.ai_usage_hourly_rollup();

create or replace function private.feedback_hourly_apply(p_sign integer) returns text
language sql immutable set search_path = '' as $$
  select format($q$
    insert into private.feedback_hourly as d (org_id, hour, model, prompt_version_id, ratings, rating_sum)
    select r.org_id, date_trunc('hour', r.created_at), coalesce(r.model, ''), r.prompt_version_id,
           %2$s * count(*), %2$s * sum(r.rating)
    from %1$s r
    where exists (select 1 from public.organizations o where o.id = r.org_id)
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (org_id, hour, model, prompt_version_id) do update set
      ratings = d.ratings + excluded.ratings, rating_sum = d.rating_sum + excluded.rating_sum
  $q$, case when p_sign > 0 then 'new_rows' else 'old_rows' end, p_sign)
$$;

create or replace function private.feedback_hourly_rollup() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'UPDATE' then
    if not exists (
      select 1 from old_rows o join new_rows n on n.id = o.id
      where n.rating <> o.rating or n.created_at <> o.created_at or n.model is distinct from o.model
         or n.prompt_version_id is distinct from o.prompt_version_id
    ) then
      return null;
    end if;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    execute private.feedback_hourly_apply(-1);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    execute private.feedback_hourly_apply(1);
  end if;
  return null;
end $$;
create trigger feedback_hourly_insert after insert on public.feedback
  referencing new table as new_rows for each statement execute function private.feedback_hourly_rollup();
create trigger feedback_hourly_update after update on public.feedback
  referencing old table as old_rows new table as new_rows for each statement execute function private.feedback_hourly_rollup();
create trigger feedback_hourly_delete after delete on public.feedback
  referencing old table as old_rows for each statement execute function private.feedback_hourly_rollup();

-- Backfill from what exists (a deployed project has history; a fresh one has none).
do $$ begin execute private.ai_usage_hourly_apply('public.ai_requests', 1); end $$;
insert into private.feedback_hourly (org_id, hour, model, prompt_version_id, ratings, rating_sum)
select org_id, date_trunc('hour', created_at), coalesce(model, ''), prompt_version_id, count(*), sum(rating)
from public.feedback group by 1, 2, 3, 4;

-- ---- notification channels --------------------------------------------------------------------------------
create table public.notification_channels (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 80),
  kind text not null check (kind in ('webhook', 'email')),
  -- an https?:// URL for a webhook, an address for email
  target text not null check (char_length(target) between 3 and 2000),
  enabled boolean not null default true,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (org_id, id),
  constraint notification_channels_target_valid check (
    (kind = 'webhook' and target ~ '^https?://[^\s]+$') or (kind = 'email' and target ~ '^[^@\s]+@[^@\s]+$'))
);
create index notification_channels_org_idx on public.notification_channels (org_id);

-- Each channel's Standard Webhooks signing secret (whsec_ + base64 of two v4 UUIDs: 244 random bits), out of the API's
-- reach: an admin reads it through public.notification_channel_secret(), the worker directly.
create table private.notification_channel_secrets (
  channel_id uuid primary key references public.notification_channels (id) on delete cascade,
  secret text not null default ('whsec_' || encode(decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'), 'base64'))
);
alter table private.notification_channel_secrets enable row level security;

-- ---- alert rules ---------------------------------------------------------------------------------------------
create table public.alert_rules (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  -- set for the rules created from the defaults (one per key and organization), null for an admin's own
  default_key text check (default_key ~ '^[a-z_]+$'),
  name text not null check (char_length(name) between 1 and 120),
  metric text not null check (metric in ('llm_latency_p95_ms', 'llm_error_rate', 'tokens_per_day', 'drift_psi',
                                         'feedback_score', 'queue_depth', 'cost_per_day_usd', 'online_eval_score')),
  comparator text not null check (comparator in ('>', '<')),
  threshold double precision not null,
  level text not null default 'warning' check (level in ('warning', 'critical')),
  window_minutes integer not null default 60 check (window_minutes between 1 and 43200),
  -- fewer observations than this in the window: no verdict (quiet hours do not alarm)
  min_sample integer not null default 1 check (min_sample >= 0),
  -- a firing alert resolves only after the value has been back this long
  hysteresis_minutes integer not null default 10 check (hysteresis_minutes between 0 and 10080),
  scope text not null default 'org' check (scope in ('org', 'function', 'model', 'prompt_version')),
  -- with a scope other than org: only this function/model/version; null = each one separately
  scope_value text check (char_length(scope_value) <= 200),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by uuid references auth.users (id) on delete set null,
  unique (org_id, id),
  unique (org_id, default_key)
);

create table public.alert_rule_channels (
  org_id uuid not null references public.organizations (id) on delete cascade,
  rule_id uuid not null,
  channel_id uuid not null,
  primary key (rule_id, channel_id),
  foreign key (org_id, rule_id) references public.alert_rules (org_id, id) on delete cascade,
  foreign key (org_id, channel_id) references public.notification_channels (org_id, id) on delete cascade
);
create index alert_rule_channels_channel_idx on public.alert_rule_channels (channel_id);

-- The defaults of the QMS/ML-loop seed, created for every organization (trigger below + backfill).
create or replace function private.create_default_alert_rules(p_org uuid) returns void
language sql security definer set search_path = '' as $$
  insert into public.alert_rules (org_id, default_key, name, metric, comparator, threshold, level, window_minutes, min_sample, hysteresis_minutes, enabled)
  values
    (p_org, 'llm_latency', 'LLM latency p95 above 30 s', 'llm_latency_p95_ms', '>', 30000, 'warning', 60, 20, 15, true),
    (p_org, 'llm_errors', 'LLM error rate above 5%', 'llm_error_rate', '>', 0.05, 'critical', 60, 20, 15, true),
    (p_org, 'tokens_per_day', 'More than 1,000,000 tokens a day', 'tokens_per_day', '>', 1000000, 'warning', 1440, 1, 60, true),
    (p_org, 'drift', 'Rating drift (PSI) above 0.3', 'drift_psi', '>', 0.3, 'warning', 2880, 30, 0, true),
    (p_org, 'feedback_score', 'Average feedback score below 0.6', 'feedback_score', '<', 0.6, 'critical', 1440, 20, 60, true),
    (p_org, 'queue_depth', 'More than 100 jobs waiting', 'queue_depth', '>', 100, 'warning', 1, 0, 10, true),
    (p_org, 'daily_cost', 'Daily LLM cost above $50', 'cost_per_day_usd', '>', 50, 'warning', 1440, 1, 60, true),
    -- Off until online evaluation scores exist (the datasets/experiments issue).
    (p_org, 'online_eval', 'Online evaluation score below 0.7', 'online_eval_score', '<', 0.7, 'warning', 1440, 20, 60, false)
  on conflict (org_id, default_key) do nothing
$$;

create or replace function private.on_org_created_alert_rules() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform private.create_default_alert_rules(new.id);
  return null;
end $$;
create trigger organizations_default_alert_rules after insert on public.organizations
  for each row execute function private.on_org_created_alert_rules();

select private.create_default_alert_rules(o.id) from public.organizations o;

-- ---- alerts: firing/resolved state, one open per rule and scope ------------------------------------------
create table public.alerts (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  rule_id uuid not null,
  -- '' for an organization-wide rule; the function/model/version otherwise
  scope_key text not null default '',
  status text not null default 'firing' check (status in ('firing', 'resolved')),
  level text not null check (level in ('warning', 'critical')),
  metric text not null,
  comparator text not null,
  threshold double precision not null,
  -- the value that fired it, and the latest one seen
  value double precision,
  sample bigint,
  last_value double precision,
  last_sample bigint,
  -- since when the value has been back (hysteresis); null while it still crosses the threshold
  clear_since timestamptz,
  -- where to look: a board or a job, as an app path under /o/<slug>/
  link text,
  opened_at timestamptz not null default now(),
  last_evaluated_at timestamptz not null default now(),
  resolved_at timestamptz,
  acknowledged_at timestamptz,
  acknowledged_by uuid references auth.users (id) on delete set null,
  ack_note text check (char_length(ack_note) <= 2000),
  muted_until timestamptz,
  unique (org_id, id),
  foreign key (org_id, rule_id) references public.alert_rules (org_id, id) on delete cascade
);
create unique index alerts_one_open_per_rule_scope on public.alerts (rule_id, scope_key) where status = 'firing';
create index alerts_org_idx on public.alerts (org_id, opened_at desc);

create table public.alert_events (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.organizations (id) on delete cascade,
  alert_id uuid not null,
  kind text not null check (kind in ('fired', 'resolved', 'acknowledged', 'muted', 'unmuted')),
  value double precision,
  sample bigint,
  note text check (char_length(note) <= 2000),
  actor_id uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  foreign key (org_id, alert_id) references public.alerts (org_id, id) on delete cascade
);
create index alert_events_alert_idx on public.alert_events (alert_id, id);
create index alert_events_org_idx on public.alert_events (org_id, created_at desc);

-- ---- deliveries: one row per (alert event, channel), sent by the queue's `notify` task ---------------------
create table public.notification_deliveries (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  channel_id uuid not null,
  alert_id uuid,
  event text not null check (event in ('fired', 'resolved', 'test', 'retrain')),
  status text not null default 'pending' check (status in ('pending', 'retrying', 'delivered', 'failed')),
  attempts integer not null default 0,
  last_error text,
  last_status_code integer,
  payload jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  delivered_at timestamptz,
  unique (org_id, id),
  foreign key (org_id, channel_id) references public.notification_channels (org_id, id) on delete cascade,
  foreign key (org_id, alert_id) references public.alerts (org_id, id) on delete cascade
);
create index notification_deliveries_org_idx on public.notification_deliveries (org_id, created_at desc);

-- ---- feedback themes -------------------------------------------------------------------------------------------
create table public.feedback_themes (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  job_id uuid,
  name text not null check (char_length(name) between 1 and 200),
  summary text not null default '',
  keywords text[] not null default '{}',
  size integer not null check (size >= 0),
  avg_rating double precision,
  -- items in the previous window of the same length that fall nearest this theme (trend)
  previous_size integer not null default 0,
  window_from timestamptz not null,
  window_to timestamptz not null,
  -- only the latest run's themes are current; earlier runs stay, so items keep their theme
  is_current boolean not null default true,
  created_at timestamptz not null default now(),
  unique (org_id, id),
  foreign key (org_id, job_id) references public.jobs (org_id, id) on delete set null (job_id)
);
create index feedback_themes_org_idx on public.feedback_themes (org_id, is_current, size desc);

create table public.feedback_theme_items (
  org_id uuid not null references public.organizations (id) on delete cascade,
  theme_id uuid not null,
  feedback_id uuid not null,
  -- cosine similarity to the theme's centroid (1 = its most typical item)
  similarity double precision not null,
  primary key (theme_id, feedback_id),
  foreign key (org_id, theme_id) references public.feedback_themes (org_id, id) on delete cascade,
  foreign key (org_id, feedback_id) references public.feedback (org_id, id) on delete cascade
);
create index feedback_theme_items_feedback_idx on public.feedback_theme_items (feedback_id);

-- ---- grants ----------------------------------------------------------------------------------------------------
grant select on public.notification_channels to authenticated;
grant insert (id, org_id, name, kind, target, enabled, created_by) on public.notification_channels to authenticated;
grant update (name, target, enabled) on public.notification_channels to authenticated;
grant delete on public.notification_channels to authenticated;
grant select, delete on public.alert_rules to authenticated;
-- default_key is the defaults' own (the backfill's idempotence): people add rules without one.
grant insert (id, org_id, name, metric, comparator, threshold, level, window_minutes, min_sample, hysteresis_minutes, scope, scope_value, enabled)
  on public.alert_rules to authenticated;
grant update (name, comparator, threshold, level, window_minutes, min_sample, hysteresis_minutes, scope, scope_value, enabled)
  on public.alert_rules to authenticated;
grant select, insert, delete on public.alert_rule_channels to authenticated;
grant select on public.alerts, public.alert_events, public.notification_deliveries to authenticated;
grant select on public.feedback_themes, public.feedback_theme_items to authenticated;

-- ---- triggers -----------------------------------------------------------------------------------------------------
create trigger notification_channels_created_by before insert or update on public.notification_channels
  for each row execute function private.stamp_actor('created_by');
create or replace function private.notification_channel_created() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into private.notification_channel_secrets (channel_id) values (new.id);
  return null;
end $$;
create trigger notification_channels_secret after insert on public.notification_channels
  for each row execute function private.notification_channel_created();
create trigger alert_rules_touch before update on public.alert_rules for each row execute function private.touch_updated_at();

create or replace function private.alert_rules_stamp() returns trigger
language plpgsql set search_path = '' as $$
begin
  if (select auth.uid()) is not null then
    new.updated_by := (select auth.uid());
  end if;
  return new;
end $$;
create trigger alert_rules_stamp before insert or update on public.alert_rules
  for each row execute function private.alert_rules_stamp();

-- ---- row-level security --------------------------------------------------------------------------------------------
alter table public.notification_channels enable row level security;
alter table public.alert_rules enable row level security;
alter table public.alert_rule_channels enable row level security;
alter table public.alerts enable row level security;
alter table public.alert_events enable row level security;
alter table public.notification_deliveries enable row level security;
alter table public.feedback_themes enable row level security;
alter table public.feedback_theme_items enable row level security;

create policy "Admins and managers can read notification channels" on public.notification_channels
  for select to authenticated using (org_id in (select private.orgs_where('alert:read')));
create policy "Admins can add notification channels" on public.notification_channels
  for insert to authenticated with check (org_id in (select private.orgs_where('alert:manage')));
create policy "Admins can change notification channels" on public.notification_channels
  for update to authenticated using (org_id in (select private.orgs_where('alert:manage')))
  with check (org_id in (select private.orgs_where('alert:manage')));
create policy "Admins can remove notification channels" on public.notification_channels
  for delete to authenticated using (org_id in (select private.orgs_where('alert:manage')));

create policy "Admins and managers can read alert rules" on public.alert_rules
  for select to authenticated using (org_id in (select private.orgs_where('alert:read')));
create policy "Admins can add alert rules" on public.alert_rules
  for insert to authenticated with check (org_id in (select private.orgs_where('alert:manage')));
create policy "Admins can edit alert rules" on public.alert_rules
  for update to authenticated using (org_id in (select private.orgs_where('alert:manage')))
  with check (org_id in (select private.orgs_where('alert:manage')));
create policy "Admins can remove alert rules" on public.alert_rules
  for delete to authenticated using (org_id in (select private.orgs_where('alert:manage')));

create policy "Admins and managers can read which channels a rule notifies" on public.alert_rule_channels
  for select to authenticated using (org_id in (select private.orgs_where('alert:read')));
create policy "Admins can route a rule to a channel" on public.alert_rule_channels
  for insert to authenticated with check (org_id in (select private.orgs_where('alert:manage')));
create policy "Admins can unroute a rule from a channel" on public.alert_rule_channels
  for delete to authenticated using (org_id in (select private.orgs_where('alert:manage')));

create policy "Admins and managers can read alerts" on public.alerts
  for select to authenticated using (org_id in (select private.orgs_where('alert:read')));
create policy "Admins and managers can read alert history" on public.alert_events
  for select to authenticated using (org_id in (select private.orgs_where('alert:read')));
create policy "Admins and managers can read the delivery log" on public.notification_deliveries
  for select to authenticated using (org_id in (select private.orgs_where('alert:read')));

create policy "Members can read their organization's feedback themes" on public.feedback_themes
  for select to authenticated using (org_id in (select private.my_org_ids()));
create policy "Members can read which feedback a theme holds" on public.feedback_theme_items
  for select to authenticated using (org_id in (select private.my_org_ids()));

-- ---- what the rules see (the worker's evaluation reads this, never raw rows) ------------------------------
create aggregate private.int_array_sum(integer[]) (sfunc = private.int_array_add, stype = integer[]);

-- One row per enabled rule and scope with data in its window: the value and the sample behind it. Windows
-- are whole hours from the hourly rollups (the hour containing the window's start onwards). A rule with
-- no row had nothing to compute from (no verdict).
create or replace function private.alert_observations(p_now timestamptz default now())
returns table (rule_id uuid, org_id uuid, scope_key text, value double precision, sample bigint, ref text)
language sql stable security definer set search_path = '' as $$
  with rules as (
    select r.id, r.org_id, r.metric, r.scope, r.scope_value, r.window_minutes,
           date_trunc('hour', p_now - make_interval(mins => r.window_minutes)) as since
    from public.alert_rules r where r.enabled
  ), ai as (
    select r.id as rule_id, r.org_id, r.metric, r.window_minutes, k.scope_key,
           sum(u.requests) as requests, sum(u.errors) as errors, sum(u.tokens) as tokens, sum(u.cost_usd) as cost,
           private.int_array_sum(u.latency_hist) filter (where r.metric = 'llm_latency_p95_ms') as hist
    from rules r
    join private.ai_usage_hourly u on u.org_id = r.org_id and u.hour >= r.since and u.hour <= p_now
    cross join lateral (select case r.scope when 'function' then u.function_name when 'model' then u.model
                                            when 'prompt_version' then coalesce(u.prompt_version_id::text, '') else '' end as scope_key) k
    where r.metric in ('llm_latency_p95_ms', 'llm_error_rate', 'tokens_per_day', 'cost_per_day_usd')
      and (r.scope = 'org' or r.scope_value is null or k.scope_key = r.scope_value)
    group by 1, 2, 3, 4, 5
  ), fb as (
    select r.id as rule_id, r.org_id, k.scope_key, sum(f.ratings) as ratings, sum(f.rating_sum) as rating_sum
    from rules r
    join private.feedback_hourly f on f.org_id = r.org_id and f.hour >= r.since and f.hour <= p_now
    cross join lateral (select case r.scope when 'model' then f.model when 'prompt_version' then coalesce(f.prompt_version_id::text, '')
                                            else '' end as scope_key) k
    where r.metric = 'feedback_score' and (r.scope in ('org', 'function') or r.scope_value is null or k.scope_key = r.scope_value)
    group by 1, 2, 3
  ), drift as (
    -- the latest completed drift check in the window, per subject
    select r.id as rule_id, r.org_id, k.scope_key, max((s ->> 'psi')::float8) as psi,
           min(least((s ->> 'baselineCount')::bigint, (s ->> 'currentCount')::bigint)) filter (where s ->> 'psi' is not null) as sample,
           j.id::text as job_id
    from rules r
    cross join lateral (
      select j.id, j.result from public.jobs j
      where j.org_id = r.org_id and j.kind = 'drift' and j.status = 'completed' and j.finished_at >= p_now - make_interval(mins => r.window_minutes)
      order by j.finished_at desc limit 1
    ) j
    cross join lateral jsonb_array_elements(coalesce(j.result -> 'subjects', '[]'::jsonb)) s
    cross join lateral (select case r.scope when 'model' then coalesce(s ->> 'model', '') when 'prompt_version' then coalesce(s ->> 'promptVersionId', '')
                                            else '' end as scope_key) k
    where r.metric = 'drift_psi' and s ->> 'psi' is not null
      and (r.scope in ('org', 'function') or r.scope_value is null or k.scope_key = r.scope_value)
    group by 1, 2, 3, j.id
  )
  select a.rule_id, a.org_id, a.scope_key,
         case a.metric when 'llm_latency_p95_ms' then (private.hist_quantiles(a.hist, '{0.95}'))[1]
                       when 'llm_error_rate' then a.errors::float8 / nullif(a.requests, 0)
                       when 'tokens_per_day' then a.tokens::float8 * 1440 / a.window_minutes
                       else a.cost::float8 * 1440 / a.window_minutes end,
         a.requests::bigint, null::text
  from ai a
  union all
  select fb.rule_id, fb.org_id, fb.scope_key, (fb.rating_sum::float8 / nullif(fb.ratings, 0) - 1) / 4, fb.ratings::bigint, null
  from fb
  union all
  select d.rule_id, d.org_id, d.scope_key, d.psi, d.sample, d.job_id from drift d
  union all
  select r.id, r.org_id, '', count(q.id)::float8, count(q.id)::bigint, null
  from rules r left join public.job_queue q on q.org_id = r.org_id and q.state = 'queued' and q.job_id is not null
  where r.metric = 'queue_depth'
  group by r.id, r.org_id
$$;
revoke all on function private.alert_observations(timestamptz) from public, anon, authenticated;

-- ---- functions people call -------------------------------------------------------------------------------------------

create or replace function private.load_alert(p_alert_id uuid, p_capability text) returns public.alerts
language plpgsql stable set search_path = '' as $$
declare
  a public.alerts;
begin
  select * into a from public.alerts where id = p_alert_id;
  if not found or not (private.is_privileged() or private.is_member(a.org_id)) then
    perform private.raise_http(404, 'not_found', 'The alert was not found');
  end if;
  perform private.require_capability(a.org_id, p_capability, 'The alert');
  return a;
end $$;

-- Acknowledging says "someone is on it": the alert keeps firing until the value is back, but the badge
-- stops counting it.
create or replace function public.acknowledge_alert(p_alert_id uuid, p_note text default null)
returns public.alerts
language plpgsql volatile security definer set search_path = '' as $$
declare
  a public.alerts;
begin
  a := private.load_alert(p_alert_id, 'alert:manage');
  if p_note is not null and char_length(p_note) > 2000 then
    perform private.raise_http(400, 'invalid_input', 'A note is at most 2,000 characters');
  end if;
  update public.alerts set acknowledged_at = now(), acknowledged_by = (select auth.uid()), ack_note = nullif(btrim(p_note), '')
   where id = p_alert_id returning * into a;
  insert into public.alert_events (org_id, alert_id, kind, note, actor_id)
  values (a.org_id, a.id, 'acknowledged', a.ack_note, (select auth.uid()));
  perform private.audit(a.org_id, 'alert.acknowledged', 'alert', a.id::text, jsonb_build_object('note', a.ack_note));
  return a;
end $$;

-- Muting stops notifications for this alert until p_until (null = unmute); evaluation goes on.
create or replace function public.mute_alert(p_alert_id uuid, p_until timestamptz)
returns public.alerts
language plpgsql volatile security definer set search_path = '' as $$
declare
  a public.alerts;
begin
  a := private.load_alert(p_alert_id, 'alert:manage');
  if p_until is not null and (p_until <= now() or p_until > now() + interval '30 days') then
    perform private.raise_http(400, 'invalid_input', 'Mute for between now and 30 days');
  end if;
  update public.alerts set muted_until = p_until where id = p_alert_id returning * into a;
  insert into public.alert_events (org_id, alert_id, kind, note, actor_id)
  values (a.org_id, a.id, case when p_until is null then 'unmuted' else 'muted' end,
          case when p_until is null then null else 'until ' || to_char(p_until at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') end,
          (select auth.uid()));
  perform private.audit(a.org_id, 'alert.muted', 'alert', a.id::text, jsonb_build_object('until', p_until));
  return a;
end $$;

-- The signing secret, for an admin configuring the receiver.
create or replace function public.notification_channel_secret(p_channel_id uuid) returns text
language plpgsql stable security definer set search_path = '' as $$
declare
  c public.notification_channels;
begin
  select * into c from public.notification_channels where id = p_channel_id;
  if not found or not (private.is_privileged() or private.is_member(c.org_id)) then
    perform private.raise_http(404, 'not_found', 'The channel was not found');
  end if;
  perform private.require_capability(c.org_id, 'alert:manage', 'The channel');
  return (select s.secret from private.notification_channel_secrets s where s.channel_id = c.id);
end $$;

-- A delivery row and its queue entry in one transaction (the worker's `notify` task sends it).
create or replace function private.enqueue_delivery(p_org uuid, p_channel uuid, p_alert uuid, p_event text, p_payload jsonb)
returns uuid
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_id uuid;
begin
  insert into public.notification_deliveries (org_id, channel_id, alert_id, event, payload)
  values (p_org, p_channel, p_alert, p_event, coalesce(p_payload, '{}'::jsonb))
  returning id into v_id;
  insert into public.job_queue (task, payload, org_id, max_attempts)
  values ('notify', jsonb_build_object('deliveryId', v_id), p_org, 6);
  return v_id;
end $$;

create or replace function public.send_test_notification(p_channel_id uuid) returns uuid
language plpgsql volatile security definer set search_path = '' as $$
declare
  c public.notification_channels;
begin
  select * into c from public.notification_channels where id = p_channel_id;
  if not found or not (private.is_privileged() or private.is_member(c.org_id)) then
    perform private.raise_http(404, 'not_found', 'The channel was not found');
  end if;
  perform private.require_capability(c.org_id, 'alert:manage', 'The channel');
  perform private.audit(c.org_id, 'alert.test_notification', 'notification_channel', c.id::text, '{}'::jsonb);
  return private.enqueue_delivery(c.org_id, c.id, null, 'test',
    jsonb_build_object('title', 'Test notification', 'text', format('Test notification for "%s" from the review workspace', c.name)));
end $$;

-- Runs the rule evaluation soon (the worker also runs it every minute).
create or replace function private.enqueue_alert_evaluation() returns void
language sql volatile security definer set search_path = '' as $$
  insert into public.job_queue (task, payload, max_attempts, priority) values ('alerts_evaluate', '{}'::jsonb, 1, 1)
$$;

revoke all on function private.create_default_alert_rules(uuid), private.enqueue_delivery(uuid, uuid, uuid, text, jsonb),
  private.enqueue_alert_evaluation(), private.load_alert(uuid, text) from public, anon, authenticated;
grant execute on function public.acknowledge_alert(uuid, text), public.mute_alert(uuid, timestamptz),
  public.notification_channel_secret(uuid), public.send_test_notification(uuid) to authenticated, service_role;

-- ---- retrain, closed: accept a proposal in one click -------------------------------------------------------
-- Accepting starts the fine-tune; when it completes, an A/B evaluation of the retrained model against what
-- production serves starts by itself (on its own held-out split); every step notifies the channels of the
-- organization's drift rule.
alter table public.retrain_proposals add column ab_eval_job_id uuid;
alter table public.retrain_proposals add foreign key (org_id, ab_eval_job_id) references public.jobs (org_id, id) on delete set null (ab_eval_job_id);

-- The seed's ML_MIN_SAMPLES_FOR_RETRAIN and ML_QUALITY_THRESHOLD, per organization. Null = the worker's
-- deployment-wide default (ML_MIN_SAMPLES_FOR_RETRAIN) / no floor.
--   min_samples_for_retrain: approved answers since the last model before the drift job proposes a retrain;
--   quality_threshold: the held-out accuracy a retrained model needs before it is evaluated against production.
create table public.ml_settings (
  org_id uuid primary key references public.organizations (id) on delete cascade,
  min_samples_for_retrain integer check (min_samples_for_retrain between 1 and 1000000),
  quality_threshold real check (quality_threshold between 0 and 1),
  updated_at timestamptz not null default now(),
  updated_by uuid references auth.users (id) on delete set null
);
grant select on public.ml_settings to authenticated;
grant update (min_samples_for_retrain, quality_threshold) on public.ml_settings to authenticated;
create trigger ml_settings_touch before update on public.ml_settings for each row execute function private.touch_updated_at();
create trigger ml_settings_stamp before update on public.ml_settings for each row execute function private.alert_rules_stamp();
alter table public.ml_settings enable row level security;
create policy "Admins and managers can read the retrain settings" on public.ml_settings
  for select to authenticated using (org_id in (select private.orgs_where('alert:read')));
create policy "Admins can change the retrain settings" on public.ml_settings
  for update to authenticated using (org_id in (select private.orgs_where('alert:manage')))
  with check (org_id in (select private.orgs_where('alert:manage')));

create or replace function private.on_org_created_ml_settings() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.ml_settings (org_id) values (new.id) on conflict do nothing;
  return null;
end $$;
create trigger organizations_ml_settings after insert on public.organizations
  for each row execute function private.on_org_created_ml_settings();
insert into public.ml_settings (org_id) select id from public.organizations on conflict do nothing;

create or replace function private.notify_retrain(p_org uuid, p_title text, p_text text, p_details jsonb) returns void
language sql volatile security definer set search_path = '' as $$
  select private.enqueue_delivery(rc.org_id, rc.channel_id, null, 'retrain',
           jsonb_build_object('title', p_title, 'text', p_text, 'retrain', p_details))
  from public.alert_rules r
  join public.alert_rule_channels rc on rc.rule_id = r.id
  join public.notification_channels c on c.id = rc.channel_id and c.enabled
  where r.org_id = p_org and r.default_key = 'drift'
$$;

create or replace function public.accept_retrain_proposal(p_proposal_id uuid) returns jsonb
language plpgsql volatile security definer set search_path = '' as $$
declare
  p public.retrain_proposals;
  r record;
begin
  select * into p from public.retrain_proposals where id = p_proposal_id;
  if not found or not (private.is_privileged() or private.is_member(p.org_id)) then
    perform private.raise_http(404, 'not_found', 'The retrain proposal was not found');
  end if;
  perform private.require_capability(p.org_id, 'alert:manage', 'The retrain proposal');
  perform private.require_capability(p.org_id, 'job:start', 'The retrain proposal');
  select * into p from public.retrain_proposals where id = p_proposal_id for update;
  if p.status <> 'open' then
    perform private.raise_http(409, 'not_open', format('This proposal was already %s', p.status));
  end if;
  select * into r from private.enqueue_job(p.org_id, 'fine_tune', 'Retrain: ' || left(p.reason, 100),
    '{"trainer": "local", "validationFraction": 0.25}'::jsonb, (select auth.uid()), 'offline-strong-1', '{}', 'retrain:' || p.id::text);
  update public.retrain_proposals set status = 'accepted', fine_tune_job_id = (r.job).id where id = p.id;
  perform private.audit(p.org_id, 'retrain.accepted', 'retrain_proposal', p.id::text, jsonb_build_object('fine_tune_job_id', (r.job).id));
  perform private.notify_retrain(p.org_id, 'Retrain started', format('A retrain was accepted (%s); the fine-tune is running.', p.reason),
    jsonb_build_object('step', 'fine_tune_started', 'proposalId', p.id, 'jobId', (r.job).id));
  return jsonb_build_object('proposalId', p.id, 'fineTuneJobId', (r.job).id);
end $$;
grant execute on function public.accept_retrain_proposal(uuid) to authenticated, service_role;
revoke all on function private.notify_retrain(uuid, text, text, jsonb) from public, anon, authenticated;

create or replace function private.retrain_job_finished() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  p public.retrain_proposals;
  v_model text;
  v_accuracy real;
  v_floor real;
  r record;
begin
  if new.kind = 'fine_tune' then
    select * into p from public.retrain_proposals where fine_tune_job_id = new.id;
    if not found then
      return null;
    end if;
    if new.status <> 'completed' then
      perform private.notify_retrain(new.org_id, 'Retrain failed', format('The retrain fine-tune ended %s: %s', new.status, coalesce(new.error, '')),
        jsonb_build_object('step', 'fine_tune_' || new.status, 'proposalId', p.id, 'jobId', new.id));
      return null;
    end if;
    select m.served_model, m.accuracy into v_model, v_accuracy from public.models m where m.org_id = new.org_id and m.job_id = new.id;
    if v_model is null then
      return null;
    end if;
    select s.quality_threshold into v_floor from public.ml_settings s where s.org_id = new.org_id;
    if v_floor is not null and coalesce(v_accuracy, 0) < v_floor then
      perform private.notify_retrain(new.org_id, 'Retrain: below the quality threshold',
        format('The retrained model (%s) scored %s on its held-out split, below the threshold of %s; it is not evaluated against production.',
               v_model, coalesce(round(v_accuracy::numeric, 3)::text, 'nothing'), v_floor),
        jsonb_build_object('step', 'below_quality_threshold', 'proposalId', p.id, 'jobId', new.id, 'accuracy', v_accuracy, 'threshold', v_floor));
      return null;
    end if;
    select * into r from private.enqueue_job(new.org_id, 'ab_eval', 'Retrain: retrained model vs production',
      jsonb_build_object(
        'variantA', jsonb_build_object('live', 'suggest-answer', 'label', 'Production'),
        'variantB', jsonb_build_object('live', 'suggest-answer', 'model', v_model, 'label', 'Retrained'),
        'evalSet', jsonb_build_object('source', 'training_examples', 'holdoutOfJobId', new.id),
        'primaryMetric', 'f1'),
      new.created_by, null, '{}', 'retrain-eval:' || p.id::text);
    update public.retrain_proposals set ab_eval_job_id = (r.job).id where id = p.id;
    perform private.notify_retrain(new.org_id, 'Retrain: fine-tune completed',
      format('The retrained model (%s) is ready; an A/B evaluation against production has started.', v_model),
      jsonb_build_object('step', 'ab_eval_started', 'proposalId', p.id, 'jobId', (r.job).id, 'model', v_model));
  elsif new.kind = 'ab_eval' then
    select * into p from public.retrain_proposals where ab_eval_job_id = new.id;
    if not found then
      return null;
    end if;
    perform private.notify_retrain(new.org_id, 'Retrain: evaluation finished',
      case when new.status <> 'completed' then format('The evaluation ended %s: %s', new.status, coalesce(new.error, ''))
           when coalesce((new.result -> 'analysis' -> 'gate' ->> 'passed')::boolean, false) then 'The retrained model passed the gate against production.'
           else 'The retrained model did not pass the gate against production.' end,
      jsonb_build_object('step', 'ab_eval_' || new.status, 'proposalId', p.id, 'jobId', new.id,
                         'gatePassed', new.result -> 'analysis' -> 'gate' -> 'passed'));
  end if;
  return null;
end $$;
create trigger jobs_retrain_chain after update of status on public.jobs
  for each row when (old.status is distinct from new.status and new.status in ('completed', 'failed', 'cancelled') and new.kind in ('fine_tune', 'ab_eval'))
  execute function private.retrain_job_finished();

-- ---- live tables -------------------------------------------------------------------------------------------------------
alter table public.alerts replica identity full;
alter publication supabase_realtime add table public.alerts, public.alert_events, public.notification_deliveries, public.feedback_themes;
