import fs from "node:fs";
import path from "node:path";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { createLogger, freePort, startStack, type Stack } from "@review/local-supabase";
import { GENEROUS_AUTH_LIMITS } from "../helpers/own-stack.ts";
import { closeSql, createUser, getStack, sql, type TestUser } from "../helpers/stack.ts";
import { SoftwareAuthenticator } from "./webauthn-authenticator.ts";

/**
 * Passkeys and WebAuthn MFA factors, as GoTrue serves them, on a stack whose config.toml turns them on
 * (`[auth.passkey]`, `[auth.mfa.web_authn]`, the relying party in `[auth.webauthn]`); this project's own
 * config leaves them off. Driven through supabase-js's auth client and a software authenticator.
 */
const RP_ID = "localhost";
const ORIGIN = "http://localhost:5173";
const repo = path.resolve(import.meta.dirname, "..", "..");
let stack: Stack;
let root: string;

beforeAll(async () => {
  const runs = path.join(repo, ".data", "test-runs");
  fs.mkdirSync(runs, { recursive: true });
  root = fs.mkdtempSync(path.join(runs, "passkeys-"));
  fs.chmodSync(root, 0o755); // Postgres runs as its own system user when tests run as root
  fs.cpSync(path.join(repo, "supabase"), path.join(root, "supabase"), { recursive: true });
  const toml = fs.readFileSync(path.join(root, "supabase", "config.toml"), "utf8");
  fs.writeFileSync(
    path.join(root, "supabase", "config.toml"),
    `${toml}\n[auth.mfa.web_authn]\nenroll_enabled = true\nverify_enabled = true\n\n[auth.passkey]\nenabled = true\n\n[auth.webauthn]\nrp_display_name = "Review"\nrp_id = "${RP_ID}"\nrp_origins = ["${ORIGIN}"]\n`,
  );
  stack = await startStack({ root, dataDir: path.join(root, "data"), apiPort: 0, dbPort: await freePort(), log: createLogger("passkeys", "error"), authRateLimits: GENEROUS_AUTH_LIMITS });
}, 180_000);

