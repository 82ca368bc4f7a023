import type { Row } from "../../lib/rows.ts";
import { FEEDBACK_STATUSES, FEEDBACK_STATUS_LABELS, type FeedbackStatus } from "@review/shared/domain/feedback";

export { canMoveFeedback } from "@review/shared/domain/feedback";
export type { FeedbackStatus };
export const STATUSES: readonly FeedbackStatus[] = FEEDBACK_STATUSES;
export const STATUS_LABELS = FEEDBACK_STATUS_LABELS;

/** The columns the inbox list shows (the full response is loaded by the detail view), as generated
 * (`npm run gen:types`) with `status` narrowed to the shared status machine's values. `updated_at` is the
 * row's version: live changes and refetches never replace a row with an older one. */
export type FeedbackRow = Pick<
  Row<"feedback", { status: FeedbackStatus }>,
  "id" | "org_id" | "rating" | "query" | "comment" | "status" | "labels" | "claimed_by" | "claimed_at" | "model" | "case_id" | "source" | "created_at" | "updated_at"
>;

export type FeedbackDetail = FeedbackRow & { response: string; external_id: string | null };

export const LIST_COLUMNS = "id, org_id, rating, query, comment, status, labels, claimed_by, claimed_at, model, case_id, source, created_at, updated_at";
