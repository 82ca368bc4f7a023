import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { EmailDriver } from "@supabase/lite";
import { SignJWT } from "jose";
import type postgres from "postgres";
import { toFetchRequest } from "../http-util.ts";
import { legacyKeyFor, verifyJwt, type ApiKeys } from "../keys.ts";
import type { LiteApp } from "../rest.ts";
import type { AuthConfig } from "../supabase-config.ts";
import { handleAuthAdmin, requireAdmin } from "./admin.ts";
import { authenticate, bearerOf } from "./authenticate.ts";
import { withGoTrueClaims } from "./claims.ts";
import { asGoTrueError, AuthError, fromAuthError, validationFailed } from "./errors.ts";
import { invite, type LinkContext } from "./links.ts";
import { handleFactors } from "./mfa.ts";
import { fromOAuthProtocolError, handleOAuthServer, OAuthProtocolError, refusesOAuthSession, requireOAuthServer, userGrants, type OAuthServerContext } from "./oauth-server.ts";
import { handlePasskeys } from "./passkeys.ts";
import { checkPassword, type PasswordPolicy } from "./password-policy.ts";
import { tooManyRequests, type AuthLimits, type IpBuckets, type OtpEndpoint } from "./rate-limit.ts";
import { issueSession, type TokenContext } from "./sessions.ts";
import { durationMs, findByEmail, obfuscatedUser, unusablePassword, uuidv7 } from "./signup.ts";

export { AuthEmailDriver } from "./email.ts";
export { AuthLimits, FIVE_MINUTES, ONE_HOUR, type RateLimitSettings } from "./rate-limit.ts";

export type AuthGatewayOptions = {
  app: LiteApp;
  sql: postgres.Sql;
  keys: ApiKeys;
  config: AuthConfig;
  limits: AuthLimits;
  /** Where Auth's own emails go (invitations); lite sends the rest through the same driver. */
  mailer: EmailDriver;
};

export type AuthGateway = {
  /** Answers one /auth/v1 request (CORS preflights excepted), lite doing the work GoTrue would. */
  handle(req: http.IncomingMessage, url: URL, body: Buffer, origin: string): Promise<Response>;
};

/**
 * /auth/v1 as GoTrue serves it, around lite's Auth: GoTrue's admin API (admin.ts) and its links and
 * invitations (links.ts), MFA (mfa.ts), anonymous sign-ins, its rate limits per client IP and per
 * project (rate-limit.ts), its answers where lite's would say whether an address has an account
 * (signup.ts), its access tokens (claims.ts, sessions.ts) and its error shape (errors.ts) on every
 * answer, lite's included; passkeys (passkeys.ts) and its OAuth 2.1 server (oauth-server.ts) where
 * config.toml turns them on. Features GoTrue has and this machine cannot offer (SMS, SAML, Web3,
 * external ID tokens) answer GoTrue's own "disabled" errors.
 *
 * Credentials are taken as Supabase's API gateway takes them: an opaque `sb_…` key stands for its
 * role's legacy key, and a user token signed with the project's asymmetric key is handed to lite
 * as the HS256 token lite can check (lite knows only the secret).
 *
 * Rate limits key on the TCP peer's address. GoTrue keys on a header its proxy sets
 * (GOTRUE_RATE_LIMIT_HEADER, X-Forwarded-For on Supabase's platform); here the gateway is the edge, so
 * a header would be whatever the caller wants it to be, and is not read. Everything on this machine
 * is 127.0.0.1 and shares one budget per limit.
 */
