import { randomUUID } from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type postgres from "postgres";
import type { AuthConfig } from "../supabase-config.ts";
import type { Caller } from "./authenticate.ts";
import { AuthError, validationFailed } from "./errors.ts";
import { issueSession, type TokenContext } from "./sessions.ts";
import { loadUser, type GoTrueUser } from "./users.ts";

/**
 * Passkeys as GoTrue serves them (internal/api/passkey_*.go, behind `[auth.passkey] enabled`): a
 * signed-in user registers discoverable WebAuthn credentials (registration/options + verify), anyone
 * signs in with one (authentication/options + verify, no user named: the authenticator's user handle
 * says who), and the owner lists, renames and deletes them; an admin lists and deletes a user's.
 *
 * Each ceremony's challenge is a row of auth.webauthn_challenges that the verify step deletes as it
 * reads it (GoTrue's ConsumeWebAuthnChallengeByID), so a challenge answers one verification at most, and
 * a registration challenge only for the user it was issued to. The attestation and assertion checks are
 * @simplewebauthn/server's, with the relying party of `[auth.webauthn]` (GoTrue's go-webauthn does the
 * same checks: challenge, origin, RP ID hash, flags, signature, counter).
 */
export type WebAuthnContext = { sql: postgres.Sql; config: AuthConfig; tokens: TokenContext };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** go-webauthn's default algorithms, most preferred first (ES256, the RSA and EdDSA ones). */
export const WEBAUTHN_ALGORITHMS = [-7, -35, -36, -257, -258, -259, -37, -38, -39, -8];

/** The relying party, or GoTrue's answer when `[auth.webauthn]` leaves it unset (webauthn.New fails). */
export function relyingParty(config: AuthConfig): { id: string; name: string; origins: string[] } {
  const w = config.webauthn;
  if (!w.rpId || !w.rpDisplayName || !w.rpOrigins.length) throw new AuthError(500, "unexpected_failure", "Failed to initialize WebAuthn");
  return { id: w.rpId, name: w.rpDisplayName, origins: w.rpOrigins };
}

function challengeExpiry(): Date {
  return new Date(Date.now() + 5 * 60_000); // GoTrue's WEBAUTHN_CHALLENGE_EXPIRY_DURATION default
}

/**
 * Anyone may ask for a sign-in challenge, so expired ones are swept as new ones are made, a hundred
 * at a time (GoTrue's models.Cleanup statement for the table).
 */
async function sweepChallenges(sql: postgres.Sql): Promise<void> {
  await sql`delete from auth.webauthn_challenges where id in (select id from auth.webauthn_challenges where expires_at < now() limit 100 for update skip locked)`;
}

export async function handlePasskeys(ctx: WebAuthnContext, method: string, rest: string[], input: Record<string, unknown> | null, caller: () => Promise<Caller>): Promise<Response> {
  if (!ctx.config.passkey.enabled) throw new AuthError(404, "passkey_disabled", "Passkeys are disabled");
  const route = rest.join("/");
  if (method === "POST" && route === "authentication/options") return authenticationOptions(ctx);
  if (method === "POST" && route === "authentication/verify") return authenticationVerify(ctx, input);
  const who = await caller();
  if (rest[0] === "registration") {
    if (who.user.is_anonymous || who.claims.is_anonymous === true) throw new AuthError(403, "no_authorization", "Anonymous user not allowed to perform these actions");
    if (method === "POST" && route === "registration/options") return registrationOptions(ctx, who);
    if (method === "POST" && route === "registration/verify") return registrationVerify(ctx, who, input);
  }
  if (rest.length === 0 && method === "GET") return Response.json(await listPasskeys(ctx.sql, who.user.id));
  if (rest.length === 1 && method === "PATCH") return updatePasskey(ctx, who, rest[0]!, input);
  if (rest.length === 1 && method === "DELETE") {
    await requireManagementAal(ctx.sql, who);
    await deletePasskey(ctx.sql, who.user.id, rest[0]!, who.user.id);
    return new Response(null, { status: 204 });
  }
  throw new AuthError(404, "not_found", "The requested Auth endpoint does not exist");
}

