-- One rule for "this item was in a fine-tune's training data": dataset_split_overlap (the
-- experiment-review migration) counts it per split with private.normalized_query; the whole-version
-- count the dataset page has shown since the datasets migration is now that count summed over the
-- splits (an item sits in one split), instead of a second copy of the match and of the normalization.
-- The version's organization is checked by dataset_split_overlap against the caller (another
-- organization's version is "not found").
create or replace function public.dataset_training_overlap(p_version_id uuid)
returns table (model_id uuid, model_name text, served_model text, overlapping integer, items integer)
language sql stable security definer set search_path = '' as $$
  select s.model_id, s.model_name, s.served_model, sum(s.overlapping)::integer,
         (select v.item_count from public.dataset_versions v where v.id = p_version_id)
    from public.dataset_split_overlap(p_version_id) s
   group by s.model_id, s.model_name, s.served_model
   order by 4 desc;
$$;
