/** Contracts of the job functions: start any kind (the union lives with the job kinds) and cancel. */
import { z } from "zod";
export { StartJobRequest, type StartJobResponse } from "../jobs/kinds.ts";

export const CancelJobRequest = z.object({ jobId: z.string().uuid() });
export type CancelJobResponse = { jobId: string; status: string; cancelRequested: boolean };
