import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { createLogger, freePort, startStack, type Stack } from "@review/local-supabase";
import { GENEROUS_AUTH_LIMITS } from "../helpers/own-stack.ts";
import { closeSql, createUser, getStack, sql, type TestUser } from "../helpers/stack.ts";

/**
 * GoTrue's OAuth 2.1 server (`[auth.oauth_server]`, off in this project's config.toml): a third-party
 * app registered by an admin sends the user to /oauth/authorize, the project's consent page approves
 * with the user's session, and the app redeems the one-time code, with its secret and the PKCE
 * verifier, for tokens bound to it. Driven through supabase-js (admin and user sides) and fetch (the app).
 */
const repo = path.resolve(import.meta.dirname, "..", "..");
const SITE = "http://127.0.0.1:5173";
const CALLBACK = "https://app.example.com/callback";
let stack: Stack;
let root: string;
let admin: SupabaseClient;

beforeAll(async () => {
  const runs = path.join(repo, ".data", "test-runs");
  fs.mkdirSync(runs, { recursive: true });
  root = fs.mkdtempSync(path.join(runs, "oauth-server-"));
  fs.chmodSync(root, 0o755); // Postgres runs as its own system user when tests run as root
  fs.cpSync(path.join(repo, "supabase"), path.join(root, "supabase"), { recursive: true });
  const toml = fs.readFileSync(path.join(root, "supabase", "config.toml"), "utf8");
  fs.writeFileSync(path.join(root, "supabase", "config.toml"), `${toml}\n[auth.oauth_server]\nenabled = true\nauthorization_url_path = "/oauth/consent"\nallow_dynamic_registration = false\n`);
  stack = await startStack({ root, dataDir: path.join(root, "data"), apiPort: 0, dbPort: await freePort(), log: createLogger("oauth-server", "error"), authRateLimits: GENEROUS_AUTH_LIMITS });
  admin = createClient(stack.apiUrl, stack.secretKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: ws as never } });
}, 180_000);

