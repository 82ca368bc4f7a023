-- Live tables for postgres_changes, and Realtime Authorization for private channels.
-- Topics: org:<org id>  (inbox presence, claims)   case:<case id>  (case room, Yjs)
--         job:<job id>  (job progress)              prompt:<prompt version id> (candidate co-editing)

alter table public.feedback replica identity full;
alter table public.improvement_cases replica identity full;
alter table public.jobs replica identity full;
alter table public.models replica identity full;

alter publication supabase_realtime add table
  public.feedback, public.improvement_cases, public.comments, public.training_examples,
  public.jobs, public.job_events, public.models, public.prompt_versions, public.memberships;

-- The organization a topic belongs to, or null for topics outside this scheme.
create or replace function private.topic_org(p_topic text) returns uuid
language plpgsql stable security definer set search_path = '' as $$
declare
  kind text := split_part(p_topic, ':', 1);
  ident text := split_part(p_topic, ':', 2);
  v_id uuid;
begin
  if ident !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return null;
  end if;
  v_id := ident::uuid;
  return case kind
    when 'org' then v_id
    when 'case' then (select c.org_id from public.improvement_cases c where c.id = v_id)
    when 'job' then (select j.org_id from public.jobs j where j.id = v_id)
    when 'prompt' then (select v.org_id from public.prompt_versions v where v.id = v_id)
    else null
  end;
end $$;

-- Who may write into a topic: everyone who may read it, except managers, who only watch;
-- on a case room or prompt candidate only curators and admins edit.
create or replace function private.can_send_to_topic(p_topic text) returns boolean
language sql stable security definer set search_path = '' as $$
  select case split_part(p_topic, ':', 1)
    when 'case' then private.has_role(private.topic_org(p_topic), '{admin,curator,reviewer}')
    when 'prompt' then private.has_role(private.topic_org(p_topic), '{admin,curator}')
    else private.has_role(private.topic_org(p_topic), '{admin,curator,reviewer}')
  end
$$;

grant execute on all functions in schema private to authenticated, service_role;

create policy "Members can join their organization's private channels" on realtime.messages
  for select to authenticated using (private.is_member(private.topic_org((select realtime.topic()))));
create policy "Members who may edit can send on their organization's private channels" on realtime.messages
  for insert to authenticated with check (private.can_send_to_topic((select realtime.topic())));
