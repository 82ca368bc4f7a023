import { SignJWT, decodeJwt, decodeProtectedHeader } from "jose";
import type postgres from "postgres";

/**
 * The access-token claims GoTrue issues on Supabase, on the tokens lite issues.
 *
 * lite signs an access token with sub, aud, role, email, session_id, iat and exp. GoTrue adds iss,
 * phone, app_metadata, user_metadata, aal, amr and is_anonymous, and RLS policies commonly read them
 * (`auth.jwt() -> 'app_metadata' ->> 'tenant'`, `(auth.jwt() ->> 'aal') = 'aal2'`): against lite's
 * token such a policy sees null and quietly denies, or worse, allows. So the gateway re-signs each
 * token lite hands out (sign-in, refresh, sign-up, and a followed email link) with the user it came
 * with, using the same secret. Everything lite put in stays as it was. The method in `amr` is
 * `password` for the token endpoint and `otp` for an email link or code, as GoTrue records them; the
 * assurance level is aal1. One difference stays: GoTrue keeps the sign-in time in `amr` across
 * refreshes, while here it is the token's own issue time.
 */
const ISSUING_JSON = new Set(["/auth/v1/token", "/auth/v1/signup", "/auth/v1/verify"]);

type UserFields = { email?: unknown; phone?: unknown; app_metadata?: unknown; user_metadata?: unknown; is_anonymous?: unknown };

export async function withGoTrueClaims(pathname: string, response: Response, jwtSecret: string, issuer: string, sql: postgres.Sql): Promise<Response> {
  if (pathname === "/auth/v1/verify" && response.status === 303) return verifyRedirect(response, jwtSecret, issuer, sql);
  if (!ISSUING_JSON.has(pathname) || !response.ok) return response;
  const text = await response.text();
  const same = () => new Response(text, { status: response.status, headers: response.headers });
  let body: { access_token?: unknown; user?: UserFields } | null;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return same();
  }
  if (!body || typeof body.access_token !== "string" || !body.user) return same();
  body.access_token = await resign(body.access_token, body.user, pathname === "/auth/v1/verify" ? "otp" : "password", jwtSecret, issuer);
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(body), { status: response.status, headers });
}

/** A followed email link lands on site_url with the session in the fragment (`#access_token=…`). */
async function verifyRedirect(response: Response, jwtSecret: string, issuer: string, sql: postgres.Sql): Promise<Response> {
  const location = response.headers.get("location");
  const hash = location?.indexOf("#") ?? -1;
  if (!location || hash < 0) return response;
  const fragment = new URLSearchParams(location.slice(hash + 1));
  const token = fragment.get("access_token");
  if (!token) return response;
  const sub = decodeJwt(token).sub;
  const [row] = sub
    ? await sql<UserFields[]>`select email, phone, raw_app_meta_data as app_metadata, raw_user_meta_data as user_metadata, is_anonymous from auth.users where id = ${sub}`
    : [];
  if (!row) return response;
  const user = { ...row, app_metadata: storedJson(row.app_metadata), user_metadata: storedJson(row.user_metadata) };
  fragment.set("access_token", await resign(token, user, "otp", jwtSecret, issuer));
  const headers = new Headers(response.headers);
  headers.set("location", `${location.slice(0, hash)}#${fragment.toString()}`);
  return new Response(null, { status: response.status, headers });
}

async function resign(token: string, user: UserFields, method: "password" | "otp", jwtSecret: string, issuer: string): Promise<string> {
  const lite = decodeJwt(token);
  const claims = {
    ...lite,
    iss: issuer,
    email: typeof user.email === "string" ? user.email : (lite.email ?? ""),
    phone: typeof user.phone === "string" ? user.phone : "",
    app_metadata: user.app_metadata ?? {},
    user_metadata: user.user_metadata ?? {},
    aal: "aal1",
    amr: [{ method, timestamp: lite.iat }],
    is_anonymous: user.is_anonymous === true,
  };
  const header = decodeProtectedHeader(token);
  return new SignJWT(claims).setProtectedHeader({ ...header, alg: "HS256" }).sign(new TextEncoder().encode(jwtSecret));
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
