import { decodeJwt } from "jose";
import { claimsFor, recordAmr, type AmrMethod, type TokenContext } from "./sessions.ts";
import { signUserToken } from "../keys.ts";
import { loadUser } from "./users.ts";

/**
 * The access tokens GoTrue issues on Supabase, in place of the tokens lite issues.
 *
 * lite signs an access token (HS256, with the project secret) with sub, aud, role, email, session_id,
 * iat and exp. GoTrue adds iss, phone, app_metadata, user_metadata, aal, amr and is_anonymous, and
 * RLS policies commonly read them (`auth.jwt() -> 'app_metadata' ->> 'tenant'`, `(auth.jwt() ->> 'aal')
 * = 'aal2'`): against lite's token such a policy sees null and quietly denies, or worse, allows. And
 * the current CLI signs user tokens with an asymmetric key (ES256) that clients verify against the
 * JWKS. So the gateway issues each token lite hands out (sign-in, refresh, sign-up, and a followed
 * email link) anew: the same user and session, GoTrue's claims, the project's signing key. The
 * session's authentication methods are recorded as GoTrue records them (`password` for the token
 * endpoint, `otp` for an email link or code; a refresh adds none), so `amr` keeps the sign-in time
 * across refreshes and a session that passed MFA stays aal2.
 */
const ISSUING_JSON = new Set(["/auth/v1/token", "/auth/v1/signup", "/auth/v1/verify"]);

export async function withGoTrueClaims(url: URL, response: Response, ctx: TokenContext): Promise<Response> {
  const pathname = url.pathname;
  if (pathname === "/auth/v1/verify" && response.status === 303) return verifyRedirect(response, ctx);
  if (!ISSUING_JSON.has(pathname) || !response.ok) return response;
  const text = await response.text();
  const same = () => new Response(text, { status: response.status, headers: response.headers });
  let body: { access_token?: unknown; user?: unknown; expires_at?: unknown } | null;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return same();
  }
  if (!body || typeof body.access_token !== "string") return same();
  const grant = url.searchParams.get("grant_type");
  const method: AmrMethod | null = pathname === "/auth/v1/verify" ? "otp" : grant === "refresh_token" ? null : grant === "pkce" ? "otp" : "password";
  const reissued = await reissue(body.access_token, method, ctx);
  if (!reissued) return same();
  body.access_token = reissued.token;
  body.expires_at = reissued.exp;
  body.user = reissued.user;
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(body), { status: response.status, headers });
}

/** A followed email link lands on site_url with the session in the fragment (`#access_token=…`). */
async function verifyRedirect(response: Response, ctx: TokenContext): Promise<Response> {
  const location = response.headers.get("location");
  const hash = location?.indexOf("#") ?? -1;
  if (!location || hash < 0) return response;
  const fragment = new URLSearchParams(location.slice(hash + 1));
  const token = fragment.get("access_token");
  if (!token) return response;
  const reissued = await reissue(token, "otp", ctx);
  if (!reissued) return response;
  fragment.set("access_token", reissued.token);
  fragment.set("expires_at", String(reissued.exp));
  const headers = new Headers(response.headers);
  headers.set("location", `${location.slice(0, hash)}#${fragment.toString()}`);
  return new Response(null, { status: response.status, headers });
}

async function reissue(liteToken: string, method: AmrMethod | null, ctx: TokenContext) {
  const lite = decodeJwt(liteToken);
  if (typeof lite.sub !== "string" || typeof lite.session_id !== "string") return null;
  const user = await loadUser(ctx.sql, lite.sub);
  if (!user) return null;
  if (method) await recordAmr(ctx.sql, lite.session_id, method);
  const claims = await claimsFor(ctx, user, lite.session_id);
  return { token: await signUserToken(ctx.keys, claims), exp: claims.exp as number, user };
}

/**
 * A metadata column as stored. lite writes the users it creates with their metadata as a JSON string
 * inside the jsonb (`"{\"provider\":…}"`, its postgres driver serializing text it already encoded);
 * rows written by SQL or the admin API hold the object itself. Either reads as the object.
 */
export function storedJson(value: unknown): unknown {
  if (typeof value !== "string") return value ?? {};
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return {};
  }
}