/** GET/DELETE /admin/users/{id}/passkeys[/{passkey_id}] (the caller is already an admin). */
export async function adminPasskeys(sql: postgres.Sql, config: AuthConfig, userId: string, method: string, passkeyId: string | undefined): Promise<Response> {
  if (!config.passkey.enabled) throw new AuthError(404, "passkey_disabled", "Passkeys are disabled");
  const [user] = await sql`select 1 from auth.users where id = ${userId}`;
  if (!user) throw new AuthError(404, "user_not_found", "User not found");
  if (passkeyId === undefined && method === "GET") return Response.json(await listPasskeys(sql, userId));
  if (passkeyId !== undefined && method === "DELETE") {
    await deletePasskey(sql, userId, passkeyId, null);
    return new Response(null, { status: 204 });
  }
  throw new AuthError(405, "method_not_allowed", "Method not allowed");
}

/** GoTrue's requirePasskeyManagementAAL: with a verified MFA factor, managing passkeys needs aal2. */
async function requireManagementAal(sql: postgres.Sql, caller: Caller): Promise<void> {
  const [verified] = await sql`select 1 from auth.mfa_factors where user_id = ${caller.user.id} and status = 'verified' limit 1`;
  if (verified && caller.session?.aal !== "aal2") throw new AuthError(403, "insufficient_aal", "AAL2 session is required to manage passkeys when MFA is enabled");
}

type CredentialRow = { id: string; credential_id: Buffer; public_key: Buffer; sign_count: string | number; transports: string[]; friendly_name: string; created_at: Date; last_used_at: Date | null };

async function credentialsOf(sql: postgres.Sql, userId: string): Promise<CredentialRow[]> {
  return sql<CredentialRow[]>`select * from auth.webauthn_credentials where user_id = ${userId} order by created_at asc`;
}

function listItem(c: Pick<CredentialRow, "id" | "friendly_name" | "created_at" | "last_used_at">): Record<string, unknown> {
  return { id: c.id, ...(c.friendly_name ? { friendly_name: c.friendly_name } : {}), created_at: c.created_at, ...(c.last_used_at ? { last_used_at: c.last_used_at } : {}) };
}

async function listPasskeys(sql: postgres.Sql, userId: string): Promise<Array<Record<string, unknown>>> {
  return (await credentialsOf(sql, userId)).map(listItem);
}

async function registrationOptions(ctx: WebAuthnContext, caller: Caller): Promise<Response> {
  if (caller.user.is_sso_user === true) throw new AuthError(422, "validation_failed", "SSO users cannot register passkeys");
  await requireManagementAal(ctx.sql, caller);
  const existing = await credentialsOf(ctx.sql, caller.user.id);
  if (existing.length >= ctx.config.passkey.maxPasskeysPerUser) throw new AuthError(422, "too_many_passkeys", "Maximum number of passkeys reached");
  const rp = relyingParty(ctx.config);
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: webAuthnName(caller.user),
    userDisplayName: webAuthnDisplayName(caller.user),
    // GoTrue's WebAuthnID: the user's id as text, which comes back as the user handle on sign-in.
    userID: new TextEncoder().encode(caller.user.id),
    timeout: 300_000,
    attestationType: "none",
    excludeCredentials: existing.map((c) => ({ id: Buffer.from(c.credential_id).toString("base64url") })),
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "preferred" },
    supportedAlgorithmIDs: WEBAUTHN_ALGORITHMS,
  });
  const expiresAt = challengeExpiry();
  const id = randomUUID();
  await sweepChallenges(ctx.sql);
  await ctx.sql`insert into auth.webauthn_challenges (id, user_id, challenge_type, session_data, expires_at)
                values (${id}, ${caller.user.id}, 'registration', ${ctx.sql.json({ challenge: options.challenge, rpId: rp.id, user_id: Buffer.from(caller.user.id).toString("base64url"), userVerification: "preferred" })}, ${expiresAt})`;
  return Response.json({ challenge_id: id, options, expires_at: Math.floor(expiresAt.getTime() / 1000) });
}

