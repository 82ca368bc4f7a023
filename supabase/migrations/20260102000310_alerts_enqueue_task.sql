-- Alerts queue their internal tasks through the one queueing function (private.enqueue_task, from the
-- document-upkeep migration that landed beside this area), as ARCHITECTURE.md's internal-task recipe says.
-- Evaluations carry a job key, so a burst of requests (the seed, the minute's schedule on several workers)
-- leaves one waiting evaluation instead of one per request; deliveries stay one entry each.

create or replace function private.enqueue_delivery(p_org uuid, p_channel uuid, p_alert uuid, p_event text, p_payload jsonb)
returns uuid
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_id uuid;
begin
  insert into public.notification_deliveries (org_id, channel_id, alert_id, event, payload)
  values (p_org, p_channel, p_alert, p_event, coalesce(p_payload, '{}'::jsonb))
  returning id into v_id;
  perform private.enqueue_task('notify', jsonb_build_object('deliveryId', v_id), null, p_org, now(), 0, 6);
  return v_id;
end $$;

create or replace function private.enqueue_alert_evaluation() returns void
language sql volatile security definer set search_path = '' as $$
  select private.enqueue_task('alerts_evaluate', '{}'::jsonb, 'alerts_evaluate', null, now(), 1, 1);
$$;
