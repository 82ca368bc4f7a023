import type postgres from "postgres";
import { verifyJwt } from "../keys.ts";
import { AuthError, badJwt, noAuthorization } from "./errors.ts";
import { loadUser, type GoTrueUser } from "./users.ts";

export type Caller = { user: GoTrueUser; claims: Record<string, unknown>; sessionId: string | null; session: { aal: string | null } | null };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function bearerOf(headers: Headers): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "")?.[1] ?? null;
}

/**
 * GoTrue's requireAuthentication (internal/api/auth.go): a valid bearer token whose `sub` is an
 * existing user and whose `session_id`, if any, is a live session. Signing out deletes the session,
 * so the access token stops working here at once (unlike REST, which checks the token alone).
 */
export async function authenticate(sql: postgres.Sql, jwtSecret: string, headers: Headers): Promise<Caller> {
  const bearer = bearerOf(headers);
  if (!bearer) throw noAuthorization();
  const v = await verifyJwt(bearer, jwtSecret);
  if (!v.ok) throw badJwt(v.reason === "expired" ? "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired" : "invalid JWT: unable to parse or verify signature, token signature is invalid");
  const claims = v.claims as Record<string, unknown>;
  const sub = claims.sub;
  if (typeof sub !== "string" || !sub) throw badJwt("invalid claim: missing sub claim");
  if (!UUID.test(sub)) throw new AuthError(400, "bad_jwt", "invalid claim: sub claim must be a UUID");
  const user = await loadUser(sql, sub);
  if (!user) throw new AuthError(403, "user_not_found", "User from sub claim in JWT does not exist");
  const sessionId = typeof claims.session_id === "string" && claims.session_id && claims.session_id !== "00000000-0000-0000-0000-000000000000" ? claims.session_id : null;
  let session: Caller["session"] = null;
  if (sessionId) {
    if (!UUID.test(sessionId)) throw badJwt("invalid claim: session_id claim must be a UUID");
    const [row] = await sql<Array<{ aal: string | null }>>`select aal from auth.sessions where id = ${sessionId}`;
    if (!row) throw new AuthError(403, "session_not_found", "Session from session_id claim in JWT does not exist");
    session = row;
  }
  if (user.banned_until && new Date(String(user.banned_until)).getTime() > Date.now()) throw new AuthError(403, "user_banned", "User is banned");
  return { user, claims, sessionId, session };
}
