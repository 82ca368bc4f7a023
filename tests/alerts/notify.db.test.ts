import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { startWorker, type WorkerHandle } from "@review/worker";
import { silentLogger } from "@review/worker/log";
import { evaluateAlerts } from "@review/worker/features/alerts/evaluate";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { waitForMail } from "../helpers/mail.ts";
import { getStack, sql, waitFor } from "../helpers/stack.ts";

// Notifications end to end: a channel an admin adds, a delivery the database enqueues, the worker's
// `notify` task, and loopback receivers that verify, fail, or never answer.
let stack: StackInfo;
let org: TestOrg;
let worker: WorkerHandle;
let receiver: http.Server;
let base = "";
const received: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string; at: number }> = [];
let flakyCalls = 0;
const hanging = new Set<http.ServerResponse>();
const TIMEOUT_MS = 3000;

beforeAll(async () => {
  stack = await getStack();
  org = await createOrg(stack, "notify");
  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body, at: Date.now() });
      if (req.url === "/dead") return void hanging.add(res);
      if (req.url === "/flaky" && ++flakyCalls <= 3) return void res.writeHead(503).end("try later");
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  worker = await startWorker({
    env: {
      DATABASE_URL: stack.dbUrl,
      SUPABASE_URL: stack.apiUrl,
      SMTP_URL: stack.smtpUrl,
      WORKER_SCHEDULER: "false",
      WORKER_TASKS: "notify",
      WORKER_CONCURRENCY: "4",
      WORKER_POLL_MS: "100",
      WORKER_BACKOFF_BASE_MS: "100",
      WORKER_BACKOFF_MAX_MS: "400",
      NOTIFY_TIMEOUT_MS: String(TIMEOUT_MS),
      LOG_LEVEL: "error",
    },
    log: silentLogger,
  });
});

