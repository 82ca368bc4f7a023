import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import { signUserToken, type ApiKeys } from "../keys.ts";
import { uuidv7 } from "./signup.ts";
import { loadUser, type GoTrueUser } from "./users.ts";

/**
 * Sessions and access tokens as GoTrue issues them. lite creates sessions for the sign-ins it
 * handles; the gateway creates them for the ones it handles (anonymous sign-in, MFA verification)
 * in the same tables (auth.sessions, auth.refresh_tokens), so lite's refresh grant and sign-out
 * work on either. The authentication methods of a session are kept in auth.mfa_amr_claims, as
 * GoTrue keeps them; the token's `amr` and `aal` are computed from them on every issue (a
 * session with a verified TOTP is aal2, and stays aal2 across refreshes).
 */
export type TokenContext = { sql: postgres.Sql; keys: ApiKeys; issuer: string; jwtExpiry: number };

export type AmrMethod = "password" | "otp" | "totp" | "anonymous" | "recovery" | "invite" | "magiclink" | "email/signup" | "email_change" | "oauth" | "token_refresh" | "passkey" | "mfa/webauthn" | "oauth_provider/authorization_code";

const AAL2_METHODS = new Set(["totp", "mfa/phone", "mfa/webauthn"]);

export async function recordAmr(sql: postgres.Sql, sessionId: string, method: AmrMethod): Promise<void> {
  await sql`
    insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
    values (${randomUUID()}, ${sessionId}, now(), now(), ${method})
    on conflict (session_id, authentication_method) do update set updated_at = now()`;
}

export type AccessClaims = Record<string, unknown> & { sub: string; session_id: string; aal: "aal1" | "aal2"; amr: Array<{ method: string; timestamp: number }> };

/** GoTrue's AccessTokenClaims for a user's session, as of now. */
export async function claimsFor(ctx: TokenContext, user: GoTrueUser, sessionId: string): Promise<AccessClaims> {
  const amrRows = await ctx.sql<Array<{ authentication_method: string; ts: number }>>`
    select authentication_method, extract(epoch from updated_at)::bigint as ts
    from auth.mfa_amr_claims where session_id = ${sessionId} order by updated_at desc`;
  const amr = amrRows.map((r) => ({ method: r.authentication_method, timestamp: Number(r.ts) }));
  // GoTrue's AccessTokenClaims.ClientID: which OAuth client a token was issued to, if any.
  const [session] = await ctx.sql<Array<{ oauth_client_id: string | null }>>`select oauth_client_id from auth.sessions where id = ${sessionId}`;
  const iat = Math.floor(Date.now() / 1000);
  return {
    aud: String(user.aud || "authenticated"),
    exp: iat + ctx.jwtExpiry,
    iat,
    iss: ctx.issuer,
    sub: user.id,
    email: user.email,
    phone: String(user.phone ?? ""),
    app_metadata: user.app_metadata ?? {},
    user_metadata: user.user_metadata ?? {},
    role: String(user.role || "authenticated"),
    aal: amr.some((a) => AAL2_METHODS.has(a.method)) ? "aal2" : "aal1",
    amr,
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
    ...(session?.oauth_client_id ? { client_id: session.oauth_client_id } : {}),
  };
}

export async function signAccessToken(ctx: TokenContext, user: GoTrueUser, sessionId: string): Promise<{ token: string; claims: AccessClaims }> {
  const claims = await claimsFor(ctx, user, sessionId);
  return { token: await signUserToken(ctx.keys, claims), claims };
}

export type TokenResponse = {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: GoTrueUser;
};

/**
 * A new session for `userId`, signed in by `method`: GoTrue's issueRefreshToken. A session issued to
 * an OAuth client (oauth-server.ts) records the client and the scopes the user granted it.
 */
export async function issueSession(ctx: TokenContext, userId: string, method: AmrMethod, oauth?: { oauthClientId: string; scopes: string }): Promise<TokenResponse> {
  const sessionId = uuidv7();
  const refreshToken = uuidv7();
  await ctx.sql.begin(async (tx) => {
    await tx`update auth.users set last_sign_in_at = now(), updated_at = now() where id = ${userId}`;
    await tx`insert into auth.sessions (id, user_id, aal, oauth_client_id, scopes, created_at, updated_at)
             values (${sessionId}, ${userId}, 'aal1', ${oauth?.oauthClientId ?? null}, ${oauth?.scopes ?? null}, now(), now())`;
    await tx`insert into auth.refresh_tokens (id, token, user_id, session_id, revoked, created_at, updated_at) values (${uuidv7()}, ${refreshToken}, ${userId}, ${sessionId}, false, now(), now())`;
  });
  await recordAmr(ctx.sql, sessionId, method);
  return tokenResponse(ctx, userId, sessionId, refreshToken);
}

/**
 * After a second factor: the session gains the method (and so aal2), its refresh tokens so far are
 * deleted and a new one is issued, so a token that was handed out at aal1 cannot continue the session
 * (GoTrue's updateMFASessionAndClaims moves the session's refresh-token counter past them for the same
 * reason). Revoking them would not do: lite, like GoTrue, lets a revoked token of a live session be
 * reused, and it would then be refreshed into the session's new aal2.
 */
export async function elevateSession(ctx: TokenContext, userId: string, sessionId: string, method: AmrMethod, factorId: string): Promise<TokenResponse> {
  const refreshToken = uuidv7();
  await ctx.sql.begin(async (tx) => {
    await tx`delete from auth.refresh_tokens where session_id = ${sessionId}`;
    await tx`update auth.sessions set aal = 'aal2', factor_id = ${factorId}, updated_at = now() where id = ${sessionId}`;
    await tx`insert into auth.refresh_tokens (id, token, user_id, session_id, revoked, created_at, updated_at)
             values (${uuidv7()}, ${refreshToken}, ${userId}, ${sessionId}, false, now(), now())`;
  });
  await recordAmr(ctx.sql, sessionId, method);
  return tokenResponse(ctx, userId, sessionId, refreshToken);
}

/** New tokens for a session whose refresh token the caller has just rotated to `refreshToken`. */
export async function reissue(ctx: TokenContext, userId: string, sessionId: string, refreshToken: string): Promise<TokenResponse> {
  return tokenResponse(ctx, userId, sessionId, refreshToken);
}

async function tokenResponse(ctx: TokenContext, userId: string, sessionId: string, refreshToken: string): Promise<TokenResponse> {
  const user = await loadUser(ctx.sql, userId);
  if (!user) throw new Error(`user ${userId} vanished while signing in`);
  const { token, claims } = await signAccessToken(ctx, user, sessionId);
  return { access_token: token, token_type: "bearer", expires_in: ctx.jwtExpiry, expires_at: Number(claims.exp), refresh_token: refreshToken, user };
}
