export type CaseStatus = "pending" | "approved" | "rejected";

export type ImprovementCase = {
  id: string;
  org_id: string;
  feedback_id: string;
  query: string;
  bad_response: string;
  suggested_response: string;
  status: CaseStatus;
  suggestion_model: string | null;
  flags: unknown[];
  created_by: string | null;
  approved_by: string | null;
  decided_at: string | null;
  reject_reason: string | null;
  created_at: string;
  updated_at: string;
};

export type CaseWithFeedback = ImprovementCase & { feedback: { rating: number; comment: string | null; labels: string[]; model: string | null } | null };

export type Comment = { id: string; org_id: string; case_id: string; author_id: string | null; body: string; created_at: string };
