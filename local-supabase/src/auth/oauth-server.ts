import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from "node:crypto";
import type postgres from "postgres";
import type { AuthConfig } from "../supabase-config.ts";
import type { Caller } from "./authenticate.ts";
import { AuthError, validationFailed } from "./errors.ts";
import { redirectFor } from "./links.ts";
import { issueSession, reissue, type TokenContext } from "./sessions.ts";
import { uuidv7 } from "./signup.ts";
import { loadUser } from "./users.ts";

/**
 * GoTrue's OAuth 2.1 authorization server (internal/api/oauthserver, behind `[auth.oauth_server]
 * enabled`): the project's users sign in to third-party apps with their account here.
 *
 * - Admins register clients (`/admin/oauth/clients`: create, list, get, update, delete, regenerate the
 *   secret); with `allow_dynamic_registration`, anyone may (`POST /oauth/clients/register`, RFC 7591).
 *   A confidential client's secret is shown once and kept as its SHA-256.
 * - `GET /oauth/authorize` (client, exact redirect URI, scopes, PKCE required) records a pending
 *   authorization and sends the browser to the app's consent page (`site_url` +
 *   `authorization_url_path`), which reads it (`GET /oauth/authorizations/{id}`, binding it to the
 *   signed-in user, auto-approved when an earlier consent covers the scopes) and approves or denies it
 *   (`POST …/consent`): approval gives a one-time code on the client's redirect URI.
 * - `POST /oauth/token` redeems the code once (client authenticated by its registered method, PKCE
 *   verifier checked) for a session bound to the client, and refreshes such sessions.
 * - `GET /oauth/userinfo`, and a user's own grants (`/user/oauth/grants`: list, revoke, which ends the
 *   client's sessions).
 *
 * Rows live in GoTrue's tables (auth.oauth_clients, auth.oauth_authorizations, auth.oauth_consents,
 * auth.sessions.oauth_client_id), created by bootstrap/21-auth-schema.sql.
 */
export type OAuthServerContext = { sql: postgres.Sql; config: AuthConfig; tokens: TokenContext };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SUPPORTED_SCOPES = new Set(["openid", "profile", "email", "phone", "offline_access"]);
const AUTHORIZATION_TTL_SECONDS = 600; // GOTRUE_OAUTH_SERVER_AUTHORIZATION_TTL
const DEFAULT_SCOPE = "email"; // GOTRUE_OAUTH_SERVER_DEFAULT_SCOPE

export function requireOAuthServer(config: AuthConfig): void {
  if (!config.oauthServer.enabled) throw new AuthError(404, "feature_disabled", "OAuth server is disabled");
}

/** An RFC 6749 error, as GoTrue's apierrors.OAuthError answers it (400, `error` + `error_description`). */
function oauthError(error: string, description: string): AuthError {
  return new OAuthProtocolError(error, description);
}
export class OAuthProtocolError extends AuthError {
  constructor(readonly error: string, description: string) {
    super(400, error, description);
  }
}
export function fromOAuthProtocolError(err: OAuthProtocolError): Response {
  return Response.json({ error: err.error, error_description: err.message }, { status: 400 });
}

type ClientRow = {
  id: string;
  client_secret_hash: string | null;
  registration_type: string;
  redirect_uris: string;
  grant_types: string;
  client_name: string | null;
  client_uri: string | null;
  logo_uri: string | null;
  client_type: "public" | "confidential";
  token_endpoint_auth_method: string;
  created_at: Date;
  updated_at: Date;
};