type VerifyInput = { challengeId: string; credential: unknown };

/** GoTrue's checks of a verify body, in its order and with its answers. */
function verifyInput(input: Record<string, unknown> | null): VerifyInput {
  if (!input) throw new AuthError(400, "bad_json", "Could not parse request body as JSON");
  const challengeId = input.challenge_id;
  if (typeof challengeId !== "string" || !challengeId) throw validationFailed("challenge_id is required");
  if (input.credential === undefined || input.credential === null) throw validationFailed("credential is required");
  if (!UUID.test(challengeId)) throw validationFailed("challenge_id must be a valid UUID");
  return { challengeId, credential: input.credential };
}

/** Deletes and returns the challenge: whatever follows, it cannot be answered twice. */
async function consumeChallenge(sql: postgres.Sql, id: string, type: "registration" | "authentication", userId: string | null): Promise<{ challenge: string }> {
  const [row] = userId
    ? await sql<Array<{ session_data: { challenge: string }; expired: boolean }>>`
        delete from auth.webauthn_challenges where id = ${id} and challenge_type = ${type} and user_id = ${userId} returning session_data, expires_at < now() as expired`
    : await sql<Array<{ session_data: { challenge: string }; expired: boolean }>>`
        delete from auth.webauthn_challenges where id = ${id} and challenge_type = ${type} and user_id is null returning session_data, expires_at < now() as expired`;
  if (!row) throw new AuthError(400, "webauthn_challenge_not_found", "Challenge not found or already used");
  if (row.expired) throw new AuthError(400, "webauthn_challenge_expired", "Challenge has expired");
  return row.session_data;
}

const verificationFailed = (detail = "Credential verification failed") => new AuthError(400, "webauthn_verification_failed", detail);

/** A credential JSON as the browser serializes it; anything else is GoTrue's "Invalid credential response". */
export function asRegistrationResponse(raw: unknown): RegistrationResponseJSON {
  const c = raw as Partial<RegistrationResponseJSON> | null;
  if (!c || typeof c !== "object" || typeof c.id !== "string" || typeof c.rawId !== "string" || c.type !== "public-key" || !c.response || typeof c.response.clientDataJSON !== "string" || typeof c.response.attestationObject !== "string") {
    throw verificationFailed("Invalid credential response");
  }
  return { clientExtensionResults: {}, ...c } as RegistrationResponseJSON;
}

export function asAuthenticationResponse(raw: unknown): AuthenticationResponseJSON {
  const c = raw as Partial<AuthenticationResponseJSON> | null;
  if (!c || typeof c !== "object" || typeof c.id !== "string" || typeof c.rawId !== "string" || c.type !== "public-key" || !c.response || typeof c.response.clientDataJSON !== "string" || typeof c.response.authenticatorData !== "string" || typeof c.response.signature !== "string") {
    throw verificationFailed("Invalid credential response");
  }
  return { clientExtensionResults: {}, ...c } as AuthenticationResponseJSON;
}