afterAll(async () => {
  if (stack) {
    await closeSql(stack);
    await stack.stop();
  }
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** supabase-js with its (experimental) passkey API on. */
function passkeyClient(): SupabaseClient {
  return createClient(stack.apiUrl, stack.publishableKey, { auth: { persistSession: false, autoRefreshToken: false, experimental: { passkey: true } } as never, realtime: { transport: ws as never } });
}

async function signedIn(label: string): Promise<TestUser & { pk: SupabaseClient }> {
  const user = await createUser(stack, label);
  const pk = passkeyClient();
  const r = await pk.auth.signInWithPassword({ email: user.email, password: user.password });
  if (r.error) throw r.error;
  return { ...user, pk };
}

async function register(pk: SupabaseClient, authenticator: SoftwareAuthenticator): Promise<string> {
  const options = await pk.auth.passkey.startRegistration();
  expect(options.error).toBeNull();
  const created = await pk.auth.passkey.verifyRegistration({ challengeId: options.data!.challenge_id, credential: authenticator.create(options.data!.options as never) as never });
  expect(created.error).toBeNull();
  return created.data!.id;
}

/** POST to /auth/v1 as a browser would, reading GoTrue's answer whatever it is. */
async function post(pathname: string, body: unknown, token?: string, raw?: string): Promise<{ status: number; type: string; json: Record<string, unknown> }> {
  const res = await fetch(`${stack.apiUrl}/auth/v1${pathname}`, {
    method: "POST",
    headers: { apikey: stack.publishableKey, "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ?? JSON.stringify(body),
  });
  const type = res.headers.get("content-type") ?? "";
  return { status: res.status, type, json: (await res.json()) as Record<string, unknown> };
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { aal: string; amr: Array<{ method: string }>; sub: string };

describe("passkeys", () => {
  it("are off where config.toml leaves them off: GoTrue's 404 passkey_disabled", async () => {
    const shared = await getStack();
    const res = await fetch(`${shared.apiUrl}/auth/v1/passkeys/authentication/options`, { method: "POST", headers: { apikey: shared.anonKey, "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error_code: "passkey_disabled" });
  });

  it("register, then sign a new browser in with the passkey alone; the owner sees when it was used", async () => {
    const owner = await signedIn("passkey-owner");
    const key = new SoftwareAuthenticator(RP_ID, ORIGIN);
    const options = await owner.pk.auth.passkey.startRegistration();
    expect(options.data!.options).toMatchObject({ rp: { id: RP_ID, name: "Review" }, authenticatorSelection: { residentKey: "required" } });
    // The user handle is the user's id, which is how a sign-in finds the account.
    expect(Buffer.from(options.data!.options.user.id, "base64url").toString()).toBe(owner.id);
    const created = await owner.pk.auth.passkey.verifyRegistration({ challengeId: options.data!.challenge_id, credential: key.create(options.data!.options as never) as never });
    expect(created.error).toBeNull();
    expect(created.data).toMatchObject({ friendly_name: "Passkey" });

    const browser = passkeyClient();
    const start = await browser.auth.passkey.startAuthentication();
    expect(start.data!.options.allowCredentials ?? []).toHaveLength(0);
    const signed = await browser.auth.passkey.verifyAuthentication({ challengeId: start.data!.challenge_id, credential: key.get(start.data!.options as never) as never });
    expect(signed.error).toBeNull();
    expect(signed.data!.user!.id).toBe(owner.id);
    expect(claimsOf(signed.data!.session!.access_token)).toMatchObject({ sub: owner.id, aal: "aal1", amr: [{ method: "passkey" }] });
    expect((await browser.auth.getUser()).data.user?.id).toBe(owner.id);

    const listed = await owner.pk.auth.passkey.list();
    expect(listed.data).toEqual([expect.objectContaining({ id: created.data!.id, last_used_at: expect.any(String) })]);
    const [row] = await sql(stack)`select sign_count from auth.webauthn_credentials where id = ${created.data!.id}`;
    expect(Number(row!.sign_count)).toBe(1);
  });

  it("refuses a replayed assertion: the challenge answers once, and a captured assertion does not answer a new one", async () => {
    const owner = await signedIn("passkey-replay");
    const key = new SoftwareAuthenticator(RP_ID, ORIGIN);
    await register(owner.pk, key);
    const browser = passkeyClient();
    const start = await browser.auth.passkey.startAuthentication();
    const assertion = key.get(start.data!.options as never);
    expect((await browser.auth.passkey.verifyAuthentication({ challengeId: start.data!.challenge_id, credential: assertion as never })).error).toBeNull();

    const again = await post("/passkeys/authentication/verify", { challenge_id: start.data!.challenge_id, credential: assertion });
    expect(again).toMatchObject({ status: 400, json: { error_code: "webauthn_challenge_not_found" } });

    // The attacker asks for a fresh challenge and sends the captured assertion with it.
    const fresh = await post("/passkeys/authentication/options", {});
    const replayed = await post("/passkeys/authentication/verify", { challenge_id: fresh.json.challenge_id, credential: assertion });
    expect(replayed).toMatchObject({ status: 400, json: { error_code: "webauthn_verification_failed" } });
  });

  it("refuses another user's registration challenge", async () => {
    const victim = await signedIn("passkey-victim");
    const attacker = await signedIn("passkey-attacker");
    const options = await victim.pk.auth.passkey.startRegistration();
    const credential = new SoftwareAuthenticator(RP_ID, ORIGIN).create(options.data!.options as never);
    const r = await post("/passkeys/registration/verify", { challenge_id: options.data!.challenge_id, credential }, attacker.accessToken);
    expect(r).toMatchObject({ status: 400, json: { error_code: "webauthn_challenge_not_found" } });
    expect((await attacker.pk.auth.passkey.list()).data).toEqual([]);
  });

  it("refuses an authenticator claiming someone else's user handle, and one answering for another origin", async () => {
    const victim = await signedIn("passkey-handle");
    await register(victim.pk, new SoftwareAuthenticator(RP_ID, ORIGIN));
    const rogue = new SoftwareAuthenticator(RP_ID, ORIGIN);
    rogue.impersonate(victim.id);
    const start = await post("/passkeys/authentication/options", {});
    const r = await post("/passkeys/authentication/verify", { challenge_id: start.json.challenge_id, credential: rogue.get(start.json.options as never) });
    expect(r).toMatchObject({ status: 400, json: { error_code: "webauthn_verification_failed" } });

    // A phishing site's page (another origin) relays the real registration challenge.
    const phished = await victim.pk.auth.passkey.startRegistration();
    const credential = new SoftwareAuthenticator(RP_ID, ORIGIN).create(phished.data!.options as never, { origin: "https://evil.example" });
    const refused = await post("/passkeys/registration/verify", { challenge_id: phished.data!.challenge_id, credential }, victim.accessToken);
    expect(refused).toMatchObject({ status: 400, json: { error_code: "webauthn_verification_failed" } });
  });

  it("answers bad bytes with GoTrue's JSON errors, never text/plain", async () => {
    const user = await signedIn("passkey-bytes");
    const options = await user.pk.auth.passkey.startRegistration();
    const good = new SoftwareAuthenticator(RP_ID, ORIGIN).create(options.data!.options as never);
    const garbage = { ...good, response: { ...good.response, attestationObject: Buffer.from([0xff, 0x00, 0x13, 0x37, 0xbe, 0xef]).toString("base64url") } };
    const r = await post("/passkeys/registration/verify", { challenge_id: options.data!.challenge_id, credential: garbage }, user.accessToken);
    expect(r.status).toBe(400);
    expect(r.type).toContain("application/json");
    expect(r.json).toMatchObject({ error_code: "webauthn_verification_failed" });

    const notJson = await post("/passkeys/authentication/verify", null, undefined, "\u0000{not json");
    expect(notJson.type).toContain("application/json");
    expect(notJson).toMatchObject({ status: 400, json: { error_code: "bad_json" } });
    const notACredential = await post("/passkeys/authentication/verify", { challenge_id: (await post("/passkeys/authentication/options", {})).json.challenge_id, credential: "AAAA" });
    expect(notACredential).toMatchObject({ status: 400, json: { error_code: "webauthn_verification_failed" } });
    const notAnId = await post("/passkeys/authentication/verify", { challenge_id: "1; drop table auth.users", credential: {} });
    expect(notAnId).toMatchObject({ status: 400, json: { error_code: "validation_failed" } });
  });

  it("refuses an expired challenge, and keeps the credentials out of every API role's reach", async () => {
    const start = await post("/passkeys/authentication/options", {});
    await sql(stack)`update auth.webauthn_challenges set expires_at = now() - interval '1 second' where id = ${String(start.json.challenge_id)}`;
    const late = await post("/passkeys/authentication/verify", { challenge_id: start.json.challenge_id, credential: new SoftwareAuthenticator(RP_ID, ORIGIN).create({ challenge: "x", user: { id: "x" } }) });
    expect(late).toMatchObject({ status: 400, json: { error_code: "webauthn_challenge_expired" } });

    const [grants] = await sql(stack)`
      select bool_or(has_table_privilege(r, t, 'select')) as readable
      from unnest(array['anon', 'authenticated']) r, unnest(array['auth.webauthn_credentials', 'auth.webauthn_challenges', 'auth.oauth_clients', 'auth.oauth_authorizations', 'auth.oauth_consents']) t`;
    expect(grants!.readable).toBe(false);
  });

  it("lets only the owner rename or delete a passkey; only an admin lists a user's passkeys", async () => {
    const owner = await signedIn("passkey-manage");
    const id = await register(owner.pk, new SoftwareAuthenticator(RP_ID, ORIGIN));
    const other = await signedIn("passkey-other");
    expect((await other.pk.auth.passkey.update({ passkeyId: id, friendlyName: "mine now" })).error?.status).toBe(404);
    expect((await other.pk.auth.passkey.delete({ passkeyId: id })).error?.status).toBe(404);

    const asUser = await fetch(`${stack.apiUrl}/auth/v1/admin/users/${owner.id}/passkeys`, { headers: { apikey: stack.publishableKey, authorization: `Bearer ${other.accessToken}` } });
    expect(asUser.status).toBe(403);
    expect(await asUser.json()).toMatchObject({ error_code: "not_admin" });

    const admin = createClient(stack.apiUrl, stack.secretKey, { auth: { persistSession: false, autoRefreshToken: false, experimental: { passkey: true } } as never, realtime: { transport: ws as never } });
    expect((await admin.auth.admin.passkey.listPasskeys({ userId: owner.id })).data?.map((p) => p.id)).toEqual([id]);

    expect((await owner.pk.auth.passkey.update({ passkeyId: id, friendlyName: "Work laptop" })).data).toMatchObject({ id, friendly_name: "Work laptop" });
    expect((await owner.pk.auth.passkey.delete({ passkeyId: id })).error).toBeNull();
    expect((await admin.auth.admin.passkey.listPasskeys({ userId: owner.id })).data).toEqual([]);
  });
});

describe("passkey sign-in challenges", () => {
  // After every other sign-in test: it spends this client's budget (30 per 5 minutes, GoTrue's RATE_LIMIT_PASSKEY).
  it("are limited per client, as anyone may ask for one and each is stored", async () => {
    let limited: { status: number; json: Record<string, unknown> } | null = null;
    for (let i = 0; i < 40 && !limited; i++) {
      const r = await post("/passkeys/authentication/options", {});
      if (r.status === 429) limited = r;
      else expect(r.status).toBe(200);
    }
    expect(limited).toMatchObject({ status: 429, json: { error_code: "over_request_rate_limit" } });
  });
});

describe("WebAuthn MFA factors", () => {
  async function challenge(token: string, factorId: string) {
    return post(`/factors/${factorId}/challenge`, {}, token);
  }

  it("enroll and verify a security key (aal2, mfa/webauthn); a later aal1 sign-in steps up with it; a replayed assertion is refused", async () => {
    const user = await createUser(stack, "webauthn-mfa");
    const key = new SoftwareAuthenticator(RP_ID, ORIGIN);
    const enrolled = await post("/factors", { factor_type: "webauthn", friendly_name: "YubiKey" }, user.accessToken);
    expect(enrolled.json).toMatchObject({ type: "webauthn", friendly_name: "YubiKey" });
    const factorId = String(enrolled.json.id);

    const create = await challenge(user.accessToken, factorId);
    expect(create.json).toMatchObject({ type: "webauthn", webauthn: { type: "create", credential_options: { publicKey: { rp: { id: RP_ID } } } } });
    const options = (create.json.webauthn as { credential_options: { publicKey: { challenge: string; user: { id: string } } } }).credential_options.publicKey;
    const verified = await post(`/factors/${factorId}/verify`, { challenge_id: create.json.id, webauthn: { type: "create", credential_response: key.create(options) } }, user.accessToken);
    expect(verified.status).toBe(200);
    expect(claimsOf(String(verified.json.access_token))).toMatchObject({ aal: "aal2", amr: [{ method: "mfa/webauthn" }, { method: "password" }] });
    const [factor] = await sql(stack)`select status, web_authn_credential ->> 'id' as credential from auth.mfa_factors where id = ${factorId}`;
    expect(factor).toMatchObject({ status: "verified", credential: key.credentialId.toString("base64") });

    // A new sign-in with the password alone is aal1 and is told to step up.
    const later = createClient(stack.apiUrl, stack.publishableKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: ws as never } });
    const signed = await later.auth.signInWithPassword({ email: user.email, password: user.password });
    const token = signed.data.session!.access_token;
    expect(claimsOf(token).aal).toBe("aal1");
    const request = await challenge(token, factorId);
    expect(request.json).toMatchObject({ webauthn: { type: "request" } });
    const requestOptions = (request.json.webauthn as { credential_options: { publicKey: { challenge: string; allowCredentials: Array<{ id: string }> } } }).credential_options.publicKey;
    expect(requestOptions.allowCredentials.map((c) => c.id)).toEqual([key.id]);
    const assertion = key.get(requestOptions);
    const stepped = await post(`/factors/${factorId}/verify`, { challenge_id: request.json.id, webauthn: { type: "request", credential_response: assertion } }, token);
    expect(stepped.status).toBe(200);
    expect(claimsOf(String(stepped.json.access_token)).aal).toBe("aal2");

    const replay = await post(`/factors/${factorId}/verify`, { challenge_id: request.json.id, webauthn: { type: "request", credential_response: assertion } }, String(stepped.json.access_token));
    expect(replay).toMatchObject({ status: 422, json: { error_code: "mfa_factor_not_found" } });
    const next = await challenge(String(stepped.json.access_token), factorId);
    const captured = await post(`/factors/${factorId}/verify`, { challenge_id: next.json.id, webauthn: { type: "request", credential_response: assertion } }, String(stepped.json.access_token));
    expect(captured).toMatchObject({ status: 422, json: { error_code: "mfa_verification_failed" } });
  });

  it("refuses another user's challenge and bad bytes, with JSON errors", async () => {
    const victim = await createUser(stack, "webauthn-victim");
    const attacker = await createUser(stack, "webauthn-attacker");
    const enrolled = await post("/factors", { factor_type: "webauthn" }, victim.accessToken);
    const create = await challenge(victim.accessToken, String(enrolled.json.id));
    const options = (create.json.webauthn as { credential_options: { publicKey: { challenge: string; user: { id: string } } } }).credential_options.publicKey;
    const credential = new SoftwareAuthenticator(RP_ID, ORIGIN).create(options);
    const foreign = await post(`/factors/${String(enrolled.json.id)}/verify`, { challenge_id: create.json.id, webauthn: { type: "create", credential_response: credential } }, attacker.accessToken);
    expect(foreign).toMatchObject({ status: 404, json: { error_code: "mfa_factor_not_found" } });

    const bad = await post(`/factors/${String(enrolled.json.id)}/verify`, { challenge_id: create.json.id, webauthn: { type: "create", credential_response: { ...credential, response: { ...credential.response, attestationObject: "AAAA" } } } }, victim.accessToken);
    expect(bad.type).toContain("application/json");
    expect(bad).toMatchObject({ status: 422, json: { error_code: "mfa_verification_failed" } });
    const [row] = await sql(stack)`select status from auth.mfa_factors where id = ${String(enrolled.json.id)}`;
    expect(row!.status).toBe("unverified");
  });
});
