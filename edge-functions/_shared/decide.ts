import type { SupabaseClient } from "@supabase/supabase-js";
import type { CaseDecision } from "../../shared/src/domain/cases.ts";
import { fromDb } from "./http.ts";

/**
 * Approves or rejects a case as the caller: decide_improvement_case checks the caller may decide cases
 * in the case's organization, records them as the decider, and (approving) writes the training example
 * in the same transaction.
 */
export async function decideCase(client: SupabaseClient, args: { caseId: string; decision: CaseDecision; reason?: string; finalText?: string; tags?: string[] }) {
  const result = await client.rpc("decide_improvement_case", {
    p_case_id: args.caseId,
    p_decision: args.decision,
    p_reason: args.reason ?? null,
    p_final_text: args.finalText ?? null,
    p_tags: args.tags ?? [],
  });
  return fromDb(result, "decision_failed") as { case: Record<string, unknown>; training_example: Record<string, unknown> | null };
}
