import { CancelJobRequest } from "../../shared/src/api/jobs.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { AppError, fromDb, handler, json, notFound, parseBody } from "../_shared/http.ts";


// Admins cancel jobs: a waiting job is cancelled at once; a running one is flagged and its worker is
// notified (NOTIFY job_cancel) and stops at its next safe point. Answers with the job's status now.
Deno.serve(handler(async (req) => {
  const { jobId } = await parseBody(req, CancelJobRequest);
  const caller = await getCaller(req);
  const { data: job, error } = await caller.client.from("jobs").select("id, org_id, status").eq("id", jobId).maybeSingle();
  if (error) throw new AppError(500, "job_lookup_failed", error.message);
  if (!job) throw notFound("The job");
  await requireCapability(caller, job.org_id, "job:cancel", "The job");
  const status = fromDb(await caller.client.rpc("cancel_job", { p_job_id: jobId }), "cancel_failed");
  return json({ jobId, status, cancelRequested: status !== "completed" && status !== "failed" });
}));
