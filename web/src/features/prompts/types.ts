import { can } from "../../lib/permissions.ts";
import type { Role } from "../../lib/permissions.ts";

export type PromptStatus = "draft" | "candidate" | "production" | "retired";
export type PromptVariable = { name: string; type: "string" | "number" | "boolean" | "json"; required?: boolean; description?: string };

export type Prompt = { id: string; org_id: string; slug: string; description: string; created_by: string | null; created_at: string };

export type PromptVersion = {
  id: string; org_id: string; prompt_id: string; version: number; system_template: string; template: string;
  variables: PromptVariable[]; model: string; params: Record<string, unknown>; status: PromptStatus;
  parent_version_id: string | null; author_id: string | null; created_at: string; promoted_at: string | null;
};

export type LastEval = {
  jobId: string; finishedAt: string | null; side: "A" | "B"; n: number | null; meanDeltaB: number | null;
  winRateB: number | null; pValue: number | null; gatePassed: boolean | null; promoted: boolean | null;
};

export type VersionMetrics = {
  /** null: the viewer's role may not read LLM usage (shown as "—", never 0). */
  version_id: string; version: number; status: PromptStatus; requests: number | null; errors: number | null; error_rate: number | null;
  avg_latency_ms: number | null; p95_latency_ms: number | null; cost_usd: number | string | null; feedback_count: number;
  avg_rating: number | null; last_eval: LastEval | null;
};

export type OptSession = { id: string; status: "pending" | "clarifying" | "ready" | "finalized"; rounds: number; final_prompt: string | null; saved_version_id: string | null };

/** Who may do what in the studio (mirrors STUDIO_ROLES and the admin-only release functions). */
export const mayEditPrompts = (role: Role) => can(role, "prompt:edit");
export const mayRelease = (role: Role) => can(role, "prompt:promote");

export const STATUS_TONE: Record<PromptStatus, "neutral" | "good" | "warn" | "info"> = { draft: "neutral", candidate: "info", production: "good", retired: "warn" };
