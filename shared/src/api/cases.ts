/** Contracts of the improvement-case functions: the functions parse with these, the web app sends them. */
import { z } from "zod";
import type { Tables } from "../database.types.ts";

export type ImprovementCaseRow = Tables<"improvement_cases">;

export const CreateCaseRequest = z.object({ feedbackId: z.string().uuid() });
/** 201 with created: true, or 200 with the case already open for that feedback. */
export type CreateCaseResponse = { case: ImprovementCaseRow; created: boolean };

export const ApproveCaseRequest = z.object({
  caseId: z.string().uuid(),
  tags: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
});
export const RejectCaseRequest = z.object({
  caseId: z.string().uuid(),
  reason: z.string().trim().min(3, "Say why, in a few words").max(2000),
});
/** decide_case's answer: the case after the decision, and the training example an approval wrote. */
export type DecideCaseResponse = { case: ImprovementCaseRow; training_example: Tables<"training_examples"> | null };

/** Streams the new suggestion as server-sent events (see the function for the event names). */
export const RegenerateSuggestionRequest = z.object({ caseId: z.string().uuid(), instructions: z.string().trim().max(2000).optional() });
