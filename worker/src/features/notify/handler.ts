import nodemailer from "nodemailer";
import { Webhook } from "standardwebhooks";
import { NotifyPayload } from "@review/shared/jobs/config";
import type { ClaimedJob, JobContext } from "../../queue/types.ts";
import { PermanentError } from "../../queue/types.ts";
import type { HandlerDeps } from "../common.ts";

type DeliveryRow = {
  id: string; org_id: string; status: string; event: string; payload: { text?: string; title?: string } & Record<string, unknown>;
  kind: "webhook" | "email"; target: string; secret: string; enabled: boolean; channel_name: string;
};

export class DeliveryError extends Error {
  constructor(message: string, readonly statusCode: number | null = null) {
    super(message);
  }
}

/**
 * One notification delivery (a `notify` queue entry per delivery, so a dead endpoint only ever holds its
 * own entry). Failures are logged on the delivery row and rethrown: the queue retries with backoff until
 * the entry's attempts are spent, and the row then says `failed` with the last error.
 */
export async function runNotify(deps: HandlerDeps, entry: ClaimedJob, ctx: JobContext): Promise<unknown> {
  const parsed = NotifyPayload.safeParse(entry.payload);
  if (!parsed.success) throw new PermanentError("The notify entry has no deliveryId");
  const { sql } = deps;
  const [d] = await sql<DeliveryRow[]>`
    select d.id, d.org_id, d.status, d.event, d.payload, c.kind, c.target, s.secret, c.enabled, c.name as channel_name
    from public.notification_deliveries d join public.notification_channels c on c.id = d.channel_id
    join private.notification_channel_secrets s on s.channel_id = c.id
    where d.id = ${parsed.data.deliveryId}`;
  if (!d) throw new PermanentError(`Delivery ${parsed.data.deliveryId} no longer exists`);
  if (d.status === "delivered") return { deliveryId: d.id, already: true };
  const lastAttempt = entry.attempt >= (entry.maxAttempts ?? deps.env.WORKER_MAX_ATTEMPTS);
  try {
    if (!d.enabled) throw new PermanentError(`The channel "${d.channel_name}" is disabled`);
    const statusCode = d.kind === "webhook" ? await sendWebhook(deps, d, ctx.signal) : await sendEmail(deps, d);
    await sql`update public.notification_deliveries set status = 'delivered', attempts = ${entry.attempt}, last_status_code = ${statusCode},
              delivered_at = now(), updated_at = now() where id = ${d.id}`;
    return { deliveryId: d.id, statusCode };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof DeliveryError ? err.statusCode : null;
    const final = lastAttempt || err instanceof PermanentError;
    await sql`update public.notification_deliveries set status = ${final ? "failed" : "retrying"}, attempts = ${entry.attempt},
              last_error = ${message.slice(0, 1000)}, last_status_code = ${code}, updated_at = now() where id = ${d.id}`;
    throw err;
  }
}

/** Standard Webhooks: webhook-id (the delivery's id, the same on every retry so receivers can dedupe), webhook-timestamp, webhook-signature (v1, HMAC-SHA256). */
export function signWebhook(secret: string, id: string, timestamp: Date, body: string): Record<string, string> {
  const signature = new Webhook(secret).sign(id, timestamp, body);
  return { "webhook-id": id, "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)), "webhook-signature": signature };
}

async function sendWebhook(deps: HandlerDeps, d: DeliveryRow, signal: AbortSignal): Promise<number> {
  const body = JSON.stringify(d.payload);
  const doFetch = deps.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(d.target, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "review-workspace-alerts/1", ...signWebhook(d.secret, d.id, new Date(), body) },
      body,
      redirect: "manual",
      // A receiver that hangs must not hold a worker slot for long; it gets its retry like any failure.
      signal: AbortSignal.any([signal, AbortSignal.timeout(deps.env.NOTIFY_TIMEOUT_MS)]),
    });
  } catch (err) {
    const e = err as Error;
    throw new DeliveryError(e.name === "TimeoutError" ? `No answer within ${deps.env.NOTIFY_TIMEOUT_MS} ms` : `Could not reach the endpoint: ${e.message}`);
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status < 200 || res.status >= 300) throw new DeliveryError(`The endpoint answered ${res.status}`, res.status);
  return res.status;
}

let transport: nodemailer.Transporter | null = null;
let transportUrl = "";

async function sendEmail(deps: HandlerDeps, d: DeliveryRow): Promise<number | null> {
  const url = deps.env.SMTP_URL;
  if (!url) throw new PermanentError("No SMTP server is configured (SMTP_URL)");
  if (!transport || transportUrl !== url) {
    transport = nodemailer.createTransport(url);
    transportUrl = url;
  }
  const title = typeof d.payload.title === "string" ? d.payload.title : "Alert";
  const text = typeof d.payload.text === "string" ? d.payload.text : JSON.stringify(d.payload);
  try {
    await transport.sendMail({ from: deps.env.ALERT_EMAIL_FROM, to: d.target, subject: title, text, headers: { "X-Delivery-Id": d.id } });
  } catch (err) {
    throw new DeliveryError(`SMTP: ${(err as Error).message}`);
  }
  return null;
}
