import { randomBytes } from "node:crypto";
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

/** Verifies an HS256 JWT. `alg: none` and any other algorithm are refused by the algorithm allow-list. */
export async function verifyJwt(token: string, jwtSecret: string): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(jwtSecret), { algorithms: ["HS256"] });
    return { ok: true, claims: payload as JWTPayload & { role?: string } };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { ok: false, reason: code === "ERR_JWT_EXPIRED" ? "expired" : "invalid" };
  }
}
