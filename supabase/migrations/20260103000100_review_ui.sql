-- Review queues in the UI (issue 19, item 6): the report tab now shows the LLM judge's value per item
-- next to the people's final. A judge's value is a score like any other: a curator who may still score an
-- item (curators hold review:score) must not read what the judge gave it before scoring, exactly as they
-- may not read the other reviewers' scores. The old policy let every holder of review:report read every
-- judge value of the organization; this one applies the blind rule of public.scores:
-- * review:read_all (admins, managers): every value;
-- * review:report otherwise (curators): the items private.review_item_unblinded admits, i.e. those they
--   have submitted their own scores for, or, as adjudicators, those that have all their ratings (the
--   items the stored report's finals cover);
-- * anyone else (reviewers, other organizations): nothing.
-- The worker writes and reads as the service role and the reviewers' board sums cost over complete items,
-- so neither changes.

drop policy "Those who read a queue's report read its judge's scores" on public.judge_scores;
create policy "Those who read reports read the judge's values of items they may read people's scores of" on public.judge_scores
  for select to authenticated using (
    org_id in (select private.orgs_where('review:read_all'))
    or (org_id in (select private.orgs_where('review:report')) and private.review_item_unblinded(item_id))
  );
