import { AuthApiError, AuthUnknownError } from "@supabase/supabase-js";
import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { client, createUser, getStack, serviceClient } from "../helpers/stack.ts";

let stack: StackInfo;
beforeAll(async () => {
  stack = await getStack();
});

async function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  headers.set("apikey", stack.anonKey);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.body) headers.set("content-type", "application/json");
  const res = await fetch(`${stack.apiUrl}/auth/v1${path}`, { ...init, headers });
  const type = res.headers.get("content-type") ?? "";
  return { status: res.status, type, body: (type.includes("json") ? await res.json() : await res.text()) as Record<string, unknown> };
}

describe("every Auth endpoint answers in GoTrue's JSON error shape", () => {
  it("answers endpoints GoTrue has and this machine does not offer with GoTrue's own 'disabled' codes, never text/plain", async () => {
    const user = await createUser(stack, "errors");
    const cases: Array<[string, RequestInit & { token?: string }, number, string]> = [
      ["/factors", { method: "POST", body: JSON.stringify({ factor_type: "totp" }) }, 401, "no_authorization"],
      ["/factors", { method: "POST", body: JSON.stringify({ factor_type: "phone", phone: "+15555550100" }), token: user.accessToken }, 422, "mfa_phone_enroll_not_enabled"],
      ["/sso", { method: "POST", body: JSON.stringify({ domain: "example.com" }) }, 404, "saml_provider_disabled"],
      ["/passkeys/authentication/options", { method: "POST", body: "{}" }, 404, "passkey_disabled"],
      ["/user/identities/authorize?provider=github", { token: user.accessToken }, 404, "manual_linking_disabled"],
      ["/token?grant_type=web3", { method: "POST", body: JSON.stringify({ chain: "solana" }) }, 422, "web3_provider_disabled"],
      ["/token?grant_type=id_token", { method: "POST", body: JSON.stringify({ provider: "google", id_token: "x" }) }, 400, "provider_disabled"],
      ["/otp", { method: "POST", body: JSON.stringify({ phone: "+15555550100" }) }, 400, "phone_provider_disabled"],
      ["/signup", { method: "POST", body: "{}" }, 422, "anonymous_provider_disabled"],
      ["/admin/generate_link", { method: "POST", body: JSON.stringify({ type: "magiclink", email: user.email }), token: user.accessToken }, 403, "not_admin"],
      ["/invite", { method: "POST", body: JSON.stringify({ email: "someone@test.example.com" }), token: stack.anonKey }, 403, "not_admin"],
      ["/admin/users/not-a-uuid", { token: stack.serviceRoleKey }, 404, "validation_failed"],
      ["/no-such-endpoint", {}, 404, "not_found"],
    ];
    for (const [path, init, status, code] of cases) {
      const r = await call(path, init);
      expect.soft(r.type, path).toContain("application/json");
      expect.soft({ path, status: r.status, code: r.body.error_code, shape: typeof r.body.msg }).toEqual({ path, status, code, shape: "string" });
      expect.soft(r.body.code, path).toBe(status);
    }
  });

  it("gives a client that sends X-Supabase-Api-Version the 2024-01-01 shape, as GoTrue does", async () => {
    const r = await call("/sso", { method: "POST", body: "{}", headers: { "x-supabase-api-version": "2024-01-01" } });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ code: "saml_provider_disabled", message: "SAML 2.0 is disabled" });
  });

  it("never leaves supabase-js with AuthUnknownError", async () => {
    const c = client(stack);
    const results = [
      await c.auth.signInWithSSO({ domain: "example.com" }),
      await c.auth.signInWithIdToken({ provider: "google", token: "not-a-token" }),
      await c.auth.signInAnonymously(),
      await c.auth.mfa.enroll({ factorType: "totp" }),
      await serviceClient(stack).auth.admin.mfa.listFactors({ userId: "00000000-0000-4000-8000-000000000000" }),
    ];
    for (const r of results) {
      expect(r.error).not.toBeNull();
      expect(r.error).not.toBeInstanceOf(AuthUnknownError);
    }
    expect((results[0]!.error as AuthApiError).code).toBe("saml_provider_disabled");
    expect((results[2]!.error as AuthApiError).code).toBe("anonymous_provider_disabled");
  });
});
