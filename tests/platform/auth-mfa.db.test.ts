import * as OTPAuth from "otpauth";
import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { client, createUser, getStack, serviceClient, sql } from "../helpers/stack.ts";

let stack: StackInfo;
beforeAll(async () => {
  stack = await getStack();
});

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { aal: string; amr: Array<{ method: string }>; session_id: string };

/** A code from the authenticator app the user scanned the QR code into. */
function codeFor(secret: string, at = Date.now()): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" }).generate({ timestamp: at });
}

describe("MFA with TOTP, as GoTrue does it", () => {
  it("enrolls, challenges and verifies a factor; the session becomes aal2 with totp in amr, and stays so across a refresh", async () => {
    const user = await createUser(stack, "mfa");
    const c = client(stack);
    const signed = await c.auth.signInWithPassword({ email: user.email, password: user.password });
    expect(claimsOf(signed.data.session!.access_token)).toMatchObject({ aal: "aal1", amr: [{ method: "password" }] });

    const enrolled = await c.auth.mfa.enroll({ factorType: "totp", friendlyName: "phone app" });
    expect(enrolled.error).toBeNull();
    const { id: factorId, totp } = enrolled.data as { id: string; totp: { secret: string; uri: string; qr_code: string } };
    expect(totp.uri).toMatch(/^otpauth:\/\/totp\/.+secret=/);
    expect(totp.qr_code).toMatch(/^data:image\/svg\+xml;utf-8,<svg/);
    expect((await c.auth.mfa.getAuthenticatorAssuranceLevel()).data).toMatchObject({ currentLevel: "aal1", nextLevel: "aal1" });

    // A wrong code does not verify.
    const ch1 = await c.auth.mfa.challenge({ factorId });
    const wrong = await c.auth.mfa.verify({ factorId, challengeId: ch1.data!.id, code: codeFor(totp.secret, Date.now() - 10 * 60_000) });
    expect(wrong.error?.code).toBe("mfa_verification_failed");

    const ch2 = await c.auth.mfa.challenge({ factorId });
    const code = codeFor(totp.secret);
    const verified = await c.auth.mfa.verify({ factorId, challengeId: ch2.data!.id, code });
    expect(verified.error).toBeNull();
    const claims = claimsOf(verified.data!.access_token);
    expect(claims.aal).toBe("aal2");
    expect(claims.amr.map((a) => a.method)).toEqual(["totp", "password"]);
    expect((await c.auth.mfa.getAuthenticatorAssuranceLevel()).data).toMatchObject({ currentLevel: "aal2", nextLevel: "aal2" });
    const listed = await c.auth.mfa.listFactors();
    expect(listed.data?.totp.map((f) => [f.id, f.status])).toEqual([[factorId, "verified"]]);

    // Replaying the same code on the same challenge is refused.
    const replay = await c.auth.mfa.verify({ factorId, challengeId: ch2.data!.id, code });
    expect(replay.error).not.toBeNull();

    // The refresh token handed out at aal1 no longer continues the session; the new one does, at aal2.
    const stale = await client(stack).auth.refreshSession({ refresh_token: signed.data.session!.refresh_token });
    expect(stale.error).not.toBeNull();
    const refreshed = await c.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    expect(claimsOf(refreshed.data.session!.access_token)).toMatchObject({ aal: "aal2" });

    // RLS sees the level: auth.jwt() ->> 'aal' is what a policy requiring MFA reads.
    const [row] = await sql(stack).begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify(claimsOf(refreshed.data.session!.access_token))}, true)`;
      return tx`select auth.jwt() ->> 'aal' as aal`;
    });
    expect(row!.aal).toBe("aal2");
  });

  it("needs aal2 to unenroll a verified factor; a new aal1 sign-in is told to step up", async () => {
    const user = await createUser(stack, "mfa-unenroll");
    const c = client(stack);
    await c.auth.signInWithPassword({ email: user.email, password: user.password });
    const { data } = await c.auth.mfa.enroll({ factorType: "totp" });
    const factorId = data!.id;
    const secret = (data as { totp: { secret: string } }).totp.secret;
    expect((await c.auth.mfa.challengeAndVerify({ factorId, code: codeFor(secret) })).error).toBeNull();

    // The attack: a password alone (aal1) removing the second factor.
    const other = client(stack);
    await other.auth.signInWithPassword({ email: user.email, password: user.password });
    expect((await other.auth.mfa.getAuthenticatorAssuranceLevel()).data).toMatchObject({ currentLevel: "aal1", nextLevel: "aal2" });
    const refused = await other.auth.mfa.unenroll({ factorId });
    expect(refused.error?.code).toBe("insufficient_aal");

    const removed = await c.auth.mfa.unenroll({ factorId });
    expect(removed.error).toBeNull();
    expect((await c.auth.mfa.listFactors()).data?.all).toEqual([]);
  });

  it("lets an admin list and delete a user's factors, and not another user", async () => {
    const user = await createUser(stack, "mfa-admin");
    const { data } = await user.client.auth.mfa.enroll({ factorType: "totp" });
    const admin = serviceClient(stack);
    const listed = await admin.auth.admin.mfa.listFactors({ userId: user.id });
    expect(listed.data?.factors.map((f) => f.id)).toEqual([data!.id]);
    const deleted = await admin.auth.admin.mfa.deleteFactor({ userId: user.id, id: data!.id });
    expect(deleted.error).toBeNull();
    expect((await admin.auth.admin.mfa.listFactors({ userId: user.id })).data?.factors).toEqual([]);

    const stranger = await createUser(stack, "mfa-stranger");
    const attempt = await stranger.client.auth.admin.mfa.listFactors({ userId: user.id });
    expect(attempt.error?.status).toBe(403);
  });
});