async function registrationVerify(ctx: WebAuthnContext, caller: Caller, input: Record<string, unknown> | null): Promise<Response> {
  if (caller.user.is_sso_user === true) throw new AuthError(422, "validation_failed", "SSO users cannot register passkeys");
  await requireManagementAal(ctx.sql, caller);
  const { challengeId, credential } = verifyInput(input);
  const session = await consumeChallenge(ctx.sql, challengeId, "registration", caller.user.id);
  const response = asRegistrationResponse(credential);
  const rp = relyingParty(ctx.config);
  let info;
  try {
    const verified = await verifyRegistrationResponse({ response, expectedChallenge: session.challenge, expectedOrigin: rp.origins, expectedRPID: rp.id, requireUserVerification: false, supportedAlgorithmIDs: WEBAUTHN_ALGORITHMS });
    if (!verified.verified) throw verificationFailed();
    info = verified.registrationInfo;
  } catch (err) {
    if (err instanceof AuthError) throw err;
    throw verificationFailed();
  }
  const id = randomUUID();
  const aaguid = UUID.test(info.aaguid) ? info.aaguid : null;
  const [row] = await ctx.sql.begin(async (tx) => {
    const [{ n }] = (await tx<Array<{ n: number }>>`select count(*)::int as n from auth.webauthn_credentials where user_id = ${caller.user.id}`) as unknown as [{ n: number }];
    if (n >= ctx.config.passkey.maxPasskeysPerUser) throw new AuthError(422, "too_many_passkeys", "Maximum number of passkeys reached");
    const inserted = await tx<Array<{ id: string; friendly_name: string; created_at: Date }>>`
      insert into auth.webauthn_credentials (id, user_id, credential_id, public_key, attestation_type, aaguid, sign_count, transports, backup_eligible, backed_up, friendly_name)
      values (${id}, ${caller.user.id}, ${Buffer.from(info.credential.id, "base64url")}, ${Buffer.from(info.credential.publicKey)}, ${info.fmt === "none" ? "none" : info.fmt},
              ${aaguid === "00000000-0000-0000-0000-000000000000" ? null : aaguid}, ${info.credential.counter}, ${tx.json((response.response.transports ?? []) as never)},
              ${info.credentialDeviceType === "multiDevice"}, ${info.credentialBackedUp}, 'Passkey')
      on conflict (credential_id) do nothing
      returning id, friendly_name, created_at`;
    if (!inserted.length) throw new AuthError(422, "webauthn_credential_exists", "This credential is already registered");
    await audit(tx, caller.user.id, "passkey_created", { passkey_id: id });
    return inserted;
  });
  return Response.json({ id: row!.id, friendly_name: row!.friendly_name, created_at: row!.created_at });
}

async function authenticationOptions(ctx: WebAuthnContext): Promise<Response> {
  const rp = relyingParty(ctx.config);
  // Discoverable login: no credentials named, no user bound to the challenge.
  const options = await generateAuthenticationOptions({ rpID: rp.id, userVerification: "preferred", timeout: 300_000, allowCredentials: [] });
  const expiresAt = challengeExpiry();
  const id = randomUUID();
  await sweepChallenges(ctx.sql);
  await ctx.sql`insert into auth.webauthn_challenges (id, user_id, challenge_type, session_data, expires_at)
                values (${id}, null, 'authentication', ${ctx.sql.json({ challenge: options.challenge, rpId: rp.id, userVerification: "preferred" })}, ${expiresAt})`;
  return Response.json({ challenge_id: id, options, expires_at: Math.floor(expiresAt.getTime() / 1000) });
}

