/**
 * What the dev LLM knows of the project it serves: an organization's approved answers to retrieve from,
 * the retrieval index a fine-tuned `offline-ft:<id>` model was trained into, and which organizations a
 * user belongs to. The emulator plays a model provider and knows none of the product's tables: the
 * product supplies this (dev/llm-knowledge.ts, passed to startStack as `llmKnowledge`). Without it the
 * dev LLM still answers, from what each prompt states.
 */
import type postgres from "postgres";
import type { RetrievalIndex } from "@review/shared/llm/retrieval";
import { isConnectionError } from "../db-status.ts";
import type { Logger } from "../log.ts";
import { ApiError } from "./wire.ts";

export type ModelIndex = { index: RetrievalIndex; orgId: string | null; name: string | null };

export interface KnowledgeSource {
  /** The organization's approved answers as a retrieval index; null when it has none. */
  orgIndex(orgId: string): Promise<RetrievalIndex | null>;
  /** A fine-tuned model's index and owner; null for an unknown model; throws ModelNotReadyError before training ends. */
  modelIndex(modelId: string): Promise<ModelIndex | null>;
  /** The organizations the user belongs to now (read on every request: a member removed a moment ago is out). */
  userOrgs(userId: string): Promise<string[]>;
}

/** Builds the source over the stack's own database connection. */
export type KnowledgeFactory = (sql: postgres.Sql, log: Logger) => KnowledgeSource;

export class ModelNotReadyError extends Error {
  constructor(
    message: string,
    readonly orgId: string | null,
  ) {
    super(message);
  }
}

export const NO_KNOWLEDGE: KnowledgeSource = { orgIndex: async () => null, modelIndex: async () => null, userOrgs: async () => [] };

/**
 * While Postgres is down or restarting, a request that needs the source gets a 503 in Anthropic's error
 * shape (which @anthropic-ai/sdk retries), and the log one line instead of a stack per request.
 */
export function unavailableAs503(source: KnowledgeSource): KnowledgeSource {
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      fn(...args).catch((err: unknown) => {
        if (isConnectionError(err)) {
          throw new ApiError(503, "api_error", `The dev LLM cannot reach its database (${(err as Error).message}); retry shortly`);
        }
        throw err;
      });
  return { orgIndex: guard(source.orgIndex), modelIndex: guard(source.modelIndex), userOrgs: guard(source.userOrgs) };
}
