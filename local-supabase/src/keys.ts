import { createSecretKey, randomBytes, type KeyObject } from "node:crypto";
import { SignJWT, jwtVerify, type JWTPayload } from "jose";

/**
 * Supabase's API keys on the embedded default are the classic HS256 JWTs (`anon`, `service_role`)
 * signed with the project's JWT secret, so supabase-js and the Supabase CLI's conventions work unchanged.
 */
export type ApiKeys = { anonKey: string; serviceRoleKey: string; jwtSecret: string };

export function newJwtSecret(): string {
  return randomBytes(32).toString("base64url");
}

// Fixed claims, so the same secret always yields the same keys: a restart must not invalidate
// the keys that scripts, .env files and the SPA already hold.
const ISSUED_AT = 1_767_225_600; // 2026-01-01
const EXPIRES_AT = 2_082_758_400; // 2036-01-01

export async function signRoleKey(jwtSecret: string, role: "anon" | "service_role"): Promise<string> {
  return new SignJWT({ iss: "supabase-demo", role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(ISSUED_AT)
    .setExpirationTime(EXPIRES_AT)
    .sign(new TextEncoder().encode(jwtSecret));
}

export async function deriveKeys(jwtSecret: string): Promise<ApiKeys> {
  return {
    jwtSecret,
    anonKey: await signRoleKey(jwtSecret, "anon"),
    serviceRoleKey: await signRoleKey(jwtSecret, "service_role"),
  };
}

export type VerifyResult = { ok: true; claims: JWTPayload & { role?: string } } | { ok: false; reason: "expired" | "invalid" };

// Verification was a fifth of the gateway's CPU: the same token is checked several times per request
// (bearer check, API key, realtime) and jose imported the key each time. A token's signature verdict
// never changes, so verified tokens are remembered (bounded); expiry is re-checked on every use.
const keys = new Map<string, KeyObject>();
const verified = new Map<string, { claims: JWTPayload & { role?: string }; secret: string }>();
const MAX_VERIFIED = 10_000;

function secretKey(jwtSecret: string): KeyObject {
  let key = keys.get(jwtSecret);
  if (!key) {
    key = createSecretKey(Buffer.from(jwtSecret, "utf8"));
    keys.set(jwtSecret, key);
  }
  return key;
}

/** Verifies an HS256 JWT. `alg: none` and any other algorithm are refused by the algorithm allow-list. */
export async function verifyJwt(token: string, jwtSecret: string): Promise<VerifyResult> {
  const hit = verified.get(token);
  if (hit && hit.secret === jwtSecret) {
    const exp = hit.claims.exp;
    if (typeof exp === "number" && exp * 1000 <= Date.now()) return { ok: false, reason: "expired" };
    return { ok: true, claims: hit.claims };
  }
  try {
    const { payload } = await jwtVerify(token, secretKey(jwtSecret), { algorithms: ["HS256"] });
    const claims = payload as JWTPayload & { role?: string };
    if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
    verified.set(token, { claims, secret: jwtSecret });
    return { ok: true, claims };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { ok: false, reason: code === "ERR_JWT_EXPIRED" ? "expired" : "invalid" };
  }
}
