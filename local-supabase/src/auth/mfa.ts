import { randomUUID } from "node:crypto";
import * as OTPAuth from "otpauth";
import QRCode from "qrcode";
import type postgres from "postgres";
import type { AuthConfig } from "../supabase-config.ts";
import type { Caller } from "./authenticate.ts";
import { AuthError, validationFailed } from "./errors.ts";
import { elevateSession, type TokenContext } from "./sessions.ts";
import { toFactor } from "./users.ts";

/**
 * MFA with TOTP as GoTrue does it (internal/api/mfa.go): enroll (a secret, its otpauth:// URI and
 * the QR code of it as SVG), challenge, verify (RFC 6238, 30 s steps, one step of skew, 6 digits,
 * SHA-1, as GoTrue's pquerna/otp settings), unenroll. A verified code makes the session aal2 with
 * `totp` in its `amr`, and gives the client a new access and refresh token. The factors, challenges
 * and amr claims live in GoTrue's own tables (bootstrap/21-auth-schema.sql). Phone and WebAuthn
 * factors answer GoTrue's "not enabled" errors: neither has a local channel or authenticator.
 */
const CHALLENGE_EXPIRY_SECONDS = 300; // GoTrue's MFA_CHALLENGE_EXPIRY_DURATION
const FACTOR_EXPIRY_SECONDS = 300; // GoTrue's MFA_FACTOR_EXPIRY_DURATION, for unverified factors
const MAX_VERIFIED_FACTORS = 10;

export type MfaContext = { sql: postgres.Sql; tokens: TokenContext; config: AuthConfig; clientIp: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function handleFactors(ctx: MfaContext, caller: Caller, method: string, rest: string[], input: Record<string, unknown>): Promise<Response> {
  if (caller.user.is_anonymous || caller.claims.is_anonymous === true) {
    throw new AuthError(403, "no_authorization", "Anonymous user not allowed to perform these actions");
  }
  if (!caller.sessionId) throw new AuthError(500, "unexpected_failure", "A valid session and a registered user are required to enroll a factor");
  if (rest.length === 0) {
    if (method !== "POST") throw new AuthError(405, "validation_failed", "Method not allowed");
    return enroll(ctx, caller, input);
  }
  const [factorId, action] = rest;
  if (!UUID.test(factorId!)) throw new AuthError(404, "validation_failed", "factor_id must be an UUID");
  const [factor] = await ctx.sql`select * from auth.mfa_factors where id = ${factorId!} and user_id = ${caller.user.id}`;
  if (!factor) throw new AuthError(404, "mfa_factor_not_found", "Factor not found");
  if (rest.length === 1 && method === "DELETE") return unenroll(ctx, caller, factor);
  if (action === "challenge" && method === "POST" && rest.length === 2) return challenge(ctx, factor);
  if (action === "verify" && method === "POST" && rest.length === 2) return verify(ctx, caller, factor, input);
  throw new AuthError(405, "validation_failed", "Method not allowed");
}

async function enroll(ctx: MfaContext, caller: Caller, input: Record<string, unknown>): Promise<Response> {
  const factorType = input.factor_type;
  const friendlyName = typeof input.friendly_name === "string" ? input.friendly_name : "";
  if (factorType === "phone") throw new AuthError(422, "mfa_phone_enroll_not_enabled", "MFA enroll is disabled for Phone");
  if (factorType === "webauthn") throw new AuthError(422, "mfa_webauthn_enroll_not_enabled", "MFA enroll is disabled for WebAuthn");
  if (factorType !== "totp") throw validationFailed("factor_type needs to be totp, phone, or webauthn");
  if (!ctx.config.mfa.totp.enrollEnabled) throw new AuthError(422, "mfa_totp_enroll_not_enabled", "MFA enroll is disabled for TOTP");
  const issuer = typeof input.issuer === "string" && input.issuer ? input.issuer : new URL(ctx.config.siteUrl).host;

  await ctx.sql`delete from auth.mfa_factors where user_id = ${caller.user.id} and status = 'unverified' and created_at < now() - make_interval(secs => ${FACTOR_EXPIRY_SECONDS})`;
  const factors = await ctx.sql<Array<{ friendly_name: string | null; status: string }>>`select friendly_name, status from auth.mfa_factors where user_id = ${caller.user.id}`;
  if (friendlyName && factors.some((f) => f.friendly_name === friendlyName)) {
    throw new AuthError(422, "mfa_factor_name_conflict", `A factor with the friendly name "${friendlyName}" for this user already exists`);
  }
  const verified = factors.filter((f) => f.status === "verified").length;
  if (factors.length >= ctx.config.mfa.maxEnrolledFactors || verified >= MAX_VERIFIED_FACTORS) {
    throw new AuthError(422, "too_many_enrolled_mfa_factors", "Maximum number of verified factors reached, unenroll to continue");
  }
  if (verified > 0 && caller.session?.aal !== "aal2") throw new AuthError(403, "insufficient_aal", "AAL2 required to enroll a new factor");

  // GoTrue's pquerna/otp generates a 20-byte secret (base32, 32 characters).
  const secret = new OTPAuth.Secret({ size: 20 });
  const totp = new OTPAuth.TOTP({ issuer, label: caller.user.email, algorithm: "SHA1", digits: 6, period: 30, secret });
  const uri = totp.toString();
  const qr = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "H", margin: 0 });
  const id = randomUUID();
  await ctx.sql.begin(async (tx) => {
    await tx`insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, secret, created_at, updated_at)
             values (${id}, ${caller.user.id}, ${friendlyName || null}, 'totp', 'unverified', ${secret.base32}, now(), now())`;
    await audit(tx, caller.user.id, "factor_in_progress", { factor_id: id });
  });
  return Response.json({ id, type: "totp", friendly_name: friendlyName, totp: { qr_code: qr, secret: secret.base32, uri } });
}

