import { SignJWT, decodeJwt, decodeProtectedHeader } from "jose";

/**
 * The access-token claims GoTrue issues on Supabase, on the tokens lite issues.
 *
 * lite signs an access token with sub, aud, role, email, session_id, iat and exp. GoTrue adds iss,
 * phone, app_metadata, user_metadata, aal, amr and is_anonymous, and RLS policies commonly read them
 * (`auth.jwt() -> 'app_metadata' ->> 'tenant'`, `(auth.jwt() ->> 'aal') = 'aal2'`): against lite's
 * token such a policy sees null and quietly denies, or worse, allows. So the gateway re-signs each
 * token lite hands out (sign-in, refresh, sign-up) with the user it came with, using the same secret.
 * Everything lite put in stays as it was; the embedded default only signs in with a password, so the
 * method is `password` and the assurance level aal1. One difference stays: GoTrue keeps the sign-in
 * time in `amr` across refreshes, while here it is the token's own issue time.
 */
const ISSUING = new Set(["/auth/v1/token", "/auth/v1/signup"]);

export async function withGoTrueClaims(pathname: string, response: Response, jwtSecret: string, issuer: string): Promise<Response> {
  if (!ISSUING.has(pathname) || !response.ok) return response;
  const text = await response.text();
  const same = () => new Response(text, { status: response.status, headers: response.headers });
  let body: { access_token?: unknown; user?: Record<string, unknown> } | null;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return same();
  }
  if (!body || typeof body.access_token !== "string" || !body.user) return same();
  const lite = decodeJwt(body.access_token);
  const user = body.user;
  const claims = {
    ...lite,
    iss: issuer,
    email: typeof user.email === "string" ? user.email : (lite.email ?? ""),
    phone: typeof user.phone === "string" ? user.phone : "",
    app_metadata: user.app_metadata ?? {},
    user_metadata: user.user_metadata ?? {},
    aal: "aal1",
    amr: [{ method: "password", timestamp: lite.iat }],
    is_anonymous: user.is_anonymous === true,
  };
  const header = decodeProtectedHeader(body.access_token);
  body.access_token = await new SignJWT(claims).setProtectedHeader({ ...header, alg: "HS256" }).sign(new TextEncoder().encode(jwtSecret));
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(body), { status: response.status, headers });
}
