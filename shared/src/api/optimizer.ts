/**
 * Contracts of the prompt optimizer's functions (start, answer a round, generate the final prompt, rate
 * the session) and the seed's limits they enforce.
 */
import { z } from "zod";
import type { Tables } from "../database.types.ts";
import { estimateTokens } from "../llm/tokens.ts";

/** The seed's safety rule: at most three clarification rounds, then the session is ready regardless. */
export const MAX_ROUNDS = 3;
export const MAX_QUESTIONS = 3;
/** Input caps: a prompt to optimize is a prompt, not a document; these keep every call well inside the model's window. */
export const LIMITS = {
  promptChars: 16_000,
  promptTokens: 4_000,
  selectionsChars: 4_000,
  answers: 10,
  questionChars: 500,
  answerChars: 2_000,
  answersTokens: 3_000,
  commentsChars: 5_000,
} as const;

const tokenCap = (max: number, what: string) => (s: string, ctx: z.RefinementCtx) => {
  const n = estimateTokens(s);
  if (n > max) ctx.addIssue({ code: "custom", message: `${what} is about ${n} tokens; the limit is ${max}. Shorten it.` });
};

export const PromptText = z
  .string()
  .trim()
  .min(1, "Write the prompt to optimize")
  .max(LIMITS.promptChars, `The prompt is longer than ${LIMITS.promptChars} characters; shorten it`)
  .superRefine(tokenCap(LIMITS.promptTokens, "The prompt"));

/** UI choices (target model, tone, format…): flat and small, since they are pasted into every call. */
export const Selections = z
  .record(z.string().trim().min(1).max(60), z.union([z.string().max(500), z.number(), z.boolean(), z.array(z.string().max(200)).max(20)]))
  .refine((v) => Object.keys(v).length <= 20, "At most 20 selections")
  .refine((v) => JSON.stringify(v).length <= LIMITS.selectionsChars, `Selections are limited to ${LIMITS.selectionsChars} characters in total`);

export type OptSessionRow = Tables<"opt_sessions">;

export const StartOptimizationRequest = z.object({
  orgId: z.string().uuid(),
  initialPrompt: PromptText,
  selections: Selections.default({}),
  /** The prompt this session aims to improve (its final prompt can be saved as a version of it). */
  promptId: z.string().uuid().optional(),
});
export type StartOptimizationResponse = { session: OptSessionRow; questions: string[]; maxRounds: number };

export const SubmitAnswerRequest = z.object({
  sessionId: z.string().uuid(),
  answers: z
    .array(
      z.object({
        question: z.string().trim().min(1).max(LIMITS.questionChars, `A question is limited to ${LIMITS.questionChars} characters`),
        answer: z.string().trim().max(LIMITS.answerChars, `An answer is limited to ${LIMITS.answerChars} characters`),
      }),
    )
    .min(1, "Answer at least one question")
    .max(LIMITS.answers, `At most ${LIMITS.answers} answers per round`),
});
export type SubmitAnswerResponse = { session: OptSessionRow; questions: string[]; roundsLeft: number };

export const GenerateFinalPromptRequest = z.object({ sessionId: z.string().uuid() });
export type GenerateFinalPromptResponse = { session: OptSessionRow; finalPrompt: string };

/** The user's rating of a session's result (one per session; rating again replaces it). */
export const RateOptimizerSessionRequest = z.object({
  sessionId: z.string().uuid(),
  rating: z.number().int().min(1, "Rate from 1 to 5").max(5, "Rate from 1 to 5"),
  comments: z.string().trim().max(LIMITS.commentsChars, `Comments are limited to ${LIMITS.commentsChars} characters`).optional(),
});
export type RateOptimizerSessionResponse = { feedback: Tables<"opt_feedback"> };
