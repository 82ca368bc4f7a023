import type { SupabaseClient } from "@supabase/supabase-js";
import { AppError } from "./http.ts";

/** Runs decide_improvement_case and turns its PostgREST-style refusals into typed errors. */
export async function decideCase(service: SupabaseClient, args: { caseId: string; decision: "approved" | "rejected"; actor: string; reason?: string; finalText?: string; tags?: string[] }) {
  const { data, error } = await service.rpc("decide_improvement_case", {
    p_case_id: args.caseId,
    p_decision: args.decision,
    p_actor: args.actor,
    p_reason: args.reason ?? null,
    p_final_text: args.finalText ?? null,
    p_tags: args.tags ?? [],
  });
  if (error) {
    const status = error.code === "already_decided" ? 409 : error.code === "not_found" ? 404 : error.code === "empty_answer" ? 422 : 500;
    throw new AppError(status, error.code || "decision_failed", error.message);
  }
  return data as { case: Record<string, unknown>; training_example: Record<string, unknown> | null };
}