export function createAuthGateway(o: AuthGatewayOptions): AuthGateway {
  const { app, sql, keys, config, limits } = o;
  const policy: PasswordPolicy = { minimumLength: config.minimumPasswordLength, requirements: config.passwordRequirements };
  const confirming = config.email.enableConfirmations;
  const maxFrequencyMs = durationMs(config.email.maxFrequency);
  const secretBytes = new TextEncoder().encode(keys.jwtSecret);

  function tokenContext(req: http.IncomingMessage): TokenContext {
    return { sql, keys, issuer: `http://${req.headers.host ?? "127.0.0.1"}/auth/v1`, jwtExpiry: config.jwtExpiry };
  }

  async function lite(req: http.IncomingMessage, url: URL, body: Buffer, origin: string): Promise<Response> {
    // The body may be one the gateway rewrote; its length is the Request's to set.
    const response = await app.fetch(toFetchRequest(req, body, origin, ["content-length"]), { peerAddress: req.socket.remoteAddress ?? null } as never);
    return withGoTrueClaims(url, response, tokenContext(req));
  }

  /** A request of the gateway's own to lite, made with the caller's API key and client headers. */
  async function liteAs(req: http.IncomingMessage, path: string, payload: unknown, origin: string): Promise<Response> {
    const headers = new Headers({ "content-type": "application/json" });
    for (const name of ["apikey", "authorization", "x-client-info", "user-agent"]) {
      const v = req.headers[name];
      if (typeof v === "string") headers.set(name, v);
    }
    const request = new Request(new URL(`/auth/v1${path}`, origin), { method: "POST", headers, body: JSON.stringify(payload) });
    return app.fetch(request, { peerAddress: req.socket.remoteAddress ?? null } as never);
  }

  /**
   * The credentials as lite can read them: opaque keys become their role's legacy key (as Supabase's
   * gateway hands services a JWT for them), and a valid asymmetric user token becomes the same claims
   * signed with the secret. An invalid token is passed on unchanged, for lite to refuse.
   */
  async function forLite(req: http.IncomingMessage): Promise<void> {
    const apikey = req.headers.apikey;
    if (typeof apikey === "string") req.headers.apikey = legacyKeyFor(apikey, keys.jwtSecret) ?? apikey;
    const bearer = bearerOf(new Headers({ authorization: req.headers.authorization ?? "" }));
    if (!bearer) return;
    const legacy = legacyKeyFor(bearer, keys.jwtSecret);
    if (legacy) {
      req.headers.authorization = `Bearer ${legacy}`;
      return;
    }
    if (bearer.split(".").length !== 3) return;
    let alg: string | undefined;
    try {
      alg = (JSON.parse(Buffer.from(bearer.split(".")[0]!, "base64url").toString("utf8")) as { alg?: string }).alg;
    } catch {
      return;
    }
    if (alg === "HS256") return;
    const v = await verifyJwt(bearer, keys.jwtSecret);
    if (!v.ok) return;
    req.headers.authorization = `Bearer ${await new SignJWT(v.claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secretBytes)}`;
  }

  function limiterFor(method: string, path: string, input: Record<string, unknown> | null): IpBuckets | null {
    if (method === "POST" && path === "/signup") return input?.email || input?.phone ? limits.signInSignUps.signup : limits.anonymousUsers;
    // GoTrue counts every grant (password sign-ins too) against the token limit, whatever the CLI's
    // comment on sign_in_sign_ups says; so do we, so a limit that holds here holds there.
    if (method === "POST" && path === "/token") return limits.tokenRefresh;
    if (method === "POST" && ["/otp", "/magiclink", "/recover", "/resend"].includes(path)) return limits.signInSignUps[path.slice(1) as OtpEndpoint];
    if (method === "PUT" && path === "/user") return limits.signInSignUps.user;
    if (path === "/verify" && (method === "GET" || method === "POST")) return limits.tokenVerifications;
    if (method === "POST" && /^\/factors\/[^/]+\/(verify|challenge)$/.test(path)) return limits.tokenVerifications;
    return null;
  }

  /** Requests after which GoTrue may send an email, and so meet `email_sent` when it is spent. */
  function maySendEmail(method: string, path: string, input: Record<string, unknown> | null): boolean {
    if (method === "POST" && path === "/signup") return confirming && typeof input?.email === "string";
    if (method === "POST" && ["/otp", "/magiclink", "/recover", "/resend", "/invite"].includes(path)) return typeof input?.email === "string";
    if (method === "PUT" && path === "/user") return typeof input?.email === "string";
    return method === "GET" && path === "/reauthenticate";
  }

  async function route(req: http.IncomingMessage, url: URL, body: Buffer, origin: string): Promise<Response> {
    const path = url.pathname.slice("/auth/v1".length).replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    const input = jsonObject(body);
    const headers = toHeaders(req);
    const segments = path.split("/").filter(Boolean);

    if (!GOTRUE_ROUTES.has(segments[0] ?? "")) throw new AuthError(404, "not_found", "The requested Auth endpoint does not exist");
    if (method === "GET" && path === "/.well-known/jwks.json") {
      return Response.json({ keys: keys.jwks.keys }, { headers: { "cache-control": "public, max-age=600" } });
    }
    if (method === "GET" && (path === "/.well-known/openid-configuration" || path === "/.well-known/oauth-authorization-server")) {
      if (path === "/.well-known/oauth-authorization-server") requireOAuthServer(config);
      const issuer = tokenContext(req).issuer;
      // With the OAuth server on, the endpoints are its own (GoTrue's WellKnownOpenID).
      const server = config.oauthServer.enabled
        ? {
            authorization_endpoint: `${issuer}/oauth/authorize`,
            token_endpoint: `${issuer}/oauth/token`,
            userinfo_endpoint: `${issuer}/oauth/userinfo`,
            ...(config.oauthServer.allowDynamicRegistration ? { registration_endpoint: `${issuer}/oauth/clients/register` } : {}),
            scopes_supported: ["openid", "profile", "email", "phone", "offline_access"],
            grant_types_supported: ["authorization_code", "refresh_token"],
            token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
            code_challenge_methods_supported: ["S256", "plain"],
          }
        : { authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token` };
      return Response.json({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json`, ...server, response_types_supported: ["code"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: [keys.signer.alg] }, { headers: { "cache-control": "public, max-age=600" } });
    }
    if (segments[0] === "admin") {
      return handleAuthAdmin({ sql, keys, policy, config, linkContext: linkContext(req) }, method, path.slice("/admin".length), headers, body.toString("utf8"), url.searchParams);
    }
    if (path === "/invite" && method === "POST") {
      await requireAdmin(keys.jwtSecret, headers);
      const budget = limits.emailSent.check();
      if (!budget.ok) return tooManyRequests("email", budget.retryAfterSeconds);
      return invite(linkContext(req), input ?? {});
    }
    if (segments[0] === "sso") throw new AuthError(404, "saml_provider_disabled", "SAML 2.0 is disabled");
    if (segments[0] === "passkeys") {
      if (config.passkey.enabled && method === "POST" && path === "/passkeys/authentication/options") {
        const verdict = limits.passkeyAuthentication.take(clientIp(req));
        if (!verdict.ok) return tooManyRequests("request", verdict.retryAfterSeconds);
      }
      return handlePasskeys({ sql, config, tokens: tokenContext(req) }, method, segments.slice(1), input, () => authenticate(sql, keys.jwtSecret, headers));
    }
    if (segments[0] === "oauth") {
      if (config.oauthServer.enabled && config.oauthServer.allowDynamicRegistration && method === "POST" && path === "/oauth/clients/register") {
        const verdict = limits.oauthClientRegister.take(clientIp(req));
        if (!verdict.ok) return tooManyRequests("request", verdict.retryAfterSeconds);
      }
      return handleOAuthServer(oauthContext(req), { method, rest: segments.slice(1), url, headers, input, rawBody: body.toString("utf8"), caller: () => authenticate(sql, keys.jwtSecret, headers) });
    }
    if (segments[0] === "user" && segments[1] === "oauth" && segments[2] === "grants" && segments.length === 3) {
      const caller = await authenticate(sql, keys.jwtSecret, headers);
      return userGrants(oauthContext(req), caller, method, url);
    }
    if (segments[0] === "user" && segments[1] === "oauth") throw new AuthError(404, "not_found", "The requested Auth endpoint does not exist");
    if (segments[0] === "factors") {
      const caller = await authenticate(sql, keys.jwtSecret, headers);
      return handleFactors({ sql, tokens: tokenContext(req), config, clientIp: clientIp(req) }, caller, method, segments.slice(1), input ?? {});
    }
    if (path === "/user" && method === "GET") {
      const caller = await authenticate(sql, keys.jwtSecret, headers);
      return Response.json(caller.user);
    }
    if (segments[0] === "user" && segments[1] === "identities") {
      const caller = await authenticate(sql, keys.jwtSecret, headers);
      if (!config.enableManualLinking) throw new AuthError(404, "manual_linking_disabled", "Manual linking is disabled");
      if (method === "DELETE" && segments.length === 3) return unlinkIdentity(caller.user.id, segments[2]!);
      throw validationFailed("Unsupported provider: no external provider is configured on this project");
    }
    if (path === "/settings" && method === "GET") {
      const settings = (await (await app.fetch(new Request(new URL("/auth/v1/settings", origin), { headers: { apikey: keys.anonKey } }))).json()) as { external: Record<string, unknown> };
      settings.external.anonymous_users = config.enableAnonymousSignIns;
      return Response.json(settings);
    }

    const limiter = limiterFor(method, path, input);
    if (limiter) {
      const verdict = limiter.take(clientIp(req));
      if (!verdict.ok) return tooManyRequests("request", verdict.retryAfterSeconds);
    }

    if (method === "POST" && path === "/signup" && !input?.email && !input?.phone) {
      if (!config.enableAnonymousSignIns) throw new AuthError(422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled");
      if (!config.enableSignup) throw new AuthError(422, "signup_disabled", "Signups not allowed for this instance");
      return signInAnonymously(req, input ?? {});
    }
    if (typeof input?.phone === "string" && input.phone && (path === "/signup" || path === "/otp" || (path === "/token" && url.searchParams.get("grant_type") === "password"))) {
      // No SMS provider runs on this machine; GoTrue answers so when its phone provider is off.
      throw new AuthError(400, "phone_provider_disabled", "Phone signups are disabled");
    }
    if (path === "/token" && method === "POST") {
      const grant = url.searchParams.get("grant_type");
      if (grant === "id_token") throw new AuthError(400, "provider_disabled", `Provider (issuer "${String(input?.provider ?? "")}") is not enabled`);
      if (grant === "web3") throw new AuthError(422, "web3_provider_disabled", "Web3 provider is disabled");
      if (grant === "refresh_token" && typeof input?.refresh_token === "string") await refusesOAuthSession(sql, input.refresh_token);
    }
    if (path === "/verify" && (method === "POST" || method === "GET")) {
      const early = await verifyEarly(method, url, input);
      if (early) return early;
    }

    await forLite(req);

    const email = typeof input?.email === "string" ? input.email : null;
    const signingUp = method === "POST" && path === "/signup" && email !== null && confirming;
    const password = typeof input?.password === "string" ? input.password : "";
    // lite answers a sign-up whose password it refuses (or whose address is malformed) before it
    // looks the address up or sends anything; such a request goes straight to lite.
    const refused = signingUp && !(password && password.length <= 72 && !checkPassword(password, policy));

    if (maySendEmail(method, path, input) && !refused) {
      const budget = limits.emailSent.check();
      if (!budget.ok) return tooManyRequests("email", budget.retryAfterSeconds);
    }

    if (signingUp && !refused && (await findByEmail(sql, email))) {
      return Response.json(await obfuscatedUser(sql, email, password, input?.data), { status: 200 });
    }

    if (method === "POST" && (path === "/otp" || path === "/magiclink") && email && confirming && input?.create_user !== false) {
      // lite makes the account for a new address already confirmed, before anyone followed a link.
      // GoTrue signs the address up instead: the account stays unconfirmed and the email is the
      // sign-up confirmation, so email_confirmed_at is set only by the link.
      if (!(await findByEmail(sql, email))) {
        const signedUp = await liteAs(req, "/signup", { email, password: unusablePassword(), data: input?.data ?? {} }, origin);
        return signedUp.ok ? Response.json({}, { status: 200 }) : signedUp;
      }
    }

    if (method === "POST" && path === "/resend" && email && input?.type === "signup") {
      // lite never sends a sign-up confirmation again, and answers 429 for an unconfirmed address
      // (200 for any other), which tells which addresses have a pending sign-up. GoTrue answers 200
      // for every address and sends the unconfirmed one a new link, at most once per max_frequency.
      // The new link is lite's magic link: following it proves the address and signs in, as the
      // confirmation link does.
      const user = await findByEmail(sql, email);
      if (!user || user.confirmed) return Response.json({}, { status: 200 });
      const wait = user.lastSentAt ? user.lastSentAt.getTime() + maxFrequencyMs - Date.now() : 0;
      if (wait > 0) return tooManyRequests("email-frequency", Math.ceil(wait / 1000));
      const sent = await liteAs(req, "/otp", { email: user.email, create_user: false }, origin);
      return sent.ok ? Response.json({}, { status: 200 }) : sent;
    }

    if (path === "/verify" && (input?.type === "invite" || url.searchParams.get("type") === "invite")) {
      return verifyInvite(req, url, body, origin, method, input);
    }
    if (path === "/verify" && method === "POST" && input?.type === "email") {
      // GoTrue's `email` type takes a sign-up confirmation code or a magic-link code; lite keeps both
      // in the columns it checks for `magiclink`.
      return lite(req, url, Buffer.from(JSON.stringify({ ...input, type: "magiclink" })), origin);
    }

    return lite(req, url, body, origin);
  }

  /** GoTrue's answers to verifications lite does not know: SMS codes, with no SMS provider here. */
  async function verifyEarly(method: string, url: URL, input: Record<string, unknown> | null): Promise<Response | null> {
    const type = method === "POST" ? input?.type : url.searchParams.get("type");
    const phone = method === "POST" ? input?.phone : null;
    if ((type === "sms" || type === "phone_change") && typeof phone === "string") {
      if (!/^[1-9]\d{1,14}$/.test(phone.replace(/[\s+]/g, ""))) throw validationFailed("Invalid phone number format (E.164 required)");
      throw new AuthError(403, "otp_expired", "Token has expired or is invalid");
    }
    return null;
  }

  /**
   * An invitation is confirmed as a sign-up is (links.ts stores it in confirmation_token), so lite
   * verifies it as `signup`; the browser then lands on the app with `type=invite`, as with GoTrue.
   */
  async function verifyInvite(req: http.IncomingMessage, url: URL, body: Buffer, origin: string, method: string, input: Record<string, unknown> | null): Promise<Response> {
    if (method === "GET") {
      const u = new URL(url);
      u.searchParams.set("type", "signup");
      req.url = `${u.pathname}${u.search}`;
      const response = await lite(req, u, body, origin);
      const location = response.headers.get("location");
      if (!location) return response;
      const headers = new Headers(response.headers);
      headers.set("location", location.replace(/([#&])type=signup(&|$)/, "$1type=invite$2"));
      return new Response(null, { status: response.status, headers });
    }
    return lite(req, url, Buffer.from(JSON.stringify({ ...input, type: "signup" })), origin);
  }

  async function signInAnonymously(req: http.IncomingMessage, input: Record<string, unknown>): Promise<Response> {
    const data = input.data && typeof input.data === "object" && !Array.isArray(input.data) ? input.data : {};
    const id = uuidv7();
    await sql`insert into auth.users (id, aud, role, is_anonymous, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
              values (${id}, 'authenticated', 'authenticated', true, '{}'::jsonb, ${sql.json(data as never)}, now(), now())`;
    await sql`insert into auth.audit_log_entries (id, payload, created_at, ip_address)
              values (${randomUUID()}, ${sql.json({ action: "user_signedup", actor_id: id, log_type: "team", traits: { provider: "anonymous" } } as never)}, now(), '')`;
    return Response.json(await issueSession(tokenContext(req), id, "anonymous"));
  }

  async function unlinkIdentity(userId: string, identityId: string): Promise<Response> {
    const identities = await sql<Array<{ id: string; provider: string }>>`select id, provider from auth.identities where user_id = ${userId}`;
    if (identities.length <= 1) throw new AuthError(422, "single_identity_not_deletable", "User must have at least 1 identity after unlinking");
    if (!identities.some((i) => i.id === identityId)) throw new AuthError(404, "identity_not_found", "Identity doesn't exist");
    await sql.begin(async (tx) => {
      await tx`delete from auth.identities where id = ${identityId}`;
      const providers = identities.filter((i) => i.id !== identityId).map((i) => i.provider);
      await tx`update auth.users set raw_app_meta_data = case jsonb_typeof(raw_app_meta_data) when 'string' then (raw_app_meta_data #>> '{}')::jsonb else coalesce(raw_app_meta_data, '{}') end
               || jsonb_build_object('provider', ${providers[0]!}::text, 'providers', ${sql.json([...new Set(providers)] as never)}::jsonb), updated_at = now() where id = ${userId}`;
    });
    return Response.json({});
  }

  function oauthContext(req: http.IncomingMessage): OAuthServerContext {
    return { sql, config, tokens: tokenContext(req) };
  }

  function linkContext(req: http.IncomingMessage): LinkContext {
    return { sql, config, policy, authUrl: tokenContext(req).issuer, mailer: o.mailer };
  }

  return {
    async handle(req, url, body, origin) {
      let response: Response;
      try {
        response = await route(req, url, body, origin);
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        response = err instanceof OAuthProtocolError ? fromOAuthProtocolError(err) : fromAuthError(err);
      }
      return versioned(req, await asGoTrueError(response));
    },
  };
}

/** The first path segments of GoTrue's routes (internal/api/api.go); anything else is a 404. */
const GOTRUE_ROUTES = new Set([
  ".well-known", "health", "settings", "authorize", "callback", "invite", "signup", "recover", "resend", "magiclink", "otp", "token",
  "verify", "logout", "reauthenticate", "user", "factors", "passkeys", "sso", "saml", "admin", "oauth", "scim",
]);

/**
 * GoTrue's API versions: a client that sends `X-Supabase-Api-Version: 2024-01-01` (auth-js does) gets
 * errors as `{"code": "<error_code>", "message": "..."}` and the version echoed; others get the
 * original `{"code": <status>, "error_code", "msg"}`.
 */
async function versioned(req: http.IncomingMessage, response: Response): Promise<Response> {
  const asked = req.headers["x-supabase-api-version"];
  if (typeof asked !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(asked) || asked < "2024-01-01") return response;
  const headers = new Headers(response.headers);
  headers.set("x-supabase-api-version", "2024-01-01");
  if (response.status < 400 || !(headers.get("content-type") ?? "").includes("json")) {
    return new Response(response.body, { status: response.status, headers });
  }
  const body = (await response.json()) as Record<string, unknown>;
  if (typeof body.error_code === "string" && typeof body.code === "number") {
    const { code: _status, error_code, msg, ...rest } = body;
    headers.delete("content-length");
    return new Response(JSON.stringify({ code: error_code, message: msg, ...rest }), { status: response.status, headers });
  }
  headers.delete("content-length");
  return new Response(JSON.stringify(body), { status: response.status, headers });
}

function jsonObject(body: Buffer): Record<string, unknown> | null {
  if (!body.length) return null;
  try {
    const v: unknown = JSON.parse(body.toString("utf8"));
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The TCP peer, IPv4 addresses without their IPv6 mapping. */
function clientIp(req: http.IncomingMessage): string {
  const a = req.socket.remoteAddress ?? "unknown";
  return a.startsWith("::ffff:") ? a.slice(7) : a;
}

function toHeaders(req: http.IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    h.set(k, Array.isArray(v) ? v.join(", ") : v);
  }
  return h;
}