async function authenticationVerify(ctx: WebAuthnContext, input: Record<string, unknown> | null): Promise<Response> {
  const { challengeId, credential } = verifyInput(input);
  const session = await consumeChallenge(ctx.sql, challengeId, "authentication", null);
  const response = asAuthenticationResponse(credential);
  const rp = relyingParty(ctx.config);

  // The user handle names the user (GoTrue's ValidatePasskeyLogin handler); the credential must be theirs.
  let userId: string;
  try {
    userId = Buffer.from(response.response.userHandle ?? "", "base64url").toString("utf8");
  } catch {
    throw verificationFailed();
  }
  if (!UUID.test(userId)) throw verificationFailed();
  const credentialId = Buffer.from(response.rawId, "base64url");
  const [stored] = await ctx.sql<CredentialRow[]>`select * from auth.webauthn_credentials where user_id = ${userId} and credential_id = ${credentialId}`;
  if (!stored) throw verificationFailed();

  let newCounter: number;
  try {
    const verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: session.challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: false,
      credential: { id: credentialId.toString("base64url"), publicKey: new Uint8Array(stored.public_key), counter: Number(stored.sign_count), transports: stored.transports as never },
    });
    if (!verified.verified) throw verificationFailed();
    newCounter = verified.authenticationInfo.newCounter;
  } catch (err) {
    if (err instanceof AuthError) throw err;
    throw verificationFailed();
  }

  const user = await loadUser(ctx.sql, userId);
  if (!user) throw verificationFailed();
  const [state] = await ctx.sql<Array<{ email: string | null; email_confirmed_at: Date | null; phone: string | null; phone_confirmed_at: Date | null; banned_until: Date | null }>>`
    select email, email_confirmed_at, phone, phone_confirmed_at, banned_until from auth.users where id = ${userId}`;
  if (state!.email && !state!.email_confirmed_at) throw new AuthError(403, "email_not_confirmed", "Email not confirmed");
  if (state!.phone && !state!.phone_confirmed_at) throw new AuthError(403, "phone_not_confirmed", "Phone not confirmed");
  if (state!.banned_until && state!.banned_until.getTime() > Date.now()) throw new AuthError(403, "user_banned", "User is banned");

  await ctx.sql.begin(async (tx) => {
    await tx`update auth.webauthn_credentials set sign_count = ${newCounter}, last_used_at = now(), updated_at = now() where id = ${stored.id}`;
    await audit(tx, userId, "login", { passkey_id: stored.id });
  });
  return Response.json(await issueSession(ctx.tokens, userId, "passkey"));
}

async function updatePasskey(ctx: WebAuthnContext, caller: Caller, passkeyId: string, input: Record<string, unknown> | null): Promise<Response> {
  if (!UUID.test(passkeyId)) throw new AuthError(404, "validation_failed", "Passkey not found");
  if (!input) throw new AuthError(400, "bad_json", "Could not parse request body as JSON");
  const name = typeof input.friendly_name === "string" ? input.friendly_name : "";
  if (!name) throw validationFailed("friendly_name is required");
  if (name.length > 120) throw validationFailed("friendly_name must be 120 characters or less");
  const [row] = await ctx.sql<CredentialRow[]>`
    update auth.webauthn_credentials set friendly_name = ${name}, updated_at = now() where id = ${passkeyId} and user_id = ${caller.user.id} returning *`;
  if (!row) throw new AuthError(404, "validation_failed", "Passkey not found");
  await audit(ctx.sql, caller.user.id, "passkey_updated", { passkey_id: passkeyId });
  return Response.json(listItem(row));
}

async function deletePasskey(sql: postgres.Sql, userId: string, passkeyId: string, actorId: string | null): Promise<void> {
  if (!UUID.test(passkeyId)) throw new AuthError(404, "validation_failed", "Passkey not found");
  const deleted = await sql`delete from auth.webauthn_credentials where id = ${passkeyId} and user_id = ${userId} returning id`;
  if (!deleted.length) throw new AuthError(404, "validation_failed", "Passkey not found");
  await audit(sql, actorId ?? userId, "passkey_deleted", actorId ? { passkey_id: passkeyId } : { user_id: userId, passkey_id: passkeyId });
}

function webAuthnName(user: GoTrueUser): string {
  return user.email || String(user.phone ?? "");
}

function webAuthnDisplayName(user: GoTrueUser): string {
  const name = (user.user_metadata as Record<string, unknown> | undefined)?.name;
  return typeof name === "string" && name ? name : webAuthnName(user);
}

async function audit(sql: postgres.Sql | postgres.TransactionSql, actorId: string, action: string, traits: Record<string, unknown>): Promise<void> {
  await sql`insert into auth.audit_log_entries (id, payload, created_at, ip_address)
            values (${randomUUID()}, ${sql.json({ action, actor_id: actorId, log_type: "user", traits } as never)}, now(), '')`;
}
