-- What an output's LLM judges cost, next to what the output itself cost.
--
-- An experiment's cost cap counted only the variants' own calls: a rubric or pairwise judge on a priced
-- model (two calls per output for a pairwise judge, one or two for a rubric judge) was spent without
-- counting, so a $5 cap could let an experiment spend several times that. The worker now charges every
-- judge call to the cap, and stores each output's judge spend here so a resumed run starts from what
-- was really spent. cost_usd stays the output's own cost: that is the variant's cost per item.

alter table public.experiment_results
  add column judge_cost_usd numeric(14, 8) check (judge_cost_usd >= 0);

comment on column public.experiment_results.judge_cost_usd is
  'What the LLM judges scoring this output cost (every call, retries included); null when no judge ran.';
