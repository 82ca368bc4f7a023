-- An experiment that stopped at its cost cap is "completed" with only part of its outputs. An admin who
-- decides the rest is worth paying for raises the cap, and the same job goes back to the queue: the worker
-- skips the (item, variant) pairs already stored and counts what they cost against the new cap, so
-- nothing runs twice and nothing already paid for is paid again.
-- A cancelled or failed experiment is resumed as it was (public.resume_experiment).

-- The largest cap a job config may carry: shared/src/jobs/config.ts EXPERIMENT_COST_CAP_MAX_USD holds the
-- same (tests/platform/shared-rules asserts they agree).
create or replace function private.experiment_cost_cap_max_usd() returns numeric
language sql immutable set search_path = '' as $$ select 100000::numeric $$;

create or replace function public.raise_experiment_cost_cap(p_experiment_id uuid, p_cost_cap_usd numeric)
returns public.job_status
language plpgsql volatile security definer set search_path = '' as $$
declare
  e public.experiments;
  j public.jobs;
  old_cap numeric;
begin
  select * into e from public.experiments where id = p_experiment_id;
  if not found or not (private.is_privileged() or private.is_member(e.org_id)) then
    perform private.raise_http(404, 'not_found', 'The experiment was not found');
  end if;
  perform private.require_capability(e.org_id, 'experiment:run', 'The experiment');
  select * into j from public.jobs where id = e.job_id for update;
  if j.status in ('pending', 'running') then
    perform private.raise_http(409, 'still_running', 'The experiment is still running; its cost cap can be raised once it stops there');
  end if;
  -- The worker's stop reason: shared/src/jobs/config.ts EXPERIMENT_STOPPED_AT_COST_CAP.
  if j.status = 'completed' and (j.result ->> 'stopped') is distinct from 'cost_cap' then
    perform private.raise_http(409, 'already_complete', 'The experiment scored every output; there is nothing left to pay for');
  end if;
  if j.status <> 'completed' then
    perform private.raise_http(409, 'not_at_cost_cap', 'The experiment did not stop at its cost cap; resume it instead');
  end if;
  old_cap := (j.config ->> 'costCapUsd')::numeric;
  if p_cost_cap_usd is null or p_cost_cap_usd <= 0 or p_cost_cap_usd > private.experiment_cost_cap_max_usd() then
    perform private.raise_http(422, 'invalid_input', format('The cost cap must be more than $0 and at most $%s', private.experiment_cost_cap_max_usd()));
  end if;
  if old_cap is not null and p_cost_cap_usd <= old_cap then
    perform private.raise_http(422, 'invalid_input', format('The new cost cap must be more than the current one ($%s)', old_cap));
  end if;

  update public.jobs
     set config = jsonb_set(config, '{costCapUsd}', to_jsonb(p_cost_cap_usd)),
         status = 'pending', cancel_requested = false, error = null, finished_at = null
   where id = j.id;
  insert into public.job_queue (task, payload, job_id, org_id) values ('experiment', jsonb_build_object('jobId', j.id), j.id, j.org_id)
  on conflict (job_id) do update set state = 'queued', run_at = now(), attempts = 0, last_error = null, locked_by = null, locked_until = null, updated_at = now();
  insert into public.job_events (job_id, org_id, step, message)
  values (j.id, j.org_id, 'resumed', format('Continued with a cost cap of $%s: outputs already scored are kept', p_cost_cap_usd));
  perform private.audit(e.org_id, 'experiment.cost_cap_raised', 'experiment', e.id::text,
                        jsonb_build_object('from', old_cap, 'to', p_cost_cap_usd));
  return 'pending';
end $$;

revoke all on function private.experiment_cost_cap_max_usd() from public, anon, authenticated;
revoke all on function public.raise_experiment_cost_cap(uuid, numeric) from public, anon;
grant execute on function public.raise_experiment_cost_cap(uuid, numeric) to authenticated, service_role;
