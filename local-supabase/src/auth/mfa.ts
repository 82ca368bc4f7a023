import { randomUUID } from "node:crypto";
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from "@simplewebauthn/server";
import * as OTPAuth from "otpauth";
import QRCode from "qrcode";
import type postgres from "postgres";
import type { AuthConfig } from "../supabase-config.ts";
import type { Caller } from "./authenticate.ts";
import { AuthError, validationFailed } from "./errors.ts";
import { elevateSession, type TokenContext } from "./sessions.ts";
import { toFactor } from "./users.ts";
import { asAuthenticationResponse, asRegistrationResponse, relyingParty, WEBAUTHN_ALGORITHMS } from "./passkeys.ts";

/**
 * MFA with TOTP as GoTrue does it (internal/api/mfa.go): enroll (a secret, its otpauth:// URI and
 * the QR code of it as SVG), challenge, verify (RFC 6238, 30 s steps, one step of skew, 6 digits,
 * SHA-1, as GoTrue's pquerna/otp settings), unenroll. A verified code makes the session aal2 with
 * `totp` in its `amr`, and gives the client a new access and refresh token. The factors, challenges
 * and amr claims live in GoTrue's own tables (bootstrap/21-auth-schema.sql).
 *
 * WebAuthn factors (`[auth.mfa.web_authn]`, with the relying party of `[auth.webauthn]`): enrolling
 * makes an unverified factor; its first challenge asks the browser to create a credential ("create")
 * and verifying that registers it on the factor; a verified factor's challenges ask for an assertion
 * by that credential ("request"). Verified, either makes the session aal2 with `mfa/webauthn`. The
 * ceremony's data is kept on the challenge (web_authn_session_data), which one verification consumes.
 * Phone factors answer GoTrue's "not enabled" errors: there is no SMS channel here.
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
  if (action === "challenge" && method === "POST" && rest.length === 2) return challenge(ctx, caller, factor);
  if (action === "verify" && method === "POST" && rest.length === 2) return verify(ctx, caller, factor, input);
  throw new AuthError(405, "validation_failed", "Method not allowed");
}

async function enroll(ctx: MfaContext, caller: Caller, input: Record<string, unknown>): Promise<Response> {
  const factorType = input.factor_type;
  const friendlyName = typeof input.friendly_name === "string" ? input.friendly_name : "";
  if (factorType === "phone") throw new AuthError(422, "mfa_phone_enroll_not_enabled", "MFA enroll is disabled for Phone");
  if (factorType === "webauthn") {
    if (!ctx.config.mfa.webAuthn.enrollEnabled) throw new AuthError(422, "mfa_webauthn_enroll_not_enabled", "MFA enroll is disabled for WebAuthn");
    return enrollWebAuthn(ctx, caller, friendlyName);
  }
  if (factorType !== "totp") throw validationFailed("factor_type needs to be totp, phone, or webauthn");
  if (!ctx.config.mfa.totp.enrollEnabled) throw new AuthError(422, "mfa_totp_enroll_not_enabled", "MFA enroll is disabled for TOTP");
  const issuer = typeof input.issuer === "string" && input.issuer ? input.issuer : new URL(ctx.config.siteUrl).host;
  await validateFactors(ctx, caller, friendlyName);

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

/** GoTrue's validateFactors: expired unverified factors go, names are unique, counts are capped, aal2 once one is verified. */
async function validateFactors(ctx: MfaContext, caller: Caller, friendlyName: string): Promise<void> {
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
}

