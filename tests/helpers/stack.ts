import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import postgres from "postgres";
import ws from "ws";
import type { StackInfo } from "@review/local-supabase";

/** The stack the global setup started for this run (its data dir is in TEST_STACK_FILE). */
export async function getStack(): Promise<StackInfo> {
  const file = process.env.TEST_STACK_FILE;
  if (!file) throw new Error("TEST_STACK_FILE is not set: run tests through vitest with tests/vitest.config.ts");
  return JSON.parse(fs.readFileSync(file, "utf8")) as StackInfo;
}

/** supabase-js as an app would create it (Node 20 needs `ws` as the realtime transport). */
export function client(stack: StackInfo, key = stack.anonKey, accessToken?: string): SupabaseClient {
  return createClient(stack.apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: ws as never },
    global: accessToken ? { headers: { Authorization: `Bearer ${accessToken}` } } : undefined,
  });
}

export function serviceClient(stack: StackInfo): SupabaseClient {
  return client(stack, stack.serviceRoleKey);
}

const pools = new Map<string, postgres.Sql>();
/** Direct superuser SQL for assertions a user could not make (e.g. audit rows exist); one pool per database. */
export function sql(stack: StackInfo): postgres.Sql {
  let pool = pools.get(stack.dbUrl);
  if (!pool) {
    pool = postgres(stack.dbUrl, { onnotice: () => {}, max: 3 });
    pools.set(stack.dbUrl, pool);
  }
  return pool;
}

/** Ends the pool for a stack the test itself is about to stop. */
export async function closeSql(stack: StackInfo): Promise<void> {
  await pools.get(stack.dbUrl)?.end({ timeout: 5 });
  pools.delete(stack.dbUrl);
}

export type TestUser = { id: string; email: string; password: string; client: SupabaseClient; accessToken: string };

/** A unique, signed-in user: tests never share users, so they never share state. */
export async function createUser(stack: StackInfo, label = "user", metadata: Record<string, unknown> = {}): Promise<TestUser> {
  const email = `${label}-${randomUUID().slice(0, 8)}@test.example.com`;
  const password = `pw-${randomUUID()}`;
  const admin = serviceClient(stack);
  const created = await admin.auth.admin.createUser({ email, password, email_confirm: true, user_metadata: metadata });
  if (created.error) throw created.error;
  const c = client(stack);
  const signed = await c.auth.signInWithPassword({ email, password });
  if (signed.error) throw signed.error;
  return { id: created.data.user!.id, email, password, client: c, accessToken: signed.data.session!.access_token };
}

/** Waits for a condition a user would notice; never a fixed sleep. */
export async function waitFor<T>(probe: () => T | Promise<T>, opts: { timeout?: number; interval?: number; message?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeout ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${opts.message ?? "condition"} not met in time${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, opts.interval ?? 25));
  }
}
