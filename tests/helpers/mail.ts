import type { StackInfo } from "@review/local-supabase";
import { waitFor } from "./stack.ts";

/**
 * The stack's mail catcher, read through Mailpit's REST API as a test against `supabase start` would
 * read Mailpit: every email Auth sends (confirmation, magic link, recovery) is there.
 */

export type MailSummary = { ID: string; To: Array<{ Address: string }>; Subject: string; Created: string; Snippet: string };
export type MailMessage = MailSummary & { Text: string; HTML: string };

function mailUrl(stack: StackInfo): string {
  if (!stack.mailUrl) throw new Error("this stack runs no mail catcher ([inbucket] enabled = false)");
  return stack.mailUrl;
}

/** Messages matching a Mailpit search (`to:someone@example.com`), newest first. */
export async function searchMail(stack: StackInfo, query: string): Promise<MailSummary[]> {
  const res = await fetch(`${mailUrl(stack)}/api/v1/search?query=${encodeURIComponent(query)}`);
  if (!res.ok) throw new Error(`mail search: ${res.status}`);
  return ((await res.json()) as { messages: MailSummary[] }).messages;
}

/** Everything sent to `address` (exactly, without case), newest first. */
export async function mailTo(stack: StackInfo, address: string): Promise<MailSummary[]> {
  const found = await searchMail(stack, `to:"${address}"`);
  return found.filter((m) => m.To.some((t) => t.Address.toLowerCase() === address.toLowerCase()));
}

export async function readMail(stack: StackInfo, id: string): Promise<MailMessage> {
  const res = await fetch(`${mailUrl(stack)}/api/v1/message/${id}`);
  if (!res.ok) throw new Error(`mail ${id}: ${res.status}`);
  return (await res.json()) as MailMessage;
}

/** Waits for the `n`th email to `address` (1 = the first) and returns it whole. */
export async function waitForMail(stack: StackInfo, address: string, n = 1): Promise<MailMessage> {
  const summary = await waitFor(async () => (await mailTo(stack, address)).at(-n), { message: `email #${n} to ${address}` });
  return readMail(stack, summary.ID);
}

/** The /auth/v1/verify link in an Auth email, as a person would click it. */
export function verifyLink(message: MailMessage): string {
  const link = /https?:\/\/\S+\/auth\/v1\/verify\?\S+/.exec(message.Text)?.[0];
  if (!link) throw new Error(`no verify link in "${message.Subject}": ${message.Text}`);
  return link;
}

/**
 * Follows an email's link as a browser does up to the app: GET it, and read where Auth sends the
 * browser (site_url, with the session or the error in the fragment). The app itself need not run.
 */
export async function followLink(link: string): Promise<{ status: number; location: string; fragment: URLSearchParams }> {
  const res = await fetch(link, { redirect: "manual" });
  const location = res.headers.get("location") ?? "";
  return { status: res.status, location, fragment: new URLSearchParams(location.split("#")[1] ?? "") };
}
