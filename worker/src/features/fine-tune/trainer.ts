import type { DatasetSnapshot, Example } from "./dataset.ts";
import type { Generate } from "./evaluate.ts";

export type TrainInput = {
  orgId: string;
  jobId: string;
  jobName: string;
  baseModel: string;
  systemPrompt: string;
  train: Example[];
  validation: Example[];
  snapshot: DatasetSnapshot;
  hyperparameters: Record<string, number | undefined>;
  seed: number;
  signal: AbortSignal;
  /** The trainer's own resumable state from a previous attempt (uploaded files, remote job id). */
  checkpoint: unknown;
  saveCheckpoint(state: unknown): Promise<void>;
  progress(percent: number, step: string, message: string, metrics?: Record<string, unknown>): Promise<void>;
};

export type TrainOutput = {
  provider: string;
  /** What goes into models.retrieval_index (local trainer only). */
  retrievalIndex?: unknown;
  /** Recorded in models.dataset_snapshot.trainer: remote ids, the served model name, training metrics. */
  details: Record<string, unknown>;
};

/**
 * A way to train a model on a dataset. Both trainers end the same way (the handler writes the models
 * row, then scores the validation split through `generator`), so numbers are comparable between them.
 */
export interface Trainer {
  readonly kind: "local" | "openai";
  train(input: TrainInput): Promise<TrainOutput>;
  /**
   * How to call the trained model once its models row exists, with the system prompt the base model
   * is evaluated with (a trainer whose served model has it built in may ignore it).
   */
  generator(modelId: string, out: TrainOutput, orgId: string, opts?: { system?: string }): Generate;
}

export type { Example };
