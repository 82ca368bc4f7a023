import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { client, getStack, serviceClient, sql, waitFor } from "../helpers/stack.ts";
import { followLink, mailTo, verifyLink, waitForMail } from "../helpers/mail.ts";

let stack: StackInfo;
beforeAll(async () => {
  stack = await getStack();
});

const address = (label: string) => `${label}-${randomUUID().slice(0, 8)}@test.example.com`;
const SITE_URL = "http://127.0.0.1:5173";

async function confirmedAt(email: string): Promise<Date | null> {
  const [row] = await sql(stack)`select email_confirmed_at from auth.users where email = ${email.toLowerCase()}`;
  return (row?.email_confirmed_at as Date | null | undefined) ?? null;
}

describe("sign-up with email confirmation, as on hosted Supabase", () => {
  it("gives no session until the emailed link is followed; the link confirms the address and signs in", async () => {
    const email = address("confirm");
    const c = client(stack);
    const up = await c.auth.signUp({ email, password: "first-pass-1" });
    expect(up.error).toBeNull();
    expect(up.data.session).toBeNull();
    expect(up.data.user?.email).toBe(email);

    // The attack: sign in with the password alone, never having owned the mailbox.
    const early = await client(stack).auth.signInWithPassword({ email, password: "first-pass-1" });
    expect(early.error?.status).toBe(400);
    expect(early.error?.code).toBe("email_not_confirmed");
    expect(await confirmedAt(email)).toBeNull();

    const mail = await waitForMail(stack, email);
    expect(mail.Subject).toBe("Confirm Your Signup");
    const link = verifyLink(mail);
    // The link goes to Auth (the gateway), which redirects to the app, as GoTrue's do.
    expect(link.startsWith(`${stack.apiUrl}/auth/v1/verify?`)).toBe(true);
    expect(new URL(link).searchParams.get("type")).toBe("signup");

    const followed = await followLink(link);
    expect(followed.status).toBe(303);
    expect(followed.location.startsWith(`${SITE_URL}#`)).toBe(true);
    expect(followed.fragment.get("type")).toBe("signup");
    const token = followed.fragment.get("access_token")!;
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ email, iss: `${stack.apiUrl}/auth/v1`, role: "authenticated", amr: [{ method: "otp", timestamp: expect.any(Number) }] });
    // The session in the fragment is one supabase-js can use.
    expect((await client(stack).auth.getUser(token)).data.user?.email).toBe(email);
    expect(await confirmedAt(email)).not.toBeNull();

    expect((await client(stack).auth.signInWithPassword({ email, password: "first-pass-1" })).error).toBeNull();

    // A link works once.
    const again = await followLink(link);
    expect(again.status).toBe(303);
    expect(again.fragment.get("access_token")).toBeNull();
    expect(again.fragment.get("error_code")).toBe("otp_expired");
  });

  it("answers a sign-up for a taken address, in any letter case, as for a new one: no session, no account, no email", async () => {
    const email = address("taken");
    const admin = serviceClient(stack);
    const owner = await admin.auth.admin.createUser({ email, password: "owner-pass-1", email_confirm: true });
    expect(owner.error).toBeNull();
    const fresh = await client(stack).auth.signUp({ email: address("fresh"), password: "fresh-pass-1" });
    expect(fresh.error).toBeNull();

    // The attack: sign up the owner's address with the letters changed and a password of one's own.
    const shouted = email.replace(/^[^@]+/, (local) => local.toUpperCase()).replace("test.example.com", "Test.Example.COM");
    const res = await fetch(`${stack.apiUrl}/auth/v1/signup`, {
      method: "POST",
      headers: { apikey: stack.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ email: shouted, password: "attacker-pass-1" }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.access_token).toBeUndefined();
    expect(body.id).not.toBe(owner.data.user!.id);
    expect(body.email).toBe(email);
    expect(Object.keys(body).sort()).toEqual(Object.keys(fresh.data.user!).sort());
    // A version 7 id, like every id lite gives a new user.
    expect(String(body.id)[14]).toBe(fresh.data.user!.id[14]);
    // GoTrue's one documented difference: the made-up user has no identities.
    expect(body.identities).toEqual([]);

    // supabase-js sees what it sees for a new address.
    const viaJs = await client(stack).auth.signUp({ email: shouted, password: "attacker-pass-2" });
    expect(viaJs.error).toBeNull();
    expect(viaJs.data.session).toBeNull();

    // Nothing changed for the owner: one account, the owner's password, no email in the mailbox.
    const [{ n }] = (await sql(stack)`select count(*)::int as n from auth.users where lower(email) = ${email}`) as unknown as [{ n: number }];
    expect(n).toBe(1);
    expect((await client(stack).auth.signInWithPassword({ email, password: "attacker-pass-1" })).error?.code).toBe("invalid_credentials");
    expect((await client(stack).auth.signInWithPassword({ email, password: "owner-pass-1" })).error).toBeNull();
    // Sending happens before Auth answers, so the mailbox is final here.
    expect(await mailTo(stack, email)).toEqual([]);
  });

  it("does not confirm an address when someone asks for a magic link to it: only the link does", async () => {
    const email = address("otp");
    // The attack on invitations: make an account for someone else's address without their mailbox.
    const asked = await client(stack).auth.signInWithOtp({ email });
    expect(asked.error).toBeNull();
    expect(await confirmedAt(email)).toBeNull();
    const mail = await waitForMail(stack, email);
    expect(mail.Subject).toBe("Confirm Your Signup");
    expect((await followLink(verifyLink(mail))).fragment.get("access_token")).toBeTruthy();
    expect(await confirmedAt(email)).not.toBeNull();
  });

  it("sends a pending address a new link on request, and answers the same for every other address", async () => {
    const email = address("resend");
    expect((await client(stack).auth.signUp({ email, password: "resend-pass-1" })).error).toBeNull();
    await waitForMail(stack, email);
    // Asking again is allowed once max_frequency (1 s) has passed since the last email.
    await waitFor(async () => (await client(stack).auth.resend({ type: "signup", email })).error === null, { message: "resend accepted", interval: 200 });
    const second = await waitForMail(stack, email, 2);
    expect((await followLink(verifyLink(second))).fragment.get("access_token")).toBeTruthy();
    expect(await confirmedAt(email)).not.toBeNull();

    // Confirmed, unknown: the same empty 200, and nothing sent.
    for (const other of [email, address("unknown")]) {
      const r = await client(stack).auth.resend({ type: "signup", email: other });
      expect(r.error).toBeNull();
    }
    expect(await mailTo(stack, email)).toHaveLength(2);
  });
});