afterAll(async () => {
  for (const r of hanging) r.destroy();
  await worker?.stop(1000);
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

async function addChannel(name: string, kind: "webhook" | "email", target: string): Promise<string> {
  const { data, error } = await org.users.admin.client.from("notification_channels").insert({ org_id: org.id, name, kind, target }).select("id").single();
  if (error) throw error;
  return data.id as string;
}

async function sendTest(channelId: string): Promise<string> {
  const { data, error } = await org.users.admin.client.rpc("send_test_notification", { p_channel_id: channelId });
  if (error) throw error;
  return data as string;
}

const delivery = async (id: string) => (await sql(stack)`select status, attempts, last_error, last_status_code, delivered_at from public.notification_deliveries where id = ${id}`)[0]!;

describe("notifications", () => {
  it("an admin's test webhook arrives Slack-compatible and signed as Standard Webhooks specify", async () => {
    const channel = await addChannel("ops hook", "webhook", `${base}/ok`);
    const secret = (await org.users.admin.client.rpc("notification_channel_secret", { p_channel_id: channel })).data as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const id = await sendTest(channel);
    await waitFor(async () => (await delivery(id)).status === "delivered", { message: "test webhook delivered" });
    const got = received.find((r) => r.path === "/ok" && r.headers["webhook-id"] === id)!;
    expect(JSON.parse(got.body).text).toMatch(/Test notification for "ops hook"/);
    const headers = { "webhook-id": String(got.headers["webhook-id"]), "webhook-timestamp": String(got.headers["webhook-timestamp"]), "webhook-signature": String(got.headers["webhook-signature"]) };
    expect(headers["webhook-signature"]).toMatch(/^v1,/);
    expect(() => new Webhook(secret).verify(got.body, headers)).not.toThrow();
    // Bad bytes or another secret do not verify.
    expect(() => new Webhook(secret).verify(got.body.replace("Test", "Tset"), headers)).toThrow();
    expect(() => new Webhook("whsec_" + Buffer.from("another secret entirely!").toString("base64")).verify(got.body, headers)).toThrow();
    expect(await delivery(id)).toMatchObject({ status: "delivered", attempts: 1, last_status_code: 204 });
  });

  it("a receiver that fails three times then succeeds is retried with backoff, and the log says so", async () => {
    const channel = await addChannel("flaky hook", "webhook", `${base}/flaky`);
    const id = await sendTest(channel);
    await waitFor(async () => (await delivery(id)).status === "delivered", { timeout: 15_000, message: "flaky webhook delivered" });
    const calls = received.filter((r) => r.path === "/flaky");
    expect(calls).toHaveLength(4);
    // One delivery, retried: the same webhook-id each time, so a receiver can dedupe.
    expect(new Set(calls.map((c) => c.headers["webhook-id"]))).toEqual(new Set([id]));
    // Backoff: the gaps grow (100 ms base, doubling, jittered).
    expect(calls[3]!.at - calls[0]!.at).toBeGreaterThanOrEqual(150);
    expect(await delivery(id)).toMatchObject({ status: "delivered", attempts: 4, last_error: "The endpoint answered 503", last_status_code: 204 });
  });

  it("a dead receiver does not delay the others; it is retried and logged", async () => {
    const dead = await addChannel("dead hook", "webhook", `${base}/dead`);
    const alive = await addChannel("live hook", "webhook", `${base}/ok`);
    const deadId = await sendTest(dead);
    await waitFor(() => received.some((r) => r.path === "/dead"), { message: "the dead receiver got its request" });
    const start = Date.now();
    const aliveId = await sendTest(alive);
    await waitFor(async () => (await delivery(aliveId)).status === "delivered", { message: "live webhook delivered" });
    expect(Date.now() - start).toBeLessThan(TIMEOUT_MS);
    expect((await delivery(deadId)).status).toBe("pending");
    await waitFor(async () => (await delivery(deadId)).status === "retrying", { timeout: TIMEOUT_MS + 5000, message: "dead delivery logged as retrying" });
    expect((await delivery(deadId)).last_error).toBe(`No answer within ${TIMEOUT_MS} ms`);
  });

  it("email goes over SMTP and arrives in the mail catcher", async () => {
    const address = `oncall-${org.slug}@example.com`;
    const channel = await addChannel("on-call mail", "email", address);
    const id = await sendTest(channel);
    const mail = await waitForMail(stack, address);
    expect(mail.Subject).toBe("Test notification");
    expect(mail.Text).toContain('Test notification for "on-call mail"');
    await waitFor(async () => (await delivery(id)).status === "delivered", { message: "email delivery logged" });
  });

  it("a firing alert notifies the rule's channels; muting silences its resolution", async () => {
    const channel = await addChannel("errors hook", "webhook", `${base}/ok`);
    const [rule] = await sql(stack)`select id from public.alert_rules where org_id = ${org.id} and default_key = 'llm_errors'`;
    const routed = await org.users.admin.client.from("alert_rule_channels").insert({ org_id: org.id, rule_id: rule!.id, channel_id: channel });
    expect(routed.error).toBeNull();
    await sql(stack)`insert into public.ai_requests (org_id, function_name, model, status) select ${org.id}, 'create-improvement-case', 'offline-fast-1', 'error' from generate_series(1, 30)`;
    await evaluateAlerts({ sql: sql(stack) });
    const [alert] = await sql(stack)`select id from public.alerts where rule_id = ${rule!.id} and status = 'firing'`;
    const [d] = await sql(stack)`select id from public.notification_deliveries where alert_id = ${alert!.id} and event = 'fired'`;
    await waitFor(async () => (await delivery(d!.id)).status === "delivered", { message: "alert webhook delivered" });
    const body = JSON.parse(received.find((r) => r.headers["webhook-id"] === d!.id)!.body);
    expect(body.text).toMatch(/^CRITICAL: LLM error rate above 5% in notify org\. LLM error rate is 100\.0%/);
    expect(body.alert).toMatchObject({ id: alert!.id, event: "fired", metric: "llm_error_rate", level: "critical", sample: 30 });

    const muted = await org.users.admin.client.rpc("mute_alert", { p_alert_id: alert!.id, p_until: new Date(Date.now() + 3_600_000).toISOString() });
    expect(muted.error).toBeNull();
    await sql(stack)`insert into public.ai_requests (org_id, function_name, model, status) select ${org.id}, 'create-improvement-case', 'offline-fast-1', 'ok' from generate_series(1, 1000)`;
    await evaluateAlerts({ sql: sql(stack) }, new Date(Date.now() + 60_000));
    await evaluateAlerts({ sql: sql(stack) }, new Date(Date.now() + 17 * 60_000));
    expect((await sql(stack)`select status from public.alerts where id = ${alert!.id}`)[0]!.status).toBe("resolved");
    expect(await sql(stack)`select 1 from public.notification_deliveries where alert_id = ${alert!.id} and event = 'resolved'`).toHaveLength(0);
  });

  it("only admins of the channel's organization send tests or read secrets (attacks: manager, other tenant)", async () => {
    const channel = await addChannel("private hook", "webhook", `${base}/ok`);
    const other = await createOrg(stack, "notify-other");
    const asManager = await org.users.manager.client.rpc("send_test_notification", { p_channel_id: channel });
    expect(asManager.error?.message).toMatch(/alert:manage/);
    const asOther = await other.users.admin.client.rpc("send_test_notification", { p_channel_id: channel });
    expect(asOther.error?.message).toMatch(/not found/);
    expect((await org.users.manager.client.rpc("notification_channel_secret", { p_channel_id: channel })).error).not.toBeNull();
    expect((await other.users.admin.client.rpc("notification_channel_secret", { p_channel_id: channel })).error?.message).toMatch(/not found/);
    // The secret is not in the channel row, even for the admin (only through the function).
    const row = (await org.users.admin.client.from("notification_channels").select("*").eq("id", channel).single()).data!;
    expect(JSON.stringify(row)).not.toMatch(/whsec_/);
    // A manager reads channels; a reviewer does not see them; another tenant's admin cannot route to them.
    expect((await org.users.manager.client.from("notification_channels").select("id").eq("id", channel)).data).toHaveLength(1);
    expect((await org.users.reviewer.client.from("notification_channels").select("id").eq("id", channel)).data).toHaveLength(0);
    const [rule] = await sql(stack)`select id from public.alert_rules where org_id = ${other.id} and default_key = 'llm_errors'`;
    const cross = await other.users.admin.client.from("alert_rule_channels").insert({ org_id: other.id, rule_id: rule!.id, channel_id: channel });
    expect(cross.error).not.toBeNull();
  });
});
