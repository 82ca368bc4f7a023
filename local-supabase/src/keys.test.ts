import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signRoleKey, verifyJwt } from "./keys.ts";

const secret = "a-test-secret-that-is-at-least-32-chars";
const sign = (claims: Record<string, unknown>, key = secret) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(key));

describe("verifyJwt", () => {
  it("accepts the role keys and refuses other secrets, also on a second (remembered) check", async () => {
    const anon = await signRoleKey(secret, "anon");
    for (let i = 0; i < 2; i++) {
      expect(await verifyJwt(anon, secret)).toMatchObject({ ok: true, claims: { role: "anon" } });
      expect(await verifyJwt(anon, "another-secret-another-secret-xx")).toEqual({ ok: false, reason: "invalid" });
    }
  });

  it("reports a remembered token as expired once its exp has passed", async () => {
    const exp = Math.floor(Date.now() / 1000) + 1;
    const token = await sign({ sub: "u", role: "authenticated", exp });
    expect((await verifyJwt(token, secret)).ok).toBe(true);
    const realNow = Date.now;
    Date.now = () => (exp + 1) * 1000;
    try {
      expect(await verifyJwt(token, secret)).toEqual({ ok: false, reason: "expired" });
    } finally {
      Date.now = realNow;
    }
  });

  it("refuses alg:none", async () => {
    const none = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${Buffer.from(JSON.stringify({ role: "service_role" })).toString("base64url")}.`;
    expect(await verifyJwt(none, secret)).toEqual({ ok: false, reason: "invalid" });
  });
});
