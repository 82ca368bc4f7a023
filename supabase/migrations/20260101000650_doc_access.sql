-- Who may open and who may edit a co-edited document, by our tenancy. Document ids are
-- 'case:<case id>' (a case room's answer) and 'prompt:<prompt version id>' (a prompt candidate);
-- their Realtime channel is 'doc:<document id>'.
--   read  (load, listen): any member of the document's organization.
--   write (append updates, compact, send on the channel): curators and admins, and only while the
--   case is pending / the prompt version is a draft or candidate. Reviewers and managers watch.

create or replace function public.can_access_doc(doc_id text) returns boolean
language sql stable security definer set search_path = '' as $$
  select private.is_member(private.topic_org(doc_id))
$$;

create or replace function public.doc_may_write(p_doc_id text) returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  org uuid := private.topic_org(p_doc_id);
  ident uuid;
begin
  if coalesce((select auth.role()) = 'service_role', false) then
    return true;
  end if;
  if org is null or not private.has_role(org, '{admin,curator}') then
    return false;
  end if;
  ident := split_part(p_doc_id, ':', 2)::uuid;
  return case split_part(p_doc_id, ':', 1)
    when 'case' then exists (select 1 from public.improvement_cases c where c.id = ident and c.status = 'pending')
    when 'prompt' then exists (select 1 from public.prompt_versions v where v.id = ident and v.status in ('draft', 'candidate'))
    else false
  end;
end $$;

drop policy "Editors can send on the channels of documents they can access" on realtime.messages;
create policy "Editors can send on the channels of documents they may edit" on realtime.messages
  for insert to authenticated
  with check (realtime.topic() like 'doc:%' and extension in ('broadcast', 'presence') and public.doc_may_write(substr(realtime.topic(), 5)));