afterAll(async () => {
  if (stack) {
    await closeSql(stack);
    await stack.stop();
  }
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const auth = (p: string) => `${stack.apiUrl}/auth/v1${p}`;

async function registerClient(): Promise<{ id: string; secret: string }> {
  const { data, error } = await admin.auth.admin.oauth.createClient({ client_name: "Notes app", redirect_uris: [CALLBACK] });
  expect(error).toBeNull();
  return { id: data!.client_id, secret: data!.client_secret! };
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** The app sends the browser to /oauth/authorize; Auth sends it on to the consent page. */
async function authorize(clientId: string, challenge: string, extra: Record<string, string> = {}): Promise<Response> {
  const q = new URLSearchParams({ client_id: clientId, redirect_uri: CALLBACK, response_type: "code", scope: "openid email", state: "xyz", code_challenge: challenge, code_challenge_method: "S256", ...extra });
  return fetch(`${auth("/oauth/authorize")}?${q}`, { redirect: "manual", headers: { apikey: stack.publishableKey } });
}

/** The whole front channel: authorize, the signed-in user approves on the consent page; the code. */
async function codeFor(user: TestUser, clientId: string, challenge: string): Promise<string> {
  const res = await authorize(clientId, challenge);
  expect(res.status).toBe(302);
  const consent = new URL(res.headers.get("location")!);
  expect(`${consent.origin}${consent.pathname}`).toBe(`${SITE}/oauth/consent`);
  const authorizationId = consent.searchParams.get("authorization_id")!;
  const details = await user.client.auth.oauth.getAuthorizationDetails(authorizationId);
  expect(details.error).toBeNull();
  let redirectUrl: string;
  if (details.data && "redirect_url" in details.data) {
    // The user consented to these scopes for this app before: GoTrue approves at once.
    redirectUrl = details.data.redirect_url as string;
  } else {
    expect(details.data).toMatchObject({ client: { id: clientId, name: "Notes app" }, user: { id: user.id, email: user.email }, scope: "openid email" });
    const approved = await user.client.auth.oauth.approveAuthorization(authorizationId);
    expect(approved.error).toBeNull();
    redirectUrl = (approved.data as { redirect_url: string }).redirect_url;
  }
  const back = new URL(redirectUrl);
  expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
  expect(back.searchParams.get("state")).toBe("xyz");
  return back.searchParams.get("code")!;
}

/** The app's back channel: POST /oauth/token, authenticated with HTTP Basic as registered. */
async function token(client: { id: string; secret: string }, form: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(auth("/oauth/token"), {
    method: "POST",
    headers: { apikey: stack.publishableKey, "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}` },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const claimsOf = (t: string) => JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;

describe("GoTrue's OAuth 2.1 server", () => {
  it("is off where config.toml leaves it off: GoTrue's 404 feature_disabled", async () => {
    const shared = await getStack();
    const res = await fetch(`${shared.apiUrl}/auth/v1/admin/oauth/clients`, { headers: { apikey: shared.serviceRoleKey, authorization: `Bearer ${shared.serviceRoleKey}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error_code: "feature_disabled" });
  });

  it("lets no one but an admin manage clients, and registration by anyone only with allow_dynamic_registration", async () => {
    const user = await createUser(stack, "oauth-nonadmin");
    const asUser = await fetch(auth("/admin/oauth/clients"), {
      method: "POST",
      headers: { apikey: stack.publishableKey, authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ client_name: "mine", redirect_uris: [CALLBACK] }),
    });
    expect(asUser.status).toBe(403);
    expect(await asUser.json()).toMatchObject({ error_code: "not_admin" });
    const listed = await fetch(auth("/admin/oauth/clients"), { headers: { apikey: stack.publishableKey, authorization: `Bearer ${stack.publishableKey}` } });
    expect(listed.status).toBeGreaterThanOrEqual(401);
    const dynamic = await fetch(auth("/oauth/clients/register"), { method: "POST", headers: { apikey: stack.publishableKey, "content-type": "application/json" }, body: JSON.stringify({ redirect_uris: [CALLBACK] }) });
    expect(dynamic.status).toBe(403);
    expect(await dynamic.json()).toMatchObject({ error_code: "oauth_dynamic_client_registration_disabled" });
    const [{ n }] = (await sql(stack)`select count(*)::int as n from auth.oauth_clients where client_name = 'mine'`) as unknown as [{ n: number }];
    expect(n).toBe(0);
  });

  it("authorization code with PKCE: the app gets tokens bound to it, once; userinfo answers for the granted scopes", async () => {
    const client = await registerClient();
    const user = await createUser(stack, "oauth-user");
    const { verifier, challenge } = pkce();
    const code = await codeFor(user, client.id, challenge);

    const first = await token(client, { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: CALLBACK });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ token_type: "bearer", refresh_token: expect.any(String) });
    expect(first.json.user).toBeUndefined();
    expect(claimsOf(String(first.json.access_token))).toMatchObject({ sub: user.id, client_id: client.id, amr: [{ method: "oauth_provider/authorization_code" }] });

    const info = await fetch(auth("/oauth/userinfo"), { headers: { apikey: stack.publishableKey, authorization: `Bearer ${String(first.json.access_token)}` } });
    expect(await info.json()).toMatchObject({ sub: user.id, email: user.email, email_verified: true });

    // The attack: the code, intercepted, redeemed a second time.
    const second = await token(client, { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: CALLBACK });
    expect(second).toMatchObject({ status: 400, json: { error: "invalid_grant" } });

    // The app's refresh token does not continue the session without the app's credentials.
    const bare = await fetch(auth("/token?grant_type=refresh_token"), { method: "POST", headers: { apikey: stack.publishableKey, "content-type": "application/json" }, body: JSON.stringify({ refresh_token: first.json.refresh_token }) });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({ error: "invalid_client" });

    // The refresh token continues the client's session once; its reuse is refused.
    const refreshed = await token(client, { grant_type: "refresh_token", refresh_token: String(first.json.refresh_token) });
    expect(refreshed.status).toBe(200);
    expect(claimsOf(String(refreshed.json.access_token))).toMatchObject({ sub: user.id, client_id: client.id });
    const reused = await token(client, { grant_type: "refresh_token", refresh_token: String(first.json.refresh_token) });
    expect(reused.status).toBe(400);
  });

  it("refuses a PKCE verifier that does not match (and the code is then spent), a wrong secret, and another client's code", async () => {
    const client = await registerClient();
    const other = await registerClient();
    const user = await createUser(stack, "oauth-pkce");
    const { verifier, challenge } = pkce();

    const code = await codeFor(user, client.id, challenge);
    const mismatch = await token(client, { grant_type: "authorization_code", code, code_verifier: pkce().verifier });
    expect(mismatch).toMatchObject({ status: 400, json: { error: "invalid_grant", error_description: expect.stringMatching(/PKCE/) } });
    expect((await token(client, { grant_type: "authorization_code", code, code_verifier: verifier })).json).toMatchObject({ error: "invalid_grant" });

    const code2 = await codeFor(user, client.id, challenge);
    const wrongSecret = await token({ id: client.id, secret: "not-the-secret" }, { grant_type: "authorization_code", code: code2, code_verifier: verifier });
    expect(wrongSecret).toMatchObject({ status: 400, json: { error_code: "invalid_credentials" } });
    const stolen = await token(other, { grant_type: "authorization_code", code: code2, code_verifier: verifier });
    expect(stolen).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
  });

  it("keeps an authorization to the user who opened it, and sends no code to an unregistered redirect URI", async () => {
    const client = await registerClient();
    const victim = await createUser(stack, "oauth-victim");
    const attacker = await createUser(stack, "oauth-attacker");
    const res = await authorize(client.id, pkce().challenge);
    const authorizationId = new URL(res.headers.get("location")!).searchParams.get("authorization_id")!;
    expect((await victim.client.auth.oauth.getAuthorizationDetails(authorizationId)).error).toBeNull();
    const peek = await attacker.client.auth.oauth.getAuthorizationDetails(authorizationId);
    expect(peek.error?.code).toBe("oauth_authorization_not_found");
    const approve = await attacker.client.auth.oauth.approveAuthorization(authorizationId);
    expect(approve.error?.code).toBe("oauth_authorization_not_found");

    const elsewhere = await authorize(client.id, pkce().challenge, { redirect_uri: "https://evil.example/callback" });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.get("location")).toBeNull();
    expect(await elsewhere.json()).toMatchObject({ error_code: "validation_failed" });
    // Without PKCE the request goes back to the app as an OAuth error, not to the consent page.
    const noPkce = await authorize(client.id, "", { code_challenge: "", code_challenge_method: "" });
    expect(new URL(noPkce.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
  });

  it("lists the user's grants and revokes one, ending the app's sessions", async () => {
    const client = await registerClient();
    const user = await createUser(stack, "oauth-revoke");
    const { verifier, challenge } = pkce();
    const tokens = await token(client, { grant_type: "authorization_code", code: await codeFor(user, client.id, challenge), code_verifier: verifier });
    const grants = await user.client.auth.oauth.listGrants();
    expect(grants.data?.map((g) => [g.client.id, g.scopes])).toEqual([[client.id, ["openid", "email"]]]);
    expect((await user.client.auth.oauth.revokeGrant({ clientId: client.id })).error).toBeNull();
    expect((await user.client.auth.oauth.listGrants()).data).toEqual([]);
    expect((await token(client, { grant_type: "refresh_token", refresh_token: String(tokens.json.refresh_token) })).status).toBe(400);
    const info = await fetch(auth("/oauth/userinfo"), { headers: { apikey: stack.publishableKey, authorization: `Bearer ${String(tokens.json.access_token)}` } });
    expect(info.status).toBe(403);
  });
});