function clientResponse(c: ClientRow, secret?: string): Record<string, unknown> {
  return {
    client_id: c.id,
    ...(secret ? { client_secret: secret } : {}),
    client_type: c.client_type,
    redirect_uris: c.redirect_uris.split(",").filter(Boolean),
    token_endpoint_auth_method: c.token_endpoint_auth_method,
    grant_types: c.grant_types.split(",").filter(Boolean),
    response_types: ["code"],
    ...(c.client_name ? { client_name: c.client_name } : {}),
    ...(c.client_uri ? { client_uri: c.client_uri } : {}),
    ...(c.logo_uri ? { logo_uri: c.logo_uri } : {}),
    registration_type: c.registration_type,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

// --- client registration -------------------------------------------------------------------------

function validateRedirectUri(uri: unknown): string | null {
  if (typeof uri !== "string" || !uri) return "redirect URI cannot be empty";
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return "must have scheme and host";
  }
  if (!u.protocol || !u.host) return "must have scheme and host";
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  if (["javascript", "data", "file", "vbscript", "about", "blob"].includes(scheme)) return `scheme '${scheme}' is not allowed for security reasons`;
  if (scheme === "http" && !["localhost", "127.0.0.1", "[::1]"].includes(u.hostname)) return "HTTP scheme only allowed for localhost";
  if (u.hash) return "fragment not allowed in redirect URI";
  return null;
}

function validateRedirectUris(list: unknown): string[] {
  if (!Array.isArray(list) || list.length === 0) throw validationFailed("redirect_uris is required");
  if (list.length > 10) throw validationFailed("redirect_uris cannot exceed 10 items");
  for (const uri of list) {
    const problem = validateRedirectUri(uri);
    if (problem) throw validationFailed(`invalid redirect_uri '${String(uri)}': ${problem}`);
  }
  return list as string[];
}

function validateGrantTypes(list: unknown): string[] {
  if (!Array.isArray(list) || list.length === 0) throw validationFailed("grant_types cannot be empty");
  if (!list.every((g) => g === "authorization_code" || g === "refresh_token")) throw validationFailed("grant_types must only contain 'authorization_code' and/or 'refresh_token'");
  return list as string[];
}

function validateUri(name: string, v: unknown): string | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v !== "string") throw validationFailed(`${name} must be a valid URL`);
  if (v.length > 2048) throw validationFailed(`${name} cannot exceed 2048 characters`);
  try {
    new URL(v);
  } catch {
    throw validationFailed(`${name} must be a valid URL`);
  }
  return v;
}

function validateName(v: unknown): string | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v !== "string") throw validationFailed("client_name must be a string");
  if (v.length > 1024) throw validationFailed("client_name cannot exceed 1024 characters");
  return v;
}

const AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"];

function secretPair(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString("base64url");
  return { secret, hash: createHash("sha256").update(secret).digest("base64url") };
}

async function registerClient(sql: postgres.Sql, input: Record<string, unknown> | null, registrationType: "manual" | "dynamic"): Promise<Response> {
  if (!input) throw new AuthError(400, "bad_json", "Invalid JSON body");
  const redirectUris = validateRedirectUris(input.redirect_uris);
  const grantTypes = input.grant_types === undefined || (Array.isArray(input.grant_types) && input.grant_types.length === 0) ? ["authorization_code", "refresh_token"] : validateGrantTypes(input.grant_types);
  const name = validateName(input.client_name);
  const clientUri = validateUri("client_uri", input.client_uri);
  const logoUri = validateUri("logo_uri", input.logo_uri);
  const explicitType = typeof input.client_type === "string" ? input.client_type : "";
  if (explicitType && explicitType !== "public" && explicitType !== "confidential") throw validationFailed("client_type must be 'public' or 'confidential'");
  const method = typeof input.token_endpoint_auth_method === "string" ? input.token_endpoint_auth_method : "";
  if (method && !AUTH_METHODS.includes(method)) throw validationFailed(`token_endpoint_auth_method must be one of: [${AUTH_METHODS.join(" ")}]`);
  const inferred = method === "none" ? "public" : "confidential";
  if (explicitType && method && explicitType !== inferred) {
    throw validationFailed(`client_type '${explicitType}' is inconsistent with token_endpoint_auth_method '${method}' (expected client_type '${inferred}')`);
  }
  const clientType = explicitType || (method ? inferred : "confidential");
  const authMethod = method || (clientType === "public" ? "none" : "client_secret_basic");
  const pair = clientType === "confidential" ? secretPair() : null;
  const [row] = await sql<ClientRow[]>`
    insert into auth.oauth_clients (id, client_secret_hash, registration_type, redirect_uris, grant_types, client_name, client_uri, logo_uri, client_type, token_endpoint_auth_method)
    values (${randomUUID()}, ${pair?.hash ?? null}, ${registrationType}, ${redirectUris.join(",")}, ${grantTypes.join(",")}, ${name}, ${clientUri}, ${logoUri}, ${clientType}, ${authMethod})
    returning *`;
  return Response.json(clientResponse(row!, pair?.secret), { status: 201 });
}

async function findClient(sql: postgres.Sql, id: string): Promise<ClientRow | null> {
  if (!UUID.test(id)) return null;
  const [row] = await sql<ClientRow[]>`select * from auth.oauth_clients where id = ${id} and deleted_at is null`;
  return row ?? null;
}

