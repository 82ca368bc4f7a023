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

const tenYears = 10 * 365 * 24 * 3600;

export async function signRoleKey(jwtSecret: string, role: "anon" | "service_role"): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: "supabase-demo", role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + tenYears)
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
