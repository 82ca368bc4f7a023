import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { env } from "./env.ts";
import { AppError, forbidden, notFound, unauthorized } from "./http.ts";

export type Role = "admin" | "curator" | "reviewer" | "manager";
export type Caller = { userId: string; email: string | null; client: SupabaseClient; authorization: string };

const noSession = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } } as const;

/** A client acting with the caller's own rights: RLS applies to everything it reads and writes. */
export async function getCaller(req: Request): Promise<Caller> {
  const authorization = req.headers.get("authorization");
  if (!authorization?.startsWith("Bearer ")) throw unauthorized();
  const e = env();
  const client = createClient(e.SUPABASE_URL, e.SUPABASE_ANON_KEY, { ...noSession, global: { headers: { Authorization: authorization } } });
  const token = authorization.slice("Bearer ".length);
  const { data, error } = await client.auth.getUser(token);
  if (error || !data.user) throw unauthorized("Your session is not valid; sign in again");
  return { userId: data.user.id, email: data.user.email ?? null, client, authorization };
}

/**
 * The service-role client. Only for steps a user may not do directly, and only after
 * `requireRole` has checked the caller's rights in the organization.
 */
export function serviceClient(): SupabaseClient {
  const e = env();
  return createClient(e.SUPABASE_URL, e.SUPABASE_SERVICE_ROLE_KEY, noSession);
}

/** Reads the caller's membership through their own client (RLS) and refuses other roles. */
export async function requireRole(caller: Caller, orgId: string, roles: Role[]): Promise<Role> {
  const { data, error } = await caller.client
    .from("memberships")
    .select("role")
    .eq("org_id", orgId)
    .eq("user_id", caller.userId)
    .maybeSingle();
  if (error) throw new AppError(500, "membership_lookup_failed", error.message);
  if (!data) throw notFound("The organization");
  const role = data.role as Role;
  if (!roles.includes(role)) {
    throw forbidden(`This needs the ${roles.join(" or ")} role; you are ${role === "admin" ? "an" : "a"} ${role} here`);
  }
  return role;
}