async function challenge(ctx: MfaContext, caller: Caller, factor: Record<string, unknown>): Promise<Response> {
  if (factor.factor_type === "webauthn") {
    if (!ctx.config.mfa.webAuthn.verifyEnabled) throw new AuthError(422, "mfa_webauthn_verify_not_enabled", "MFA verification is disabled for WebAuthn");
    return challengeWebAuthn(ctx, caller, factor);
  }
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
  if (!code && factor.factor_type !== "webauthn") throw validationFailed("Code needs to be non-empty");
  if (factor.factor_type === "webauthn") {
    if (!ctx.config.mfa.webAuthn.verifyEnabled) throw new AuthError(422, "mfa_webauthn_enroll_not_enabled", "MFA verification is disabled for WebAuthn");
    return verifyWebAuthn(ctx, caller, factor, input);
  }
  if (factor.factor_type !== "totp") throw new AuthError(422, "mfa_phone_verify_not_enabled", "MFA verification is disabled for this factor type");
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

// --- WebAuthn factors ------------------------------------------------------------------------------

/** go-webauthn's Credential as GoTrue stores it in mfa_factors.web_authn_credential (byte fields base64). */
type StoredWebAuthnCredential = {
  id: string;
  publicKey: string;
  attestationType: string;
  transport: string[];
  flags: { userPresent: boolean; userVerified: boolean; backupEligible: boolean; backupState: boolean };
  authenticator: { AAGUID: string; signCount: number; cloneWarning: boolean; attachment: string };
};

async function enrollWebAuthn(ctx: MfaContext, caller: Caller, friendlyName: string): Promise<Response> {
  await validateFactors(ctx, caller, friendlyName);
  const id = randomUUID();
  await ctx.sql.begin(async (tx) => {
    await tx`insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at)
             values (${id}, ${caller.user.id}, ${friendlyName || null}, 'webauthn', 'unverified', now(), now())`;
    await audit(tx, caller.user.id, "factor_in_progress", { factor_id: id, factor_type: "webauthn" });
  });
  return Response.json({ id, type: "webauthn", friendly_name: friendlyName });
}

/** The user's verified WebAuthn factors' credentials (GoTrue's User.WebAuthnCredentials). */
async function webAuthnCredentials(ctx: MfaContext, userId: string): Promise<StoredWebAuthnCredential[]> {
  const rows = await ctx.sql<Array<{ web_authn_credential: StoredWebAuthnCredential | null }>>`
    select web_authn_credential from auth.mfa_factors where user_id = ${userId} and factor_type = 'webauthn' and status = 'verified' and web_authn_credential is not null`;
  return rows.map((r) => r.web_authn_credential!);
}

const b64ToB64url = (b64: string) => Buffer.from(b64, "base64").toString("base64url");

async function challengeWebAuthn(ctx: MfaContext, caller: Caller, factor: Record<string, unknown>): Promise<Response> {
  const rp = relyingParty(ctx.config);
  let type: "create" | "request";
  let options: { challenge: string };
  if (factor.status === "unverified") {
    type = "create";
    options = await generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: caller.user.email,
      userDisplayName: caller.user.email,
      userID: new TextEncoder().encode(caller.user.id),
      timeout: 300_000,
      attestationType: "none",
      excludeCredentials: (await webAuthnCredentials(ctx, caller.user.id)).map((c) => ({ id: b64ToB64url(c.id), transports: ["usb", "nfc"] })),
      // go-webauthn's defaults for an MFA factor: a non-discoverable credential is enough.
      authenticatorSelection: { residentKey: "discouraged", userVerification: "preferred" },
      supportedAlgorithmIDs: WEBAUTHN_ALGORITHMS,
    });
  } else {
    type = "request";
    const credentials = await webAuthnCredentials(ctx, caller.user.id);
    options = await generateAuthenticationOptions({
      rpID: rp.id,
      timeout: 300_000,
      userVerification: "preferred",
      allowCredentials: credentials.map((c) => ({ id: b64ToB64url(c.id), transports: c.transport as never })),
    });
  }
  const id = randomUUID();
  const [row] = await ctx.sql<Array<{ expires_at: number }>>`
    with c as (
      insert into auth.mfa_challenges (id, factor_id, created_at, ip_address, web_authn_session_data)
      values (${id}, ${String(factor.id)}, now(), ${ctx.clientIp}::inet, ${ctx.sql.json({ challenge: options.challenge, rpId: rp.id, user_id: Buffer.from(caller.user.id).toString("base64"), userVerification: "preferred", type })})
      returning created_at)
    select extract(epoch from created_at)::bigint + ${CHALLENGE_EXPIRY_SECONDS} as expires_at from c`;
  await ctx.sql`update auth.mfa_factors set last_challenged_at = now() where id = ${String(factor.id)}`;
  return Response.json({ id, type: "webauthn", expires_at: Number(row!.expires_at), webauthn: { type, credential_options: { publicKey: options } } });
}

/**
 * A failed ceremony answers 422 mfa_verification_failed, as a wrong TOTP code does. (GoTrue passes
 * go-webauthn's own error on, which its handler turns into a 500; a client's bad credential is not a
 * server failure, and auth-js reads either as an AuthApiError.)
 */
const webAuthnFailed = () => new AuthError(422, "mfa_verification_failed", "WebAuthn verification failed");

