import type postgres from "postgres";
import type { z } from "zod";
import { JobPayload } from "@review/shared/jobs/config";
import type { WorkerEnv } from "../env.ts";
import type { WorkerLlm } from "../llm.ts";
import type { Logger } from "../log.ts";
import { PermanentError, type ClaimedJob } from "../queue/types.ts";

/** What every handler gets: the database, the LLM, configuration. Built once in startWorker(). */
export type HandlerDeps = {
  sql: postgres.Sql;
  llm: WorkerLlm;
  env: WorkerEnv;
  log: Logger;
  /** The OpenAI-compatible fine-tuning client, when FINE_TUNE_API_BASE_URL is set. */
  fetch?: typeof fetch;
};

export type JobRow = {
  id: string;
  org_id: string;
  kind: string;
  name: string;
  base_model: string | null;
  status: string;
  trained_on_tags: string[];
  config: unknown;
  created_by: string | null;
  cancel_requested: boolean;
};

/** Reads the job a queue entry points at and validates its config; problems are permanent failures. */
export async function loadJob<S extends z.ZodType>(sql: postgres.Sql, entry: ClaimedJob, schema: S): Promise<{ job: JobRow; config: z.infer<S> }> {
  const payload = JobPayload.safeParse(entry.payload);
  if (!payload.success) throw new PermanentError(`The queue entry's payload is malformed: ${formatIssues(payload.error)}`);
  const [job] = await sql<JobRow[]>`
    select id, org_id, kind::text, name, base_model, status::text, trained_on_tags, config, created_by, cancel_requested
    from public.jobs where id = ${payload.data.jobId}`;
  if (!job) throw new PermanentError(`Job ${payload.data.jobId} no longer exists`);
  const parsed = schema.safeParse(job.config ?? {});
  if (!parsed.success) throw new PermanentError(`The job's configuration is invalid: ${formatIssues(parsed.error)}`);
  return { job, config: parsed.data };
}

export function formatIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}

export const round = (n: number, digits = 4) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);
