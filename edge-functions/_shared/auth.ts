import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { can, isRole, type Capability, type Role } from "../../shared/src/domain/capabilities.ts";
import type { Database } from "../../shared/src/database.types.ts";
import { env } from "./env.ts";
import { AppError, forbidden, notFound, unauthorized } from "./http.ts";

export type { Role };
/** The database's own types (shared/src/database.types.ts, generated from the migrated schema). */
export type Db = SupabaseClient<Database>;
export type Caller = { userId: string; email: string | null; client: Db; authorization: string };

const noSession = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } } as const;

/** A client acting with the caller's own rights: RLS and the database functions' own checks apply. */
export async function getCaller(req: Request): Promise<Caller> {
  const authorization = req.headers.get("authorization");
  if (!authorization?.startsWith("Bearer ")) throw unauthorized();
  const e = env();
  const client = createClient<Database>(e.SUPABASE_URL, e.SUPABASE_ANON_KEY, { ...noSession, global: { headers: { Authorization: authorization } } });
  const token = authorization.slice("Bearer ".length);
  const { data, error } = await client.auth.getUser(token);
  if (error || !data.user) throw unauthorized("Your session is not valid; sign in again");
  return { userId: data.user.id, email: data.user.email ?? null, client, authorization };
}

/**
 * The service-role client, in this one module. Only for what no user may do directly: writing
 * ai_requests and ingesting feedback with an ingest key. Everything a user does goes through
 * `caller.client`, and the database checks the caller itself.
 */
export function serviceClient(): Db {
  const e = env();
  return createClient<Database>(e.SUPABASE_URL, e.SUPABASE_SERVICE_ROLE_KEY, noSession);
}

/**
 * Reads the caller's role in the organization through their own client (RLS) and refuses early, with a
 * clear sentence, what the database would refuse anyway (it checks the same capability table). An
 * organization the caller does not belong to is "not found", like one that does not exist.
 */
export async function requireCapability(caller: Caller, orgId: string, capability: Capability, what = "The organization"): Promise<Role> {
  const { data, error } = await caller.client
    .from("memberships")
    .select("role")
    .eq("org_id", orgId)
    .eq("user_id", caller.userId)
    .maybeSingle();
  if (error) throw new AppError(500, "membership_lookup_failed", error.message);
  if (!data || !isRole(data.role)) throw notFound(what);
  const role = data.role;
  if (!can(role, capability)) {
    throw forbidden(`This needs the ${capability} permission, which ${role === "admin" ? "an" : "a"} ${role} does not have here`);
  }
  return role;
}