describe("the password policy from supabase/config.toml (at least 8 characters, letters and digits)", () => {
  it("refuses a weak password with GoTrue's 422 weak_password on sign-up, password change and admin creation", async () => {
    const short = await client(stack).auth.signUp({ email: address("weak"), password: "abc1" });
    expect(short.error?.status).toBe(422);
    expect(short.error?.code).toBe("weak_password");
    expect((short.error as unknown as { reasons: string[] }).reasons).toEqual(["length"]);

    const res = await fetch(`${stack.apiUrl}/auth/v1/signup`, {
      method: "POST",
      headers: { apikey: stack.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ email: address("weak"), password: "onlyletters" }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error_code: "weak_password", weak_password: { reasons: ["characters"] } });

    // The same refusal for an address that has an account: the policy answer reveals nothing either.
    const taken = address("weak-taken");
    await serviceClient(stack).auth.admin.createUser({ email: taken, password: "taken-pass-1", email_confirm: true });
    const onTaken = await client(stack).auth.signUp({ email: taken, password: "abc1" });
    expect(onTaken.error?.code).toBe("weak_password");

    const admin = serviceClient(stack);
    const byAdmin = await admin.auth.admin.createUser({ email: address("weak-admin"), password: "12345678", email_confirm: true });
    expect(byAdmin.error?.status).toBe(422);
    expect(byAdmin.error?.code).toBe("weak_password");

    // The demo password meets the policy.
    const demo = await admin.auth.admin.createUser({ email: address("demo"), password: "review-demo-1", email_confirm: true });
    expect(demo.error).toBeNull();
    const c = client(stack);
    expect((await c.auth.signInWithPassword({ email: demo.data.user!.email!, password: "review-demo-1" })).error).toBeNull();
    const weakChange = await c.auth.updateUser({ password: "short" });
    expect(weakChange.error?.status).toBe(422);
    expect(weakChange.error?.code).toBe("weak_password");
    const weakAdminChange = await admin.auth.admin.updateUserById(demo.data.user!.id, { password: "nodigitsatall" });
    expect(weakAdminChange.error?.code).toBe("weak_password");
    expect((await c.auth.updateUser({ password: "a-better-pass-2" })).error).toBeNull();
  });
});

describe("the mail catcher", () => {
  it("serves Mailpit's API and a page a person reads the link on", async () => {
    const email = address("catcher");
    expect((await client(stack).auth.signUp({ email, password: "catcher-pass-1" })).error).toBeNull();
    const mail = await waitForMail(stack, email);
    const page = await (await fetch(`${stack.mailUrl}/`)).text();
    expect(page).toContain(email);
    const view = await (await fetch(`${stack.mailUrl}/view/${mail.ID}`)).text();
    expect(view).toContain(`href="${verifyLink(mail).replaceAll("&", "&amp;")}"`);
    const latest = (await (await fetch(`${stack.mailUrl}/api/v1/message/latest`)).json()) as { ID: string };
    expect(typeof latest.ID).toBe("string");
    const del = await fetch(`${stack.mailUrl}/api/v1/messages`, { method: "DELETE", body: JSON.stringify({ IDs: [mail.ID] }) });
    expect(del.status).toBe(200);
    expect(await mailTo(stack, email)).toEqual([]);
  });
});
