/**
 * Who is calling the dev LLM, and whose approved answers it may draw on. The credential is one of this
 * project's JWTs: the service role key (Edge Functions and the worker, which act for an organization
 * they name in `metadata.user_id`) or a user's access token (whose organizations are their
 * memberships). The anon key identifies nobody and is refused like a missing key.
 */
import type http from "node:http";
import { verifyJwt } from "../keys.ts";
import { ApiError } from "./wire.ts";

export type Caller = { kind: "service" } | { kind: "user"; userId: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Anthropic's SDK sends the key as `x-api-key` or, in newer versions, `Authorization: Bearer`; both are read. */
export function credentialOf(req: http.IncomingMessage): string | null {
  const apiKey = req.headers["x-api-key"];
  const key = (Array.isArray(apiKey) ? apiKey[0] : apiKey)?.trim();
  if (key) return key;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return m ? m[1]! : null;
}

export async function authenticate(req: http.IncomingMessage, jwtSecret: string): Promise<Caller> {
  const token = credentialOf(req);
  if (!token) {
    throw new ApiError(401, "authentication_error", "x-api-key header is required (the local dev LLM takes the project's service role key or a user's access token)");
  }
  const v = await verifyJwt(token, jwtSecret);
  if (!v.ok) {
    throw new ApiError(401, "authentication_error", v.reason === "expired" ? "invalid x-api-key: the token has expired" : "invalid x-api-key (the local dev LLM takes the project's service role key, SUPABASE_SERVICE_ROLE_KEY, or a user's access token)");
  }
  if (v.claims.role === "service_role") return { kind: "service" };
  if (v.claims.role === "authenticated" && typeof v.claims.sub === "string" && UUID.test(v.claims.sub)) return { kind: "user", userId: v.claims.sub.toLowerCase() };
  throw new ApiError(401, "authentication_error", "invalid x-api-key: the anon key identifies no one; use the service role key or a user's access token");
}

/**
 * The organization whose approved answers a request may retrieve from, or null for none. A service
 * caller acts for the organization it names. A user's named organization counts only if they belong
 * to it; naming none, a user with exactly one organization gets that one.
 */
export async function retrievalOrg(caller: Caller, namedOrg: string | null, store: { userOrgs(userId: string): Promise<string[]> }): Promise<string | null> {
  if (caller.kind === "service") return namedOrg;
  const orgs = await store.userOrgs(caller.userId);
  if (namedOrg) return orgs.includes(namedOrg) ? namedOrg : null;
  return orgs.length === 1 ? orgs[0]! : null;
}
