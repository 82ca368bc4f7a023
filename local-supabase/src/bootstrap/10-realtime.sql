-- Platform bootstrap, part 3: the realtime schema of Supabase Realtime (Broadcast from the database
-- and Realtime Authorization). Signatures match Supabase's so migrations and triggers port unchanged.
create schema if not exists realtime;

create table if not exists realtime.messages (
  id uuid not null default gen_random_uuid(),
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  primary key (id, inserted_at)
);
create index if not exists messages_inserted_at_topic_index on realtime.messages (inserted_at desc, topic);
alter table realtime.messages enable row level security;

-- The topic being authorized, set by the realtime server while it evaluates a join or send.
create or replace function realtime.topic() returns text language sql stable as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

-- Hosted Realtime's columns since its binary broadcasts: a message carries JSON or bytes, never both.
alter table realtime.messages add column if not exists binary_payload bytea;
do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'messages_payload_exclusive' and conrelid = 'realtime.messages'::regclass) then
    alter table realtime.messages add constraint messages_payload_exclusive check (payload is null or binary_payload is null) not valid;
  end if;
end $$;

-- realtime.send() and send_binary() as hosted Realtime defines them: security invoker, so the caller's
-- own privileges and realtime.messages policies decide whether the message is stored (and sent), and a
-- failure is a warning that leaves the caller's transaction alone. The payload gets the message id as
-- `id` unless it has one. A definer function here would let any caller broadcast on any private topic.
-- The topic is set as hosted sets it, for policies that read realtime.topic().
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void language plpgsql security invoker as $$
declare
  generated_id uuid;
  final_payload jsonb;
begin
  begin
    generated_id := gen_random_uuid();
    if payload ? 'id' then
      final_payload := payload;
    else
      final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
    end if;
    execute format('set local realtime.topic to %L', topic);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (generated_id, final_payload, event, topic, private, 'broadcast');
    -- The gateway's realtime server listens here and fans the message out after commit (hosted
    -- Realtime reads the table's replication stream instead).
    perform pg_notify('realtime_broadcast', generated_id::text);
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

create or replace function realtime.send_binary(payload bytea, event text, topic text, private boolean default true)
returns void language plpgsql security invoker as $$
declare
  generated_id uuid;
begin
  begin
    generated_id := gen_random_uuid();
    execute format('set local realtime.topic to %L', topic);
    insert into realtime.messages (id, binary_payload, event, topic, private, extension)
    values (generated_id, payload, event, topic, private, 'broadcast');
    perform pg_notify('realtime_broadcast', generated_id::text);
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

create or replace function realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW'
) returns void language plpgsql security invoker as $$
declare
  row_data jsonb;
  memo jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation = 'INSERT' or operation = 'UPDATE' or operation = 'DELETE' then
    row_data := jsonb_build_object('old_record', old, 'record', new, 'operation', operation,
      'table', table_name, 'schema', table_schema);
    perform realtime.send(row_data, event_name, topic_name);
  else
    raise exception 'Unexpected operation type: %', operation;
  end if;
exception
  when others then
    raise exception 'Failed to process the row: %', sqlerrm;
end;
$$;
-- Grants once, as hosted sets them up (a project may narrow them later; a restart must not undo that).
do $$
begin
  if not exists (select 1 from local_supabase.bootstrap where step = 'realtime-privileges') then
    grant usage on schema realtime to anon, authenticated, service_role;
    grant select, insert, update on realtime.messages to anon, authenticated, service_role;
    grant execute on function realtime.topic() to anon, authenticated, service_role;
    revoke execute on function realtime.send(jsonb, text, text, boolean) from public;
    revoke execute on function realtime.broadcast_changes(text, text, text, text, text, record, record, text) from public;
    grant execute on function realtime.send(jsonb, text, text, boolean) to authenticated, service_role;
    grant execute on function realtime.broadcast_changes(text, text, text, text, text, record, record, text) to authenticated, service_role;
    insert into local_supabase.bootstrap (step) values ('realtime-privileges');
  end if;
  -- send_binary() came later; its grants are made once, like send()'s.
  if not exists (select 1 from local_supabase.bootstrap where step = 'realtime-send-binary-privileges') then
    revoke execute on function realtime.send_binary(bytea, text, text, boolean) from public;
    grant execute on function realtime.send_binary(bytea, text, text, boolean) to authenticated, service_role;
    insert into local_supabase.bootstrap (step) values ('realtime-send-binary-privileges');
  end if;
end $$;
