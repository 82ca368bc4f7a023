/**
 * Every Edge Function the web app calls, by name: its request schema (the function parses the body with
 * it; the caller's argument type is its input) and its response type. The one table that keeps the two
 * runtimes in step: web/src/lib/functions.ts's callFunction is typed from it, and the functions import
 * the same schemas.
 */
import type { z } from "zod";
import { ApproveCaseRequest, CreateCaseRequest, RegenerateSuggestionRequest, RejectCaseRequest, type CreateCaseResponse, type DecideCaseResponse } from "./cases.ts";
import { CancelJobRequest, StartJobRequest, type CancelJobResponse, type StartJobResponse } from "./jobs.ts";
import { TryEvaluatorRequest, type TryEvaluatorResponse } from "./datasets.ts";
import { ManageMembersRequest, type ManageMembersResponse } from "./members.ts";
import {
  GenerateFinalPromptRequest,
  RateOptimizerSessionRequest,
  StartOptimizationRequest,
  SubmitAnswerRequest,
  type GenerateFinalPromptResponse,
  type RateOptimizerSessionResponse,
  type StartOptimizationResponse,
  type SubmitAnswerResponse,
} from "./optimizer.ts";
import {
  CreatePromptRequest,
  PromoteFromReviewRequest,
  PromotePromptRequest,
  RollbackPromptRequest,
  SavePromptVersionRequest,
  type CreatePromptResponse,
  type PromoteFromReviewResponse,
  type PromotePromptResponse,
  type RollbackPromptResponse,
  type SavePromptVersionResponse,
} from "./prompts.ts";
import type { Tables } from "../database.types.ts";

type Contract<Req extends z.ZodType, Res> = { request: Req; response?: Res };
const contract = <Req extends z.ZodType, Res>(request: Req): Contract<Req, Res> => ({ request });

export const FUNCTIONS = {
  "create-improvement-case": contract<typeof CreateCaseRequest, CreateCaseResponse>(CreateCaseRequest),
  "approve-improvement-case": contract<typeof ApproveCaseRequest, DecideCaseResponse>(ApproveCaseRequest),
  "reject-improvement-case": contract<typeof RejectCaseRequest, DecideCaseResponse>(RejectCaseRequest),
  /** Server-sent events, read with streamFunction. */
  "regenerate-suggestion": contract<typeof RegenerateSuggestionRequest, never>(RegenerateSuggestionRequest),
  "start-job": contract<typeof StartJobRequest, StartJobResponse<Tables<"jobs">>>(StartJobRequest),
  "cancel-job": contract<typeof CancelJobRequest, CancelJobResponse>(CancelJobRequest),
  "manage-members": contract<typeof ManageMembersRequest, ManageMembersResponse>(ManageMembersRequest),
  "create-prompt": contract<typeof CreatePromptRequest, CreatePromptResponse>(CreatePromptRequest),
  "save-prompt-version": contract<typeof SavePromptVersionRequest, SavePromptVersionResponse>(SavePromptVersionRequest),
  "promote-prompt": contract<typeof PromotePromptRequest, PromotePromptResponse>(PromotePromptRequest),
  "promote-from-review": contract<typeof PromoteFromReviewRequest, PromoteFromReviewResponse>(PromoteFromReviewRequest),
  "rollback-prompt": contract<typeof RollbackPromptRequest, RollbackPromptResponse>(RollbackPromptRequest),
  "start-optimization": contract<typeof StartOptimizationRequest, StartOptimizationResponse>(StartOptimizationRequest),
  "submit-answer": contract<typeof SubmitAnswerRequest, SubmitAnswerResponse>(SubmitAnswerRequest),
  "generate-final-prompt": contract<typeof GenerateFinalPromptRequest, GenerateFinalPromptResponse>(GenerateFinalPromptRequest),
  "rate-optimizer-session": contract<typeof RateOptimizerSessionRequest, RateOptimizerSessionResponse>(RateOptimizerSessionRequest),
  "try-evaluator": contract<typeof TryEvaluatorRequest, TryEvaluatorResponse>(TryEvaluatorRequest),
} as const;

export type FunctionName = keyof typeof FUNCTIONS;
export type FunctionRequest<N extends FunctionName> = z.input<(typeof FUNCTIONS)[N]["request"]>;
export type FunctionResponse<N extends FunctionName> = NonNullable<(typeof FUNCTIONS)[N]["response"]>;
