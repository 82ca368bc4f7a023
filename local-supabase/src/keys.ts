import { createHash, createHmac, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, randomUUID, timingSafeEqual, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { SignJWT, decodeProtectedHeader, jwtVerify, type JWK, type JWTPayload } from "jose";

/**
 * The project's keys, as the current Supabase CLI and hosted Supabase have them:
 *
 * - The legacy API keys: HS256 JWTs (`anon`, `service_role`) signed with the project's JWT secret.
 * - The current API keys: opaque `sb_publishable_…` (acts as anon) and `sb_secret_…` (acts as
 *   service_role). They are not JWTs; Supabase's API gateway turns them into the role's JWT before a
 *   request reaches a service, so every service accepts them where it accepts the legacy key.
 * - An asymmetric signing key (ES256 by default, generated once into `.data/signing-keys.json`, or the
 *   JWKs at `[auth] signing_keys_path`) that user access tokens are signed with. Its public half is the
 *   JWKS at /auth/v1/.well-known/jwks.json, so `supabase.auth.getClaims()` verifies tokens locally.
 *   HS256 tokens signed with the secret stay valid (the legacy keys, tokens issued before the switch).
 */
export type SigningJwk = JWK & { kid: string; alg: string; key_ops?: string[] };

export type ApiKeys = {
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  publishableKey: string;
  secretKey: string;
  /** The public keys tokens may be signed with (never the HMAC secret), as GoTrue publishes them. */
  jwks: { keys: JWK[] };
  /** The key new user tokens are signed with. */
  signer: Signer;
};

export type Signer = { alg: string; kid: string | null; key: KeyObject };

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

/**
 * `sb_publishable_<22>_<8>` / `sb_secret_<22>_<8>`, the shape of Supabase's keys: 16 bytes in
 * base64url and a checksum. Derived from the JWT secret (HMAC), so they survive restarts and follow a
 * `JWT_SECRET` as the legacy keys do, and cannot be guessed without it.
 */
export function opaqueKey(jwtSecret: string, kind: "publishable" | "secret"): string {
  const prefix = `sb_${kind}_`;
  const body = createHmac("sha256", jwtSecret).update(`local-supabase ${kind} key`).digest().subarray(0, 16).toString("base64url");
  const checksum = createHash("sha256").update(prefix + body).digest("base64url").slice(0, 8);
  return `${prefix}${body}_${checksum}`;
}

/** A new ES256 signing key in the CLI's signing_keys.json form (a JWK with kid, alg and key_ops). */
export function newSigningKey(): SigningJwk {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { ...(privateKey.export({ format: "jwk" }) as JWK), kid: randomUUID(), alg: "ES256", key_ops: ["sign", "verify"], use: "sig" } as SigningJwk;
}

/**
 * The signing keys: `[auth] signing_keys_path` when set (a JSON array of JWKs, as the Supabase CLI and
 * GoTrue's JWT_KEYS take them), else `.data/signing-keys.json`, generated once like the JWT secret.
 */
export function loadOrCreateSigningKeys(dataDir: string, configured?: string | null): SigningJwk[] {
  if (configured) {
    const keys = JSON.parse(fs.readFileSync(configured, "utf8")) as unknown;
    if (!Array.isArray(keys) || !keys.length) throw new Error(`${configured}: expected a JSON array of JWKs`);
    return keys as SigningJwk[];
  }
  const file = path.join(dataDir, "signing-keys.json");
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as SigningJwk[];
  const keys = [newSigningKey()];
  fs.writeFileSync(file, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600 });
  return keys;
}

type Verifier = { alg: string; kid: string | null; key: KeyObject };
type Project = { keys: ApiKeys; verifiers: Verifier[]; anonClaims: JWTPayload; serviceClaims: JWTPayload };

/**
 * The projects this process serves, by JWT secret. Every service checks a credential with
 * `verifyJwt(token, jwtSecret)`; the secret names the project, whose asymmetric keys and opaque API
 * keys are found here. (Tests run several stacks in one process, each with its own secret.)
 */
const projects = new Map<string, Project>();

export async function deriveKeys(jwtSecret: string, signingKeys: SigningJwk[] = [newSigningKey()]): Promise<ApiKeys> {
  const verifiers: Verifier[] = [];
  let signer: Signer | null = null;
  const jwks: JWK[] = [];
  for (const jwk of signingKeys) {
    const alg = jwk.alg ?? (jwk.kty === "EC" ? "ES256" : jwk.kty === "RSA" ? "RS256" : "HS256");
    const kid = jwk.kid ?? null;
    const ops = jwk.key_ops ?? ["sign", "verify"];
    if (jwk.kty === "oct") {
      const key = createSecretKey(Buffer.from(jwk.k!, "base64url"));
      if (ops.includes("verify")) verifiers.push({ alg, kid, key });
      if (ops.includes("sign") && !signer) signer = { alg, kid, key };
      continue;
    }
    const publicKey = createPublicKey({ key: jwk as never, format: "jwk" });
    if (ops.includes("verify") || ops.includes("sign")) verifiers.push({ alg, kid, key: publicKey });
    const pub = publicKey.export({ format: "jwk" }) as JWK;
    jwks.push({ ...pub, kid: kid ?? undefined, alg, use: "sig", key_ops: ["verify"] });
    // GoTrue signs with the one key whose key_ops has "sign" (internal/conf/jwk.go).
    if (ops.includes("sign") && jwk.d && !signer) signer = { alg, kid, key: createPrivateKey({ key: jwk as never, format: "jwk" }) };
  }
  const keys: ApiKeys = {
    jwtSecret,
    anonKey: await signRoleKey(jwtSecret, "anon"),
    serviceRoleKey: await signRoleKey(jwtSecret, "service_role"),
    publishableKey: opaqueKey(jwtSecret, "publishable"),
    secretKey: opaqueKey(jwtSecret, "secret"),
    jwks: { keys: jwks },
    signer: signer ?? { alg: "HS256", kid: null, key: secretKey(jwtSecret) },
  };
  const claimsOf = (t: string) => JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString("utf8")) as JWTPayload;
  projects.set(jwtSecret, { keys, verifiers, anonClaims: claimsOf(keys.anonKey), serviceClaims: claimsOf(keys.serviceRoleKey) });
  return keys;
}

