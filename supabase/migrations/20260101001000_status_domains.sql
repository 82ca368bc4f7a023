-- Feedback's and a case's status become domains over text, with the same names and values, instead
-- of enums.
--
-- Why: under row-level security, Postgres uses a query's filter as an index condition only if its
-- operator is leakproof, so that no error message can reveal a row the policy hides. Enum equality is
-- not marked leakproof (text equality is). Only a superuser could change that, and hosted Supabase
-- does not allow it. So for every signed-in user, `status = 'new'` could not use
-- feedback_org_status_idx or improvement_cases_org_idx. The inbox instead walked the organisation's
-- rows in date order and filtered them, reading three times the rows it returned. As text, the filter
-- is an index condition again. Postgres CPU per inbox read fell by a third (bench/README.md).
--
-- A domain keeps the type's name, so casts such as `'approved'::public.case_status` in functions,
-- the seed and scripts keep working. Its check keeps the allowed values (a wrong one is 23514 now,
-- not 22P02). Both tables are rewritten, holding an exclusive lock while that runs.

alter type public.feedback_status rename to feedback_status_enum;
create domain public.feedback_status as text
  constraint feedback_status_valid check (value in ('new', 'triaged', 'case_open', 'dismissed'));
alter table public.feedback
  alter column status drop default,
  alter column status type public.feedback_status using status::text,
  alter column status set default 'new';
drop type public.feedback_status_enum;

-- The audit trigger fires on updates of status, so it depends on the column's type: re-created as it was.
drop trigger improvement_cases_audit on public.improvement_cases;
alter type public.case_status rename to case_status_enum;
create domain public.case_status as text
  constraint case_status_valid check (value in ('pending', 'approved', 'rejected'));
alter table public.improvement_cases
  alter column status drop default,
  alter column status type public.case_status using status::text,
  alter column status set default 'pending';
drop type public.case_status_enum;
create trigger improvement_cases_audit after update of status on public.improvement_cases
  for each row execute function private.audit_case_decision();

-- Changing a column's type drops its statistics; without them the planner guesses, and badly.
analyze public.feedback;
analyze public.improvement_cases;
