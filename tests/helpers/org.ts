import { randomUUID } from "node:crypto";
import type { StackInfo } from "@review/local-supabase";
import { createUser, sql, type TestUser } from "./stack.ts";

export type Role = "admin" | "curator" | "reviewer" | "manager";
export type TestOrg = { id: string; slug: string; users: Record<Role, TestUser> };

/** A fresh organization with one signed-in user per role; tests never share tenants. */
export async function createOrg(stack: StackInfo, label = "org"): Promise<TestOrg> {
  const [admin, curator, reviewer, manager] = await Promise.all(
    (["admin", "curator", "reviewer", "manager"] as const).map((r) => createUser(stack, `${label}-${r}`)),
  );
  const slug = `${label}-${randomUUID().slice(0, 8)}`.toLowerCase();
  const org = await admin!.client.from("organizations").insert({ name: `${label} org`, slug }).select("id").single();
  if (org.error) throw org.error;
  const id = org.data.id as string;
  await sql(stack)`
    insert into public.memberships (org_id, user_id, role) values
      (${id}, ${curator!.id}, 'curator'), (${id}, ${reviewer!.id}, 'reviewer'), (${id}, ${manager!.id}, 'manager')`;
  return { id, slug, users: { admin: admin!, curator: curator!, reviewer: reviewer!, manager: manager! } };
}

export type FnResult<T = any> = { status: number; body: T; headers: Headers };

/** Calls an Edge Function the way the SPA does (apikey + the user's bearer token). */
export async function callFunction<T = any>(stack: StackInfo, name: string, body: unknown, token?: string, headers: Record<string, string> = {}): Promise<FnResult<T>> {
  const res = await fetch(`${stack.functionsUrl}/${name}`, {
    method: "POST",
    headers: {
      apikey: stack.anonKey,
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* SSE or plain text stays a string */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export async function addFeedback(stack: StackInfo, orgId: string, overrides: Partial<{ rating: number; query: string; response: string; comment: string; labels: string[] }> = {}) {
  const [row] = await sql(stack)`
    insert into public.feedback (org_id, rating, query, response, comment, labels)
    values (${orgId}, ${overrides.rating ?? 1}, ${overrides.query ?? "How do I get a refund for a double charge?"},
      ${overrides.response ?? "Refunds are not possible."}, ${overrides.comment ?? "Wrong, we refund double charges"}, ${overrides.labels ?? ["billing"]})
    returning id`;
  return row!.id as string;
}
