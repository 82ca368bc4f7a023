/**
 * The feedback status machine. The database holds the same moves (private.feedback_transitions, which the
 * feedback update trigger enforces; a test asserts the two agree), so the inbox offers exactly the moves
 * the database accepts. `case_open` is entered and left only by the improvement-case functions
 * (opening a case; deciding it), never by a direct update, so it has no moves here.
 */
export const FEEDBACK_STATUSES = ["new", "triaged", "case_open", "dismissed"] as const;
export type FeedbackStatus = (typeof FEEDBACK_STATUSES)[number];

export const FEEDBACK_STATUS_LABELS: Record<FeedbackStatus, string> = { new: "New", triaged: "Triaged", case_open: "Case open", dismissed: "Dismissed" };

/** Direct moves a reviewer may make (from → the statuses it may become). */
export const FEEDBACK_TRANSITIONS: Record<FeedbackStatus, readonly FeedbackStatus[]> = {
  new: ["triaged", "dismissed"],
  triaged: ["new", "dismissed"],
  dismissed: ["new", "triaged"],
  case_open: [],
};

export function canMoveFeedback(from: FeedbackStatus, to: FeedbackStatus): boolean {
  return FEEDBACK_TRANSITIONS[from].includes(to);
}
