import { FEEDBACK_STATUSES, FEEDBACK_STATUS_LABELS, type FeedbackStatus } from "@review/shared/domain/feedback";

export { canMoveFeedback } from "@review/shared/domain/feedback";
export type { FeedbackStatus };
export const STATUSES: readonly FeedbackStatus[] = FEEDBACK_STATUSES;
export const STATUS_LABELS = FEEDBACK_STATUS_LABELS;

/** The columns the inbox list shows (the full response is loaded by the detail view). */
export type FeedbackRow = {
  id: string;
  org_id: string;
  rating: number;
  query: string;
  comment: string | null;
  status: FeedbackStatus;
  labels: string[];
  claimed_by: string | null;
  claimed_at: string | null;
  model: string | null;
  case_id: string | null;
  source: string;
  created_at: string;
  /** The row's version: live changes and refetches never replace a row with an older one. */
  updated_at: string;
};

export type FeedbackDetail = FeedbackRow & { response: string; external_id: string | null };

export const LIST_COLUMNS = "id, org_id, rating, query, comment, status, labels, claimed_by, claimed_at, model, case_id, source, created_at, updated_at";