/** /admin/oauth/clients[/{client_id}[/regenerate_secret]] (the caller is already an admin). */
export async function adminOAuthClients(sql: postgres.Sql, config: AuthConfig, method: string, parts: string[], input: Record<string, unknown> | null): Promise<Response> {
  requireOAuthServer(config);
  if (parts[0] !== "clients") throw new AuthError(404, "not_found", "The requested admin endpoint does not exist");
  if (parts.length === 1 && method === "POST") return registerClient(sql, input, "manual");
  if (parts.length === 1 && method === "GET") {
    const rows = await sql<ClientRow[]>`select * from auth.oauth_clients where deleted_at is null order by created_at desc`;
    return Response.json({ clients: rows.map((r) => clientResponse(r)) });
  }
  if (parts.length === 1) throw new AuthError(405, "method_not_allowed", "Method not allowed");
  const id = parts[1]!;
  if (!UUID.test(id)) throw validationFailed("invalid client_id format");
  const client = await findClient(sql, id);
  if (!client) throw new AuthError(404, "oauth_client_not_found", "OAuth client not found");
  if (parts.length === 3 && parts[2] === "regenerate_secret" && method === "POST") {
    if (client.client_type !== "confidential") throw validationFailed("Cannot regenerate secret for public client");
    const pair = secretPair();
    const [row] = await sql<ClientRow[]>`update auth.oauth_clients set client_secret_hash = ${pair.hash}, updated_at = now() where id = ${id} returning *`;
    return Response.json(clientResponse(row!, pair.secret));
  }
  if (parts.length !== 2) throw new AuthError(404, "not_found", "The requested admin endpoint does not exist");
  if (method === "GET") return Response.json(clientResponse(client));
  if (method === "DELETE") {
    await sql`update auth.oauth_clients set deleted_at = now(), updated_at = now() where id = ${id}`;
    return new Response(null, { status: 204 });
  }
  if (method === "PUT") return updateClient(sql, client, input);
  throw new AuthError(405, "method_not_allowed", "Method not allowed");
}

async function updateClient(sql: postgres.Sql, client: ClientRow, input: Record<string, unknown> | null): Promise<Response> {
  if (!input) throw new AuthError(400, "bad_json", "Invalid JSON body");
  const fields = ["redirect_uris", "grant_types", "client_name", "client_uri", "logo_uri", "token_endpoint_auth_method"] as const;
  if (!fields.some((f) => input[f] !== undefined)) throw validationFailed("No fields provided for update");
  const next = { ...client };
  if (input.redirect_uris !== undefined) next.redirect_uris = validateRedirectUris(input.redirect_uris).join(",");
  if (input.grant_types !== undefined) next.grant_types = validateGrantTypes(input.grant_types).join(",");
  if (input.client_name !== undefined) next.client_name = validateName(input.client_name);
  if (input.client_uri !== undefined) next.client_uri = validateUri("client_uri", input.client_uri);
  if (input.logo_uri !== undefined) next.logo_uri = validateUri("logo_uri", input.logo_uri);
  if (input.token_endpoint_auth_method !== undefined) {
    const m = input.token_endpoint_auth_method;
    const allowed = client.client_type === "public" ? ["none"] : ["client_secret_basic", "client_secret_post"];
    if (typeof m !== "string" || !allowed.includes(m)) throw validationFailed(`token_endpoint_auth_method '${String(m)}' is not valid for client_type '${client.client_type}'`);
    next.token_endpoint_auth_method = m;
  }
  const [row] = await sql<ClientRow[]>`
    update auth.oauth_clients set redirect_uris = ${next.redirect_uris}, grant_types = ${next.grant_types}, client_name = ${next.client_name}, client_uri = ${next.client_uri},
      logo_uri = ${next.logo_uri}, token_endpoint_auth_method = ${next.token_endpoint_auth_method}, updated_at = now()
    where id = ${client.id} returning *`;
  return Response.json(clientResponse(row!));
}

// --- the authorization code flow -----------------------------------------------------------------

type AuthorizationRow = {
  id: string;
  authorization_id: string;
  client_id: string;
  user_id: string | null;
  redirect_uri: string;
  scope: string;
  state: string | null;
  resource: string | null;
  code_challenge: string | null;
  code_challenge_method: "s256" | "plain" | null;
  status: string;
  authorization_code: string | null;
  expired: boolean;
};

