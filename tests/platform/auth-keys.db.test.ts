import fs from "node:fs";
import path from "node:path";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import type { StackInfo } from "@review/local-supabase";
import { client, createUser, getStack, waitFor } from "../helpers/stack.ts";

let stack: StackInfo;
beforeAll(async () => {
  stack = await getStack();
});

describe("Supabase's current API keys beside the legacy JWTs", () => {
  it("lists both kinds of key in .data/local-supabase.json", () => {
    const written = JSON.parse(fs.readFileSync(path.join(stack.dataDir, "local-supabase.json"), "utf8")) as StackInfo;
    expect(written.publishableKey).toMatch(/^sb_publishable_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{8}$/);
    expect(written.secretKey).toMatch(/^sb_secret_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{8}$/);
    expect(written.anonKey.split(".")).toHaveLength(3);
  });

  it("takes the publishable key where the anon key goes and the secret key where the service key goes: Auth and REST", async () => {
    const user = await createUser(stack, "keys");
    const pub = client(stack, stack.publishableKey);
    const signedIn = await pub.auth.signInWithPassword({ email: user.email, password: user.password });
    expect(signedIn.error).toBeNull();
    const mine = await pub.from("profiles").select("id").eq("id", user.id);
    expect(mine.error).toBeNull();
    expect(mine.data).toEqual([{ id: user.id }]);

    // anon has no table privileges here; the publishable key is anon, not more.
    const anonRead = await client(stack, stack.publishableKey).from("organizations").select("id").limit(1);
    expect(anonRead.error?.code).toBe("42501");
    const secret = client(stack, stack.secretKey);
    expect((await secret.from("organizations").select("id").limit(1)).error).toBeNull();
    const made = await secret.auth.admin.createUser({ email: `keys-${randomUUID().slice(0, 8)}@test.example.com`, password: "secret-key-1", email_confirm: true });
    expect(made.error).toBeNull();

    // A made-up key of the right shape is refused everywhere.
    const forged = `sb_secret_${"A".repeat(22)}_${"B".repeat(8)}`;
    const res = await fetch(`${stack.apiUrl}/rest/v1/organizations?select=id`, { headers: { apikey: forged, authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
    const admin = await client(stack, forged).auth.admin.listUsers();
    expect(admin.error?.status).toBe(403);
  });

  it("takes them on Realtime, Edge Functions and the dev LLM", async () => {
    // Realtime: the socket's apikey and the join's access token.
    const socket = new ws(`${stack.realtimeUrl}/websocket?apikey=${stack.publishableKey}&vsn=1.0.0`);
    const replies: Array<{ event: string; payload: { status?: string } }> = [];
    socket.on("message", (m) => replies.push(JSON.parse(String(m)) as (typeof replies)[number]));
    await new Promise((r) => socket.once("open", r));
    socket.send(JSON.stringify({ topic: "realtime:keys-room", event: "phx_join", payload: { config: {}, access_token: stack.publishableKey }, ref: "1" }));
    const reply = await waitFor(() => replies.find((r) => r.event === "phx_reply"));
    expect(reply.payload.status).toBe("ok");
    socket.close();
    const refused = new ws(`${stack.realtimeUrl}/websocket?apikey=sb_publishable_${"x".repeat(22)}_${"y".repeat(8)}&vsn=1.0.0`);
    const code = await new Promise<number>((r) => {
      refused.once("unexpected-response", (_req, res) => r(res.statusCode ?? 0));
      refused.once("open", () => r(101));
    });
    expect(code).not.toBe(101);

    // Functions with verify_jwt = true: the gateway lets the key through to the function.
    const fn = await fetch(`${stack.functionsUrl}/create-improvement-case`, {
      method: "POST",
      headers: { apikey: stack.secretKey, authorization: `Bearer ${stack.secretKey}`, "content-type": "application/json" },
      body: "{}",
    });
    const fnBody = await fn.text();
    expect(fnBody).not.toMatch(/Invalid JWT|Missing authorization header/);

    // The dev LLM takes the secret key as it takes the service key, and refuses the publishable one.
    const ask = (key: string) =>
      fetch(`${stack.llmUrl}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model: "offline-fast-1", max_tokens: 32, messages: [{ role: "user", content: "hello" }] }),
      });
    expect((await ask(stack.secretKey)).status).toBe(200);
    expect((await ask(stack.publishableKey)).status).toBe(401);
  });
});

describe("asymmetric JWT signing (ES256) with the JWKS", () => {
  it("signs user tokens with ES256 under a kid the JWKS publishes, so getClaims() verifies them locally", async () => {
    const user = await createUser(stack, "es256");
    const header = decodeProtectedHeader(user.accessToken);
    expect(header.alg).toBe("ES256");
    const jwks = (await (await fetch(`${stack.apiUrl}/auth/v1/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.some((k) => k.kid === header.kid && k.kty === "EC" && k.alg === "ES256" && !("d" in k))).toBe(true);
    const { payload } = await jwtVerify(user.accessToken, createRemoteJWKSet(new URL(`${stack.apiUrl}/auth/v1/.well-known/jwks.json`)));
    expect(payload.sub).toBe(user.id);

    const claims = await user.client.auth.getClaims();
    expect(claims.error).toBeNull();
    expect(claims.data?.claims.sub).toBe(user.id);
    expect(claims.data?.header.alg).toBe("ES256");
  });

  it("refuses an ES256 token signed by another key under the project's kid, on REST, Functions and the LLM; the legacy HS256 keys keep working", async () => {
    const user = await createUser(stack, "forged");
    const kid = decodeProtectedHeader(user.accessToken).kid!;
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ sub: user.id, role: "service_role", aud: "authenticated", exp: now + 600, iat: now })
      .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
      .sign(privateKey);
    const rest = await fetch(`${stack.apiUrl}/rest/v1/organizations?select=id`, { headers: { apikey: stack.anonKey, authorization: `Bearer ${forged}` } });
    expect(rest.status).toBe(401);
    expect(((await rest.json()) as { code: string }).code).toBe("PGRST301");
    const llm = await fetch(`${stack.llmUrl}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": forged, "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "offline-fast-1", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(llm.status).toBe(401);
    const fn = await fetch(`${stack.functionsUrl}/create-improvement-case`, { method: "POST", headers: { apikey: stack.anonKey, authorization: `Bearer ${forged}` }, body: "{}" });
    expect(fn.status).toBe(401);

    // The user's real ES256 token and the legacy HS256 anon key both still work.
    const ok = await fetch(`${stack.apiUrl}/rest/v1/profiles?select=id&id=eq.${user.id}`, { headers: { apikey: stack.anonKey, authorization: `Bearer ${user.accessToken}` } });
    expect(ok.status).toBe(200);
    expect(decodeProtectedHeader(stack.anonKey).alg).toBe("HS256");
  });
});
