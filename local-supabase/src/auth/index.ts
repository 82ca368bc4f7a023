import type http from "node:http";
import type postgres from "postgres";
import { toFetchRequest } from "../http-util.ts";
import type { LiteApp } from "../rest.ts";
import type { AuthConfig } from "../supabase-config.ts";
import { handleAuthAdmin } from "./admin.ts";
import { withGoTrueClaims } from "./claims.ts";
import { checkPassword, type PasswordPolicy } from "./password-policy.ts";
import { tooManyRequests, type AuthLimits, type IpBuckets } from "./rate-limit.ts";
import { durationMs, findByEmail, obfuscatedUser, unusablePassword } from "./signup.ts";

export { AuthEmailDriver } from "./email.ts";
export { AuthLimits, FIVE_MINUTES, ONE_HOUR, type RateLimitSettings } from "./rate-limit.ts";

export type AuthGatewayOptions = {
  app: LiteApp;
  sql: postgres.Sql;
  jwtSecret: string;
  config: AuthConfig;
  limits: AuthLimits;
};

export type AuthGateway = {
  /** Answers one /auth/v1 request (CORS preflights excepted), lite doing the work GoTrue would. */
  handle(req: http.IncomingMessage, url: URL, body: Buffer, origin: string): Promise<Response>;
};

/**
 * /auth/v1 as GoTrue serves it, around lite's Auth: GoTrue's admin API (admin.ts), its rate limits per
 * client IP and per project (rate-limit.ts), its answers where lite's would say whether an address
 * has an account (signup.ts), and its access-token claims (claims.ts).
 *
 * Rate limits key on the TCP peer's address. GoTrue keys on a header its proxy sets
 * (GOTRUE_RATE_LIMIT_HEADER, X-Forwarded-For on Supabase's platform); here the gateway is the edge, so
 * a header would be whatever the caller wants it to be, and is not read. Everything on this machine
 * is 127.0.0.1 and shares one budget per limit.
 */
export function createAuthGateway(o: AuthGatewayOptions): AuthGateway {
  const { app, sql, jwtSecret, config, limits } = o;
  const policy: PasswordPolicy = { minimumLength: config.minimumPasswordLength, requirements: config.passwordRequirements };
  const confirming = config.email.enableConfirmations;
  const maxFrequencyMs = durationMs(config.email.maxFrequency);

  async function lite(req: http.IncomingMessage, url: URL, body: Buffer, origin: string): Promise<Response> {
    const response = await app.fetch(toFetchRequest(req, body, origin), { peerAddress: req.socket.remoteAddress ?? null } as never);
    return withGoTrueClaims(url.pathname, response, jwtSecret, `http://${req.headers.host ?? "127.0.0.1"}/auth/v1`, sql);
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

  function limiterFor(method: string, path: string, input: Record<string, unknown> | null): IpBuckets | null {
    if (method === "POST" && path === "/signup") return input?.email || input?.phone ? limits.signInSignUps : limits.anonymousUsers;
    // GoTrue counts every grant (password sign-ins too) against the token limit, whatever the CLI's
    // comment on sign_in_sign_ups says; so do we, so a limit that holds here holds there.
    if (method === "POST" && path === "/token") return limits.tokenRefresh;
    if (method === "POST" && ["/otp", "/magiclink", "/recover", "/resend"].includes(path)) return limits.signInSignUps;
    if (method === "PUT" && path === "/user") return limits.signInSignUps;
    if (path === "/verify" && (method === "GET" || method === "POST")) return limits.tokenVerifications;
    return null;
  }

  /** Requests after which GoTrue may send an email, and so meet `email_sent` when it is spent. */
  function maySendEmail(method: string, path: string, input: Record<string, unknown> | null): boolean {
    if (method === "POST" && path === "/signup") return confirming && typeof input?.email === "string";
    if (method === "POST" && ["/otp", "/magiclink", "/recover", "/resend"].includes(path)) return typeof input?.email === "string";
    if (method === "PUT" && path === "/user") return typeof input?.email === "string";
    return method === "GET" && path === "/reauthenticate";
  }

  return {
    async handle(req, url, body, origin) {
      const path = url.pathname.slice("/auth/v1".length) || "/";
      const method = req.method ?? "GET";
      if (path.startsWith("/admin/")) {
        const r = await handleAuthAdmin(sql, jwtSecret, policy, method, path.slice("/admin".length), toHeaders(req), body.toString("utf8"), url.searchParams);
        return Response.json(r.body, { status: r.status, headers: r.headers });
      }
      const input = jsonObject(body);
      const limiter = limiterFor(method, path, input);
      if (limiter) {
        const verdict = limiter.take(clientIp(req));
        if (!verdict.ok) return tooManyRequests("request", verdict.retryAfterSeconds);
      }

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

      return lite(req, url, body, origin);
    },
  };
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
