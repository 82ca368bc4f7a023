import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "@review/worker";
import { silentLogger } from "@review/worker/log";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { startOwnStack } from "../helpers/own-stack.ts";
import { sql, waitFor } from "../helpers/stack.ts";
import { approvedExamples } from "../worker/fixtures.ts";

// Retrain, closed: an admin accepts a proposal in one click → fine-tune → (by itself) an A/B evaluation of the
// retrained model against production, with a notification at each step. Runs fine_tune/ab_eval workers,
// which would claim other suites' jobs: a stack of its own.
let own: Awaited<ReturnType<typeof startOwnStack>>;
let org: TestOrg;
let worker: WorkerHandle | undefined;
let receiver: http.Server;
const messages: Array<{ title: string; retrain: { step: string; jobId?: string } }> = [];

beforeAll(async () => {
  own = await startOwnStack("retrain");
  org = await createOrg(own, "retrain");
  const db = sql(own);
  for (const e of approvedExamples()) {
    await db`insert into public.training_examples (org_id, query, answer, tags, created_by) values (${org.id}, ${e.query}, ${e.answer}, ${e.tags}, ${org.users.curator.id})`;
  }
  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      messages.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const { data: channel } = await org.users.admin.client.from("notification_channels")
    .insert({ org_id: org.id, name: "ml hook", kind: "webhook", target: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ml` }).select("id").single();
  const [rule] = await db`select id from public.alert_rules where org_id = ${org.id} and default_key = 'drift'`;
  expect((await org.users.admin.client.from("alert_rule_channels").insert({ org_id: org.id, rule_id: rule!.id, channel_id: channel!.id })).error).toBeNull();
}, 120_000);

afterAll(async () => {
  await worker?.stop(2000);
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await own?.dispose();
});

describe("retrain proposals", () => {
  it("an admin accepts in one click: fine-tune, then an A/B evaluation against production, notified at each step", async () => {
    const db = sql(own);
    // What the drift job writes when enough answers were approved (that part exists and is tested).
    const [p] = await db`insert into public.retrain_proposals (org_id, new_examples, reason) values (${org.id}, 40, '40 answers were approved and no model has been trained yet') returning id`;
    const refused = await org.users.manager.client.rpc("accept_retrain_proposal", { p_proposal_id: p!.id });
    expect(refused.error?.message).toMatch(/alert:manage/);
    const other = await createOrg(own, "retrain-other");
    expect((await other.users.admin.client.rpc("accept_retrain_proposal", { p_proposal_id: p!.id })).error?.message).toMatch(/not found/);

    const accepted = await org.users.admin.client.rpc("accept_retrain_proposal", { p_proposal_id: p!.id });
    expect(accepted.error).toBeNull();
    const ftJob = (accepted.data as { fineTuneJobId: string }).fineTuneJobId;
    // A second click does not start a second fine-tune.
    expect((await org.users.admin.client.rpc("accept_retrain_proposal", { p_proposal_id: p!.id })).error?.message).toMatch(/already accepted/);

    worker = await startWorker({
      env: { DATABASE_URL: own.dbUrl, SUPABASE_URL: own.apiUrl, SUPABASE_SERVICE_ROLE_KEY: own.serviceRoleKey, WORKER_SCHEDULER: "false",
             WORKER_TASKS: "fine_tune,ab_eval,notify", WORKER_CONCURRENCY: "3", WORKER_POLL_MS: "200", LOG_LEVEL: "error" },
      log: silentLogger,
    });
    const proposal = await waitFor(async () => {
      const [row] = await db`select r.status, r.fine_tune_job_id, r.ab_eval_job_id, j.status as eval_status, j.config from public.retrain_proposals r
                             left join public.jobs j on j.id = r.ab_eval_job_id where r.id = ${p!.id}`;
      return row?.eval_status && ["completed", "failed"].includes(row.eval_status) ? row : null;
    }, { timeout: 150_000, interval: 500, message: "the retrain's A/B evaluation finished" });
    expect(proposal).toMatchObject({ status: "accepted", fine_tune_job_id: ftJob, eval_status: "completed" });
    const [model] = await db`select served_model from public.models where job_id = ${ftJob}`;
    expect(proposal.config.variantB).toMatchObject({ live: "suggest-answer", model: model!.served_model });
    expect(proposal.config.evalSet).toMatchObject({ source: "training_examples", holdoutOfJobId: ftJob });

    await waitFor(() => messages.length >= 3, { timeout: 15_000, message: "three retrain notifications" });
    expect(messages.map((m) => m.retrain.step)).toEqual(["fine_tune_started", "ab_eval_started", "ab_eval_completed"]);
    expect(messages[0]!.title).toBe("Retrain started");
    expect(messages[2]!.title).toBe("Retrain: evaluation finished");
  }, 240_000);

  it("a retrained model below the organization's quality threshold is not evaluated against production, and the notification says why", async () => {
    const db = sql(own);
    const asManager = await org.users.manager.client.from("ml_settings").update({ quality_threshold: 0.1 }).eq("org_id", org.id).select("org_id");
    expect(asManager.data).toEqual([]);
    const set = await org.users.admin.client.from("ml_settings").update({ quality_threshold: 0.99 }).eq("org_id", org.id).select("quality_threshold").single();
    expect(set.data?.quality_threshold).toBeCloseTo(0.99, 5);
    const [p] = await db`insert into public.retrain_proposals (org_id, new_examples, reason) values (${org.id}, 40, 'ratings drifted') returning id`;
    const accepted = await org.users.admin.client.rpc("accept_retrain_proposal", { p_proposal_id: p!.id });
    expect(accepted.error).toBeNull();
    const before = messages.length;
    await waitFor(() => messages.slice(before).some((m) => m.retrain.step === "below_quality_threshold"), { timeout: 150_000, interval: 500, message: "below-threshold notification" });
    const note = messages.slice(before).find((m) => m.retrain.step === "below_quality_threshold")! as unknown as { text: string };
    expect(note.text).toMatch(/below the threshold of 0\.99; it is not evaluated against production/);
    expect((await db`select ab_eval_job_id from public.retrain_proposals where id = ${p!.id}`)[0]!.ab_eval_job_id).toBeNull();
  }, 240_000);

  it("the drift job proposes a retrain by the organization's own minimum, not only the deployment's", async () => {
    const db = sql(own);
    const small = await createOrg(own, "retrain-small");
    for (const e of approvedExamples({ topics: 3 })) {
      await db`insert into public.training_examples (org_id, query, answer, tags) values (${small.id}, ${e.query}, ${e.answer}, ${e.tags})`;
    }
    // 12 approved answers: below the worker's default of 50, above this organization's 10.
    expect((await small.users.admin.client.from("ml_settings").update({ min_samples_for_retrain: 10 }).eq("org_id", small.id).select("org_id")).data).toHaveLength(1);
    const drifter = await startWorker({
      env: { DATABASE_URL: own.dbUrl, SUPABASE_URL: own.apiUrl, SUPABASE_SERVICE_ROLE_KEY: own.serviceRoleKey, WORKER_SCHEDULER: "false", WORKER_TASKS: "drift", WORKER_POLL_MS: "200", LOG_LEVEL: "error" },
      log: silentLogger,
    });
    try {
      const started = await callFunction(own, "start-job", { kind: "drift", orgId: small.id, name: "Drift check" }, small.users.admin.accessToken);
      expect(started.status).toBe(201);
      const job = await waitFor(async () => {
        const [j] = await db`select status, result from public.jobs where id = ${started.body.job.id}`;
        return j?.status === "completed" ? j : null;
      }, { timeout: 30_000, message: "drift job completed" });
      expect(job.result.retrain).toMatchObject({ proposed: true, newExamples: 12, minNewExamples: 10 });
    } finally {
      await drifter.stop(1000);
    }
  });
});
