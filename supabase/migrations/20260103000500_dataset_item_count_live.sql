-- A draft's item count follows its rows, whoever adds or removes them.
--
-- item_count was refreshed only by the functions that build a draft (from the inbox, examples, calls, an
-- import) and at publication, so an item added or removed on the dataset page left the draft's count
-- stale until then. Now every statement that inserts or deletes items refreshes the count of the drafts it
-- touched. That update is also how the other editors of a co-edited draft learn that the set of items
-- changed: they follow their version's row over Realtime (web/src/features/datasets/DraftItems.tsx) and
-- refetch the items when its item_count moves, as they do when the worker's copy of the texts moves.
-- (dataset_items itself is not in the publication: its texts change on every copy, and the version's row
-- already carries what a watcher needs to know.)

create or replace function private.dataset_items_refresh_counts() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v uuid;
begin
  -- In a fixed order, so two statements touching the same drafts lock their rows alike.
  for v in select distinct version_id from changed order by 1 loop
    perform private.refresh_item_count(v);
  end loop;
  return null;
end $$;

revoke all on function private.dataset_items_refresh_counts() from public, anon, authenticated;

-- Transition tables allow one event per trigger: one trigger per event, one function.
create trigger dataset_items_count_ins after insert on public.dataset_items
  referencing new table as changed for each statement execute function private.dataset_items_refresh_counts();
create trigger dataset_items_count_del after delete on public.dataset_items
  referencing old table as changed for each statement execute function private.dataset_items_refresh_counts();