/** Signs claims with the project's signing key (ES256 by default), with its kid as GoTrue does. */
export async function signUserToken(keys: ApiKeys, claims: JWTPayload): Promise<string> {
  const { alg, kid, key } = keys.signer;
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", ...(kid ? { kid } : {}) }).sign(key);
}

/**
 * An opaque API key's legacy equivalent: what Supabase's gateway hands the services in its place.
 * null for anything that is not one of the project's opaque keys.
 */
export function legacyKeyFor(key: string, jwtSecret: string): string | null {
  if (!key.startsWith("sb_")) return null;
  const p = projects.get(jwtSecret);
  if (!p) return null;
  if (same(key, p.keys.publishableKey)) return p.keys.anonKey;
  if (same(key, p.keys.secretKey)) return p.keys.serviceRoleKey;
  return null;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type VerifyResult = { ok: true; claims: JWTPayload & { role?: string } } | { ok: false; reason: "expired" | "invalid" };

// Verification was a fifth of the gateway's CPU: the same token is checked several times per request
// (bearer check, API key, realtime) and jose imported the key each time. A token's signature verdict
// never changes, so verified tokens are remembered (bounded); expiry is re-checked on every use.
const secretKeys = new Map<string, KeyObject>();
const verified = new Map<string, { claims: JWTPayload & { role?: string }; secret: string }>();
const MAX_VERIFIED = 10_000;

function secretKey(jwtSecret: string): KeyObject {
  let key = secretKeys.get(jwtSecret);
  if (!key) {
    key = createSecretKey(Buffer.from(jwtSecret, "utf8"));
    secretKeys.set(jwtSecret, key);
  }
  return key;
}

const ASYMMETRIC = new Set(["ES256", "RS256", "EdDSA"]);

/**
 * Verifies one of the project's credentials: a JWT signed with the secret (HS256) or with one of the
 * project's signing keys (ES256/RS256, by kid), or one of its opaque API keys, which stands for its
 * role's legacy key. `alg: none` and any other algorithm are refused.
 */
export async function verifyJwt(token: string, jwtSecret: string): Promise<VerifyResult> {
  const project = projects.get(jwtSecret);
  if (token.startsWith("sb_")) {
    const legacy = legacyKeyFor(token, jwtSecret);
    if (!legacy || !project) return { ok: false, reason: "invalid" };
    return { ok: true, claims: legacy === project.keys.anonKey ? project.anonClaims : project.serviceClaims };
  }
  const hit = verified.get(token);
  if (hit && hit.secret === jwtSecret) {
    const exp = hit.claims.exp;
    if (typeof exp === "number" && exp * 1000 <= Date.now()) return { ok: false, reason: "expired" };
    return { ok: true, claims: hit.claims };
  }
  try {
    let header: { alg?: string; kid?: string };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { ok: false, reason: "invalid" };
    }
    let key: KeyObject;
    const alg = header.alg ?? "";
    if (alg === "HS256") {
      const oct = project?.verifiers.find((v) => v.alg === "HS256" && header.kid && v.kid === header.kid);
      key = oct?.key ?? secretKey(jwtSecret);
    } else if (ASYMMETRIC.has(alg) && project) {
      const candidates = project.verifiers.filter((v) => v.alg === alg && (!header.kid || v.kid === header.kid));
      if (!candidates.length) return { ok: false, reason: "invalid" };
      // A token without a kid is tried against each key of its algorithm (GoTrue does the same).
      for (const c of candidates.slice(1)) {
        const r = await jwtVerify(token, c.key, { algorithms: [alg] }).catch(() => null);
        if (r) return remember(token, jwtSecret, r.payload);
      }
      key = candidates[0]!.key;
    } else {
      return { ok: false, reason: "invalid" };
    }
    const { payload } = await jwtVerify(token, key, { algorithms: [alg] });
    return remember(token, jwtSecret, payload);
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { ok: false, reason: code === "ERR_JWT_EXPIRED" ? "expired" : "invalid" };
  }
}

function remember(token: string, jwtSecret: string, payload: JWTPayload): VerifyResult {
  const claims = payload as JWTPayload & { role?: string };
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  verified.set(token, { claims, secret: jwtSecret });
  return { ok: true, claims };
}