async function challenge(ctx: MfaContext, factor: Record<string, unknown>): Promise<Response> {
  if (factor.factor_type !== "totp") throw new AuthError(422, `mfa_${factor.factor_type === "phone" ? "phone" : "webauthn"}_verify_not_enabled`, "MFA verification is disabled for this factor type");
  if (!ctx.config.mfa.totp.verifyEnabled) throw new AuthError(422, "mfa_totp_verify_not_enabled", "MFA verification is disabled for TOTP");
  const id = randomUUID();
  const [row] = await ctx.sql<Array<{ expires_at: number }>>`
    with c as (insert into auth.mfa_challenges (id, factor_id, created_at, ip_address) values (${id}, ${String(factor.id)}, now(), ${ctx.clientIp}::inet) returning created_at)
    select extract(epoch from created_at)::bigint + ${CHALLENGE_EXPIRY_SECONDS} as expires_at from c`;
  await ctx.sql`update auth.mfa_factors set last_challenged_at = now() where id = ${String(factor.id)}`;
  return Response.json({ id, type: "totp", expires_at: Number(row!.expires_at) });
}

async function verify(ctx: MfaContext, caller: Caller, factor: Record<string, unknown>, input: Record<string, unknown>): Promise<Response> {
  const code = typeof input.code === "string" ? input.code : "";
  if (!code) throw validationFailed("Code needs to be non-empty");
  if (factor.factor_type !== "totp") throw new AuthError(422, "mfa_webauthn_verify_not_enabled", "MFA verification is disabled for this factor type");
  if (!ctx.config.mfa.totp.verifyEnabled) throw new AuthError(422, "mfa_totp_verify_not_enabled", "MFA verification is disabled for TOTP");
  const challengeId = typeof input.challenge_id === "string" && UUID.test(input.challenge_id) ? input.challenge_id : null;
  const [ch] = challengeId
    ? await ctx.sql<Array<{ id: string; verified_at: Date | null; ip: string; expired: boolean }>>`
        select id, verified_at, host(ip_address) as ip, created_at + make_interval(secs => ${CHALLENGE_EXPIRY_SECONDS}) < now() as expired
        from auth.mfa_challenges where id = ${challengeId} and factor_id = ${String(factor.id)}`
    : [];
  if (!ch) throw new AuthError(422, "mfa_factor_not_found", "MFA factor with the provided challenge ID not found");
  if (ch.verified_at || ch.ip !== ctx.clientIp) throw new AuthError(422, "mfa_ip_address_mismatch", "Challenge and verify IP addresses mismatch.");
  if (ch.expired) {
    await ctx.sql`delete from auth.mfa_challenges where id = ${ch.id}`;
    throw new AuthError(422, "mfa_challenge_expired", `MFA challenge ${ch.id} has expired, verify against another challenge or create a new challenge.`);
  }
  const totp = new OTPAuth.TOTP({ algorithm: "SHA1", digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(String(factor.secret)) });
  if (totp.validate({ token: code, window: 1 }) === null) throw new AuthError(422, "mfa_verification_failed", "Invalid TOTP code entered");

  const claimed = await ctx.sql.begin(async (tx) => {
    // One code, one challenge: a second verify of the same challenge (a replay) finds it used.
    const used = await tx`update auth.mfa_challenges set verified_at = now() where id = ${ch.id} and verified_at is null returning id`;
    if (!used.length) return false;
    await tx`update auth.mfa_factors set status = 'verified', updated_at = now() where id = ${String(factor.id)}`;
    // GoTrue removes the user's other unverified factors of the type once one is verified.
    await tx`delete from auth.mfa_factors where user_id = ${caller.user.id} and factor_type = 'totp' and status = 'unverified' and id <> ${String(factor.id)}`;
    await audit(tx, caller.user.id, "verification_attempted", { factor_id: factor.id, challenge_id: ch.id, factor_type: "totp" });
    return true;
  });
  if (!claimed) throw new AuthError(422, "mfa_ip_address_mismatch", "Challenge and verify IP addresses mismatch.");
  const tokens = await elevateSession(ctx.tokens, caller.user.id, caller.sessionId!, "totp", String(factor.id));
  // GoTrue then signs out the user's other sessions below aal2 (InvalidateSessionsWithAALLessThan).
  await ctx.sql`delete from auth.sessions where user_id = ${caller.user.id} and id <> ${caller.sessionId!} and coalesce(aal, 'aal1') = 'aal1'`;
  return Response.json(tokens);
}