function withQuery(uri: string, params: Record<string, string | null | undefined>): string {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v) u.searchParams.set(k, v);
  return u.toString();
}

/** GoTrue's crypto.SecureAlphanumeric: the id the consent page is given, unguessable. */
function secureAlphanumeric(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

function found(location: string): Response {
  return new Response(null, { status: 302, headers: { location } });
}

function scopesOf(scope: string): string[] {
  return scope.trim().split(" ").map((s) => s.trim()).filter(Boolean);
}

export type OAuthRequest = { method: string; rest: string[]; url: URL; headers: Headers; input: Record<string, unknown> | null; rawBody: string; caller: () => Promise<Caller> };

/** /oauth/* */
export async function handleOAuthServer(ctx: OAuthServerContext, r: OAuthRequest): Promise<Response> {
  requireOAuthServer(ctx.config);
  const route = r.rest.join("/");
  if (r.method === "POST" && route === "clients/register") {
    if (!ctx.config.oauthServer.allowDynamicRegistration) throw new AuthError(403, "oauth_dynamic_client_registration_disabled", "Dynamic client registration is not enabled");
    return registerClient(ctx.sql, r.input, "dynamic");
  }
  if (r.method === "GET" && route === "authorize") return authorize(ctx, r.url);
  if (r.method === "POST" && route === "token") return token(ctx, r);
  if (r.method === "GET" && route === "userinfo") return userinfo(ctx, await r.caller());
  if (r.rest[0] === "authorizations" && r.rest.length === 2 && r.method === "GET") return authorizationDetails(ctx, await r.caller(), r.rest[1]!, r.headers);
  if (r.rest[0] === "authorizations" && r.rest.length === 3 && r.rest[2] === "consent" && r.method === "POST") return consent(ctx, await r.caller(), r.rest[1]!, r.headers, r.input);
  throw new AuthError(404, "not_found", "The requested Auth endpoint does not exist");
}

async function authorize(ctx: OAuthServerContext, url: URL): Promise<Response> {
  const q = url.searchParams;
  const clientId = q.get("client_id") ?? "";
  const redirectUri = q.get("redirect_uri") ?? "";
  if (!clientId) throw validationFailed("client_id is required");
  if (!redirectUri) throw validationFailed("redirect_uri is required");
  if (!UUID.test(clientId)) throw new AuthError(400, "oauth_client_not_found", "invalid client_id format");
  const client = await findClient(ctx.sql, clientId);
  if (!client) throw new AuthError(400, "oauth_client_not_found", "invalid client_id");
  if (!client.redirect_uris.split(",").includes(redirectUri)) throw validationFailed("invalid redirect_uri");

  // From here on the redirect URI is the client's own: problems go back to it (RFC 6749 4.1.2.1).
  const state = q.get("state") ?? "";
  const problem = (() => {
    const responseType = q.get("response_type") || "code";
    if (responseType !== "code") return "only response_type=code is supported";
    const scopes = scopesOf(q.get("scope") || DEFAULT_SCOPE);
    if (!scopes.length) return "scope parameter cannot be empty";
    const unsupported = scopes.find((s) => !SUPPORTED_SCOPES.has(s));
    if (unsupported) return `unsupported scope: ${unsupported}`;
    const resource = q.get("resource");
    if (resource) {
      try {
        const u = new URL(resource);
        if (u.hash) return "resource must not include a fragment component";
        if (u.search) return "resource must not include a query component";
      } catch {
        return "resource must be an absolute URI";
      }
    }
    const challenge = q.get("code_challenge") ?? "";
    const method = (q.get("code_challenge_method") ?? "").toLowerCase();
    if (!challenge || !method) return "PKCE flow requires both code_challenge and code_challenge_method";
    if (method !== "s256" && method !== "plain") return "code_challenge_method must be 'S256' or 'plain'";
    if (challenge.length < 43 || challenge.length > 128) return "code_challenge must be between 43 and 128 characters";
    return null;
  })();
  if (problem) return found(withQuery(redirectUri, { error: "invalid_request", error_description: problem, state }));

  const authorizationId = secureAlphanumeric(32);
  await ctx.sql`
    insert into auth.oauth_authorizations (id, authorization_id, client_id, redirect_uri, scope, state, resource, code_challenge, code_challenge_method, nonce, expires_at)
    values (${randomUUID()}, ${authorizationId}, ${client.id}, ${redirectUri}, ${q.get("scope") || DEFAULT_SCOPE}, ${state || null}, ${q.get("resource") || null},
            ${q.get("code_challenge")}, ${(q.get("code_challenge_method") ?? "").toLowerCase()}, ${q.get("nonce") || null}, now() + make_interval(secs => ${AUTHORIZATION_TTL_SECONDS}))`;
  const path = ctx.config.oauthServer.authorizationUrlPath;
  if (!path) return found(withQuery(redirectUri, { error: "server_error", error_description: "oauth authorization path not configured", state }));
  const base = `${ctx.config.siteUrl.replace(/\/+$/, "")}${path.startsWith("/") ? path : `/${path}`}`;
  return found(`${base}?authorization_id=${authorizationId}`);
}

/** GoTrue's validateRequestOrigin: a browser's Origin must be one of the project's redirect URLs. */
function checkOrigin(config: AuthConfig, headers: Headers): void {
  const origin = headers.get("origin");
  if (origin && redirectFor(config, origin) !== origin) throw validationFailed("unauthorized request origin");
}

async function lockAuthorization(tx: postgres.TransactionSql, authorizationId: string): Promise<AuthorizationRow> {
  const [row] = await tx<AuthorizationRow[]>`select *, expires_at < now() as expired from auth.oauth_authorizations where authorization_id = ${authorizationId} for update`;
  if (!row) throw new AuthError(404, "oauth_authorization_not_found", "authorization not found");
  return row;
}

class ExpiredAuthorization extends Error {}

async function authorizationDetails(ctx: OAuthServerContext, caller: Caller, authorizationId: string, headers: Headers): Promise<Response> {
  checkOrigin(ctx.config, headers);
  let auto = false;
  let auth: AuthorizationRow;
  try {
    auth = await ctx.sql.begin(async (tx) => {
      const a = await lockAuthorization(tx, authorizationId);
      if (a.expired) {
        if (a.status === "pending") await tx`update auth.oauth_authorizations set status = 'expired' where id = ${a.id}`;
        throw new ExpiredAuthorization();
      }
      if (a.status !== "pending") throw validationFailed("authorization request cannot be processed");
      if (a.user_id === null) {
        await tx`update auth.oauth_authorizations set user_id = ${caller.user.id} where id = ${a.id}`;
        a.user_id = caller.user.id;
        const [c] = await tx<Array<{ scopes: string }>>`select scopes from auth.oauth_consents where user_id = ${caller.user.id} and client_id = ${a.client_id} and revoked_at is null`;
        if (c) {
          const granted = new Set(scopesOf(c.scopes));
          auto = scopesOf(a.scope).every((s) => granted.has(s));
        }
      } else if (a.user_id !== caller.user.id) {
        throw new AuthError(404, "oauth_authorization_not_found", "authorization not found");
      }
      if (auto) {
        const code = randomUUID();
        await tx`update auth.oauth_authorizations set status = 'approved', approved_at = now(), authorization_code = ${code} where id = ${a.id}`;
        a.authorization_code = code;
      }
      return a;
    });
  } catch (err) {
    if (err instanceof ExpiredAuthorization) throw new AuthError(404, "oauth_authorization_not_found", "authorization not found");
    throw err;
  }
  if (auto) return Response.json({ redirect_url: withQuery(auth.redirect_uri, { code: auth.authorization_code, state: auth.state }) });
  const client = await findClient(ctx.sql, auth.client_id);
  if (!client) throw new AuthError(404, "oauth_authorization_not_found", "authorization not found");
  return Response.json({
    authorization_id: auth.authorization_id,
    redirect_uri: auth.redirect_uri,
    client: { id: client.id, ...(client.client_name ? { name: client.client_name } : {}), ...(client.client_uri ? { uri: client.client_uri } : {}), ...(client.logo_uri ? { logo_uri: client.logo_uri } : {}) },
    user: { id: caller.user.id, ...(caller.user.email ? { email: caller.user.email } : {}) },
    scope: auth.scope,
  });
}

async function consent(ctx: OAuthServerContext, caller: Caller, authorizationId: string, headers: Headers, input: Record<string, unknown> | null): Promise<Response> {
  checkOrigin(ctx.config, headers);
  if (!input) throw new AuthError(400, "bad_json", "invalid JSON body");
  const action = input.action;
  if (action !== "approve" && action !== "deny") throw validationFailed("action must be 'approve' or 'deny'");
  try {
    const redirectUrl = await ctx.sql.begin(async (tx) => {
      const a = await lockAuthorization(tx, authorizationId);
      if (a.expired) {
        if (a.status === "pending") await tx`update auth.oauth_authorizations set status = 'expired' where id = ${a.id}`;
        throw new ExpiredAuthorization();
      }
      if (a.status !== "pending") throw validationFailed("authorization request is no longer pending");
      if (a.user_id !== caller.user.id) throw new AuthError(404, "oauth_authorization_not_found", "authorization not found");
      if (action === "deny") {
        await tx`update auth.oauth_authorizations set status = 'denied' where id = ${a.id}`;
        return withQuery(a.redirect_uri, { error: "access_denied", error_description: "User denied the request", state: a.state });
      }
      const code = randomUUID();
      await tx`update auth.oauth_authorizations set status = 'approved', approved_at = now(), authorization_code = ${code} where id = ${a.id}`;
      await tx`insert into auth.oauth_consents (id, user_id, client_id, scopes) values (${randomUUID()}, ${caller.user.id}, ${a.client_id}, ${scopesOf(a.scope).join(" ")})
               on conflict (user_id, client_id) do update set scopes = excluded.scopes, granted_at = now(), revoked_at = null`;
      return withQuery(a.redirect_uri, { code, state: a.state });
    });
    return Response.json({ redirect_url: redirectUrl });
  } catch (err) {
    if (err instanceof ExpiredAuthorization) throw new AuthError(404, "oauth_authorization_not_found", "authorization not found");
    throw err;
  }
}

// --- the token endpoint --------------------------------------------------------------------------

type TokenParams = Record<"grant_type" | "code" | "refresh_token" | "redirect_uri" | "client_id" | "client_secret" | "code_verifier" | "resource", string>;

function tokenParams(r: OAuthRequest): TokenParams {
  const names = ["grant_type", "code", "refresh_token", "redirect_uri", "client_id", "client_secret", "code_verifier", "resource"] as const;
  const json = (r.headers.get("content-type") ?? "").includes("application/json");
  let source: (k: string) => unknown;
  if (json) {
    if (!r.input) throw oauthError("invalid_request", "Invalid JSON body");
    source = (k) => r.input![k];
  } else {
    const form = new URLSearchParams(r.rawBody);
    source = (k) => form.get(k);
  }
  return Object.fromEntries(names.map((n) => [n, typeof source(n) === "string" ? (source(n) as string) : ""])) as TokenParams;
}

const invalidCredentials = (msg: string) => new AuthError(400, "invalid_credentials", msg);

/** GoTrue's requireOAuthClientAuth: the client, authenticated the way it registered to be. */
async function authenticateClient(ctx: OAuthServerContext, r: OAuthRequest, params: TokenParams): Promise<ClientRow | null> {
  let clientId = params.client_id;
  let secret = params.client_secret;
  let method: string;
  const basic = /^Basic (.+)$/.exec(r.headers.get("authorization") ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw invalidCredentials("Invalid client credentials: invalid basic auth format");
    clientId = decodeURIComponent(decoded.slice(0, colon));
    secret = decodeURIComponent(decoded.slice(colon + 1));
    method = "client_secret_basic";
  } else {
    if (!clientId) return null;
    method = secret ? "client_secret_post" : "none";
  }
  if (!UUID.test(clientId)) throw invalidCredentials("Invalid client_id format");
  const client = await findClient(ctx.sql, clientId);
  if (!client) throw invalidCredentials("Invalid client credentials");
  if (client.token_endpoint_auth_method !== method) {
    throw invalidCredentials(`Client authentication method mismatch: client registered with '${client.token_endpoint_auth_method}' but used '${method}'`);
  }
  if (client.client_type === "public") {
    if (secret) throw invalidCredentials("public clients must not provide client_secret");
    return client;
  }
  if (!secret) throw invalidCredentials("confidential clients must provide client_secret");
  const given = createHash("sha256").update(secret).digest();
  const stored = Buffer.from(client.client_secret_hash ?? "", "base64url");
  if (stored.length !== given.length || !timingSafeEqual(given, stored)) throw invalidCredentials("invalid client credentials");
  return client;
}

async function token(ctx: OAuthServerContext, r: OAuthRequest): Promise<Response> {
  const params = tokenParams(r);
  const client = await authenticateClient(ctx, r, params);
  if (!params.grant_type) throw oauthError("invalid_request", "grant_type is required");
  if (!client) throw oauthError("invalid_client", "Client authentication required");
  if (!client.grant_types.split(",").includes(params.grant_type)) throw oauthError("unsupported_grant_type", `Client is not allowed to use grant type: ${params.grant_type}`);
  if (params.grant_type === "authorization_code") return redeemCode(ctx, client, params);
  if (params.grant_type === "refresh_token") return refresh(ctx, client, params);
  throw oauthError("unsupported_grant_type", `Unsupported grant type: ${params.grant_type}`);
}

function pkceMatches(challenge: string, method: string | null, verifier: string): boolean {
  const expected = method === "plain" ? verifier : createHash("sha256").update(verifier).digest("base64url");
  const a = Buffer.from(expected);
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function redeemCode(ctx: OAuthServerContext, client: ClientRow, params: TokenParams): Promise<Response> {
  if (!params.code) throw oauthError("invalid_request", "code is required for authorization_code grant");
  // The row is deleted as it is read: a code is redeemed at most once, whatever happens next.
  const [auth] = await ctx.sql<AuthorizationRow[]>`
    delete from auth.oauth_authorizations where authorization_code = ${params.code} and status = 'approved'
    returning *, expires_at < now() as expired`;
  if (!auth) throw oauthError("invalid_grant", "Invalid authorization code");
  if (auth.expired) throw oauthError("invalid_grant", "Authorization code has expired");
  if (auth.client_id !== client.id) throw oauthError("invalid_grant", "Authorization code was not issued for this client");
  if (params.resource && params.resource !== (auth.resource ?? "")) throw oauthError("invalid_grant", "Authorization code resource does not match the resource parameter");
  if (params.redirect_uri && params.redirect_uri !== auth.redirect_uri) throw oauthError("invalid_grant", "Invalid redirect_uri");
  if (auth.code_challenge) {
    if (!params.code_verifier) throw oauthError("invalid_grant", "PKCE verification failed: code_verifier is required when PKCE challenge is present");
    if (!pkceMatches(auth.code_challenge, auth.code_challenge_method, params.code_verifier)) throw oauthError("invalid_grant", "PKCE verification failed: code challenge does not match previously saved code verifier");
  }
  if (!auth.user_id) throw oauthError("invalid_grant", "Authorization code has no associated user");
  const user = await loadUser(ctx.sql, auth.user_id);
  if (!user) throw oauthError("invalid_grant", "User not found for authorization code");
  if (user.banned_until && new Date(String(user.banned_until)).getTime() > Date.now()) throw oauthError("access_denied", "User is banned");
  await ctx.sql`insert into auth.audit_log_entries (id, payload, created_at, ip_address)
                values (${randomUUID()}, ${ctx.sql.json({ action: "login", actor_id: user.id, log_type: "account", traits: { provider_type: "oauth_provider_authorization_code", client_id: client.id } } as never)}, now(), '')`;
  const session = await issueSession(ctx.tokens, user.id, "oauth_provider/authorization_code", { oauthClientId: client.id, scopes: auth.scope });
  return Response.json({ access_token: session.access_token, token_type: "bearer", expires_in: session.expires_in, refresh_token: session.refresh_token });
}

async function refresh(ctx: OAuthServerContext, client: ClientRow, params: TokenParams): Promise<Response> {
  if (!params.refresh_token) throw oauthError("invalid_request", "refresh_token is required for refresh_token grant");
  const fresh = uuidv7();
  // A refresh token of a session issued to this client, used once: it is revoked as the next is issued.
  const rotated = await ctx.sql.begin(async (tx) => {
    const [row] = await tx<Array<{ session_id: string; user_id: string }>>`
      update auth.refresh_tokens t set revoked = true, updated_at = now()
      from auth.sessions s
      where t.token = ${params.refresh_token} and t.revoked = false and s.id = t.session_id and s.oauth_client_id = ${client.id}
      returning t.session_id, t.user_id`;
    if (!row) return null;
    await tx`insert into auth.refresh_tokens (id, token, user_id, session_id, revoked, parent, created_at, updated_at)
             values (${uuidv7()}, ${fresh}, ${row.user_id}, ${row.session_id}, false, ${params.refresh_token}, now(), now())`;
    await tx`update auth.sessions set refreshed_at = now(), updated_at = now() where id = ${row.session_id}`;
    return row;
  });
  if (!rotated) throw new AuthError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
  const tokens = await reissue(ctx.tokens, rotated.user_id, rotated.session_id, fresh);
  return Response.json({ access_token: tokens.access_token, token_type: "bearer", expires_in: tokens.expires_in, refresh_token: tokens.refresh_token });
}

// --- what the user sees --------------------------------------------------------------------------

async function userinfo(ctx: OAuthServerContext, caller: Caller): Promise<Response> {
  const info: Record<string, unknown> = { sub: caller.user.id };
  if (!caller.sessionId) return Response.json(info);
  const [s] = await ctx.sql<Array<{ scopes: string | null }>>`select scopes from auth.sessions where id = ${caller.sessionId}`;
  const scopes = new Set(scopesOf(s?.scopes ?? ""));
  const u = caller.user;
  const meta = (u.user_metadata ?? {}) as Record<string, unknown>;
  if (scopes.has("email")) {
    if (u.email) info.email = u.email;
    if (u.email_confirmed_at) info.email_verified = true;
  }
  if (scopes.has("profile")) {
    const name = typeof meta.name === "string" && meta.name ? meta.name : u.email || undefined;
    if (name) info.name = name;
    const picture = typeof meta.picture === "string" && meta.picture ? meta.picture : typeof meta.avatar_url === "string" && meta.avatar_url ? meta.avatar_url : undefined;
    if (picture) info.picture = picture;
    info.updated_at = u.updated_at;
    info.user_metadata = meta;
  }
  if (scopes.has("phone")) {
    if (u.phone) info.phone = u.phone;
    if (u.phone_confirmed_at) info.phone_verified = true;
  }
  return Response.json(info);
}

/** GET/DELETE /user/oauth/grants */
export async function userGrants(ctx: OAuthServerContext, caller: Caller, method: string, url: URL): Promise<Response> {
  requireOAuthServer(ctx.config);
  if (method === "GET") {
    const rows = await ctx.sql<Array<{ scopes: string; granted_at: Date } & ClientRow>>`
      select c.*, g.scopes, g.granted_at from auth.oauth_consents g join auth.oauth_clients c on c.id = g.client_id and c.deleted_at is null
      where g.user_id = ${caller.user.id} and g.revoked_at is null order by g.granted_at desc`;
    return Response.json(rows.map((r) => ({
      client: { id: r.id, ...(r.client_name ? { name: r.client_name } : {}), ...(r.client_uri ? { uri: r.client_uri } : {}), ...(r.logo_uri ? { logo_uri: r.logo_uri } : {}) },
      scopes: scopesOf(r.scopes),
      granted_at: r.granted_at,
    })));
  }
  if (method === "DELETE") {
    const clientId = url.searchParams.get("client_id") ?? "";
    if (!clientId) throw validationFailed("client_id query parameter is required");
    if (!UUID.test(clientId)) throw validationFailed("invalid client_id format");
    const revoked = await ctx.sql.begin(async (tx) => {
      const rows = await tx`update auth.oauth_consents set revoked_at = now() where user_id = ${caller.user.id} and client_id = ${clientId} and revoked_at is null returning id`;
      if (!rows.length) return false;
      await tx`delete from auth.sessions where user_id = ${caller.user.id} and oauth_client_id = ${clientId}`;
      await tx`insert into auth.audit_log_entries (id, payload, created_at, ip_address)
               values (${randomUUID()}, ${tx.json({ action: "token_revoked", actor_id: caller.user.id, log_type: "token", traits: { oauth_client_id: clientId, action: "revoke_oauth_grant" } } as never)}, now(), '')`;
      return true;
    });
    if (!revoked) throw new AuthError(404, "oauth_consent_not_found", "No active grant found for this client");
    return new Response(null, { status: 204 });
  }
  throw new AuthError(405, "method_not_allowed", "Method not allowed");
}

/**
 * A session issued to an OAuth client continues only through that client (/oauth/token, with its
 * credentials): GoTrue's refresh grant refuses its refresh token on /token, where no client authenticates.
 */
export async function refusesOAuthSession(sql: postgres.Sql, refreshToken: string): Promise<void> {
  const [row] = await sql`select 1 from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id where t.token = ${refreshToken} and s.oauth_client_id is not null`;
  if (row) throw oauthError("invalid_client", "Client authentication required for OAuth session");
}
