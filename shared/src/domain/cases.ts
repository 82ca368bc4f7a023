/**
 * An improvement case's statuses. The database's `public.case_status` domain holds the same values (a test
 * asserts they agree); a case is decided once, by the decide function, and a decision is final.
 */
export const CASE_STATUSES = ["pending", "approved", "rejected"] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export type CaseDecision = Exclude<CaseStatus, "pending">;