async function verifyWebAuthn(ctx: MfaContext, caller: Caller, factor: Record<string, unknown>, input: Record<string, unknown>): Promise<Response> {
  const params = input.webauthn as { type?: unknown; credential_response?: unknown } | undefined;
  if (!params || typeof params !== "object") throw validationFailed("WebAuthn config required");
  if (params.type !== "create" && params.type !== "request") throw validationFailed("WebAuthn type must be create or request");
  if (params.credential_response === undefined || params.credential_response === null) throw validationFailed("credential_response required");
  const rp = relyingParty(ctx.config);

  const challengeId = typeof input.challenge_id === "string" && UUID.test(input.challenge_id) ? input.challenge_id : null;
  // Consumed as it is read: whatever the outcome, a challenge answers one verification.
  const [ch] = challengeId
    ? await ctx.sql<Array<{ id: string; ip: string; expired: boolean; data: { challenge: string; type: string } | null }>>`
        delete from auth.mfa_challenges where id = ${challengeId} and factor_id = ${String(factor.id)} and verified_at is null
        returning id, host(ip_address) as ip, created_at + make_interval(secs => ${CHALLENGE_EXPIRY_SECONDS}) < now() as expired, web_authn_session_data as data`
    : [];
  if (!ch || !ch.data) throw new AuthError(422, "mfa_factor_not_found", "MFA factor with the provided challenge ID not found");
  if (ch.ip !== ctx.clientIp) throw new AuthError(422, "mfa_ip_address_mismatch", "Challenge and verify IP addresses mismatch.");
  if (ch.expired) throw new AuthError(422, "mfa_challenge_expired", `MFA challenge ${ch.id} has expired, verify against another challenge or create a new challenge.`);
  if (params.type !== ch.data.type) throw validationFailed(`WebAuthn type must be ${ch.data.type} for this challenge`);

  let stored: StoredWebAuthnCredential | null = null;
  if (params.type === "create") {
    let response;
    try {
      response = asRegistrationResponse(params.credential_response);
    } catch {
      throw validationFailed("Invalid credential_response");
    }
    try {
      const v = await verifyRegistrationResponse({ response, expectedChallenge: ch.data.challenge, expectedOrigin: rp.origins, expectedRPID: rp.id, requireUserVerification: false, supportedAlgorithmIDs: WEBAUTHN_ALGORITHMS });
      if (!v.verified) throw webAuthnFailed();
      const info = v.registrationInfo;
      stored = {
        id: Buffer.from(info.credential.id, "base64url").toString("base64"),
        publicKey: Buffer.from(info.credential.publicKey).toString("base64"),
        attestationType: info.fmt,
        transport: response.response.transports ?? [],
        flags: { userPresent: true, userVerified: info.userVerified, backupEligible: info.credentialDeviceType === "multiDevice", backupState: info.credentialBackedUp },
        authenticator: { AAGUID: Buffer.from(info.aaguid.replace(/-/g, ""), "hex").toString("base64"), signCount: info.credential.counter, cloneWarning: false, attachment: response.authenticatorAttachment ?? "" },
      };
    } catch (err) {
      if (err instanceof AuthError) throw err;
      throw webAuthnFailed();
    }
  } else {
    let response;
    try {
      response = asAuthenticationResponse(params.credential_response);
    } catch {
      throw validationFailed("Invalid credential_response");
    }
    const credentials = await webAuthnCredentials(ctx, caller.user.id);
    const credential = credentials.find((c) => b64ToB64url(c.id) === response.rawId);
    if (!credential) throw webAuthnFailed();
    try {
      const v = await verifyAuthenticationResponse({
        response,
        expectedChallenge: ch.data.challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.id,
        requireUserVerification: false,
        credential: { id: response.rawId, publicKey: new Uint8Array(Buffer.from(credential.publicKey, "base64")), counter: credential.authenticator.signCount },
      });
      if (!v.verified) throw webAuthnFailed();
      await ctx.sql`update auth.mfa_factors set web_authn_credential = jsonb_set(web_authn_credential, '{authenticator,signCount}', to_jsonb(${v.authenticationInfo.newCounter}::bigint)), updated_at = now()
                    where user_id = ${caller.user.id} and factor_type = 'webauthn' and web_authn_credential ->> 'id' = ${credential.id}`;
    } catch (err) {
      if (err instanceof AuthError) throw err;
      throw webAuthnFailed();
    }
  }

  await ctx.sql.begin(async (tx) => {
    await audit(tx, caller.user.id, "verification_attempted", { factor_id: factor.id, challenge_id: ch.id, factor_type: "webauthn" });
    if (stored) {
      await tx`update auth.mfa_factors set status = 'verified', web_authn_credential = ${tx.json(stored as never)},
               web_authn_aaguid = ${bytesToUuid(Buffer.from(stored.authenticator.AAGUID, "base64"))}, updated_at = now() where id = ${String(factor.id)}`;
    }
    await tx`update auth.mfa_factors set last_webauthn_challenge_data = ${tx.json({ challenge: ch.data as never, type: params.type as string, parsed_response: params.credential_response as never } as never)} where id = ${String(factor.id)}`;
    await tx`delete from auth.mfa_factors where user_id = ${caller.user.id} and factor_type = 'webauthn' and status = 'unverified' and id <> ${String(factor.id)}`;
  });
  const tokens = await elevateSession(ctx.tokens, caller.user.id, caller.sessionId!, "mfa/webauthn", String(factor.id));
  await ctx.sql`delete from auth.sessions where user_id = ${caller.user.id} and id <> ${caller.sessionId!} and coalesce(aal, 'aal1') = 'aal1'`;
  return Response.json(tokens);
}

function bytesToUuid(b: Buffer): string | null {
  if (b.length !== 16) return null;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