async function unenroll(ctx: MfaContext, caller: Caller, factor: Record<string, unknown>): Promise<Response> {
  if (factor.status === "verified" && caller.session?.aal !== "aal2") throw new AuthError(422, "insufficient_aal", "AAL2 required to unenroll verified factor");
  await deleteFactor(ctx.sql, String(factor.id));
  await audit(ctx.sql, caller.user.id, "factor_unenrolled", { factor_id: factor.id, factor_status: factor.status, session_id: caller.sessionId });
  return Response.json({ id: factor.id });
}

/** Deletes a factor; the sessions it raised to aal2 go back to aal1 (GoTrue's DowngradeSessionsToAAL1). */
export async function deleteFactor(sql: postgres.Sql, factorId: string): Promise<void> {
  await sql.begin(async (tx) => {
    const sessions = await tx<Array<{ id: string }>>`update auth.sessions set aal = 'aal1', factor_id = null where factor_id = ${factorId} returning id`;
    if (sessions.length) await tx`delete from auth.mfa_amr_claims where session_id in ${tx(sessions.map((s) => s.id))} and authentication_method in ('totp', 'mfa/phone', 'mfa/webauthn')`;
    await tx`delete from auth.mfa_factors where id = ${factorId}`;
  });
}

/** GET/DELETE/PUT /admin/users/{id}/factors[/{factor_id}]. */
export async function adminFactors(sql: postgres.Sql, userId: string, method: string, factorId: string | undefined, input: Record<string, unknown>): Promise<Response> {
  const [user] = await sql`select 1 from auth.users where id = ${userId}`;
  if (!user) throw new AuthError(404, "user_not_found", "User not found");
  if (!factorId) {
    if (method !== "GET") throw new AuthError(405, "validation_failed", "Method not allowed");
    const rows = await sql`select * from auth.mfa_factors where user_id = ${userId} order by created_at`;
    return Response.json(rows.map(toFactor));
  }
  if (!UUID.test(factorId)) throw new AuthError(404, "validation_failed", "factor_id must be an UUID");
  const [factor] = await sql`select * from auth.mfa_factors where id = ${factorId} and user_id = ${userId}`;
  if (!factor) throw new AuthError(404, "mfa_factor_not_found", "Factor not found");
  if (method === "DELETE") {
    await deleteFactor(sql, factorId);
    return Response.json(toFactor(factor));
  }
  if (method === "PUT") {
    const name = typeof input.friendly_name === "string" ? input.friendly_name : null;
    const [updated] = await sql`update auth.mfa_factors set friendly_name = coalesce(${name}, friendly_name), updated_at = now() where id = ${factorId} returning *`;
    return Response.json(toFactor(updated!));
  }
  throw new AuthError(405, "validation_failed", "Method not allowed");
}

async function audit(sql: postgres.Sql | postgres.TransactionSql, userId: string, action: string, traits: Record<string, unknown>): Promise<void> {
  await sql`insert into auth.audit_log_entries (id, payload, created_at, ip_address)
            values (${randomUUID()}, ${sql.json({ action, actor_id: userId, log_type: "user", traits } as never)}, now(), '')`;
}
