import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { client, createUser, getStack, serviceClient, sql } from "../helpers/stack.ts";
import { followLink, verifyLink, waitForMail } from "../helpers/mail.ts";

let stack: StackInfo;
beforeAll(async () => {
  stack = await getStack();
});

const address = (label: string) => `${label}-${randomUUID().slice(0, 8)}@test.example.com`;
const SITE_URL = "http://127.0.0.1:5173";

describe("admin.generateLink and admin.inviteUserByEmail, as GoTrue's admin API", () => {
  it("generates working links of every type without sending mail", async () => {
    const admin = serviceClient(stack);

    const email = address("gen-signup");
    const signup = await admin.auth.admin.generateLink({ type: "signup", email, password: "gen-pass-1", options: { data: { display_name: "Gen" } } });
    expect(signup.error).toBeNull();
    expect(signup.data.user?.user_metadata).toMatchObject({ display_name: "Gen" });
    expect(signup.data.properties).toMatchObject({ verification_type: "signup", redirect_to: SITE_URL, email_otp: expect.stringMatching(/^\d{6}$/) });
    const link = signup.data.properties!.action_link;
    expect(link.startsWith(`${stack.apiUrl}/auth/v1/verify?token=`)).toBe(true);
    const followed = await followLink(link);
    expect(followed.fragment.get("access_token")).toBeTruthy();
    expect((await client(stack).auth.signInWithPassword({ email, password: "gen-pass-1" })).error).toBeNull();

    // magiclink and recovery for an existing user; the email code works as well as the link.
    const magic = await admin.auth.admin.generateLink({ type: "magiclink", email });
    const viaCode = await client(stack).auth.verifyOtp({ email, token: magic.data.properties!.email_otp, type: "email" });
    expect(viaCode.error).toBeNull();
    expect(viaCode.data.session?.user.email).toBe(email);
    const recovery = await admin.auth.admin.generateLink({ type: "recovery", email });
    expect((await followLink(recovery.data.properties!.action_link)).fragment.get("type")).toBe("recovery");

    const newEmail = address("gen-new");
    const change = await admin.auth.admin.generateLink({ type: "email_change_current", email, newEmail });
    expect(change.error).toBeNull();
    expect(change.data.user?.new_email).toBe(newEmail);
    expect(change.data.properties!.action_link).toMatch(/type=email_change/);

    // Errors as GoTrue words them.
    const bad = await admin.auth.admin.generateLink({ type: "signup", email: "not-an-email", password: "x-pass-12" });
    expect(bad.error?.message).toBe("Unable to validate email address: invalid format");
    const unknown = await admin.auth.admin.generateLink({ type: "recovery", email: address("nobody") });
    expect(unknown.error?.code).toBe("user_not_found");
    const taken = await admin.auth.admin.generateLink({ type: "signup", email, password: "gen-pass-1" });
    expect(taken.error?.code).toBe("email_exists");
  });

  it("invites through the mail catcher; following the invitation confirms the address and turns pending invitations into memberships", async () => {
    const inviter = await createUser(stack, "inviter");
    const org = await inviter.client.from("organizations").insert({ name: "Invite org", slug: `invite-${randomUUID().slice(0, 8)}` }).select("id").single();
    expect(org.error).toBeNull();
    const email = address("invitee");
    const pending = await inviter.client.from("invitations").insert({ org_id: org.data!.id, email, role: "reviewer" });
    expect(pending.error).toBeNull();

    const invited = await serviceClient(stack).auth.admin.inviteUserByEmail(email, { data: { display_name: "Invitee" } });
    expect(invited.error).toBeNull();
    expect(invited.data.user?.invited_at).toBeTruthy();
    expect(invited.data.user?.email_confirmed_at).toBeUndefined();
    const [before] = await sql(stack)`select count(*)::int as n from public.memberships where user_id = ${invited.data.user!.id}`;
    expect(before!.n).toBe(0);

    const mail = await waitForMail(stack, email);
    expect(mail.Subject).toBe("You have been invited");
    const followed = await followLink(verifyLink(mail));
    expect(followed.status).toBe(303);
    expect(followed.location.startsWith(`${SITE_URL}#`)).toBe(true);
    expect(followed.fragment.get("type")).toBe("invite");
    expect(followed.fragment.get("access_token")).toBeTruthy();

    const [after] = await sql(stack)`
      select u.email_confirmed_at is not null as confirmed, m.role from auth.users u
      left join public.memberships m on m.user_id = u.id and m.org_id = ${org.data!.id} where u.id = ${invited.data.user!.id}`;
    expect(after).toEqual({ confirmed: true, role: "reviewer" });

    // An invitation is used once, and a confirmed address cannot be invited again.
    expect((await followLink(verifyLink(mail))).fragment.get("error_code")).toBe("otp_expired");
    const again = await serviceClient(stack).auth.admin.inviteUserByEmail(email);
    expect(again.error?.code).toBe("email_exists");
  });
});

describe("identities", () => {
  it("lists a user's identities on GET /user and through getUserIdentities()", async () => {
    const user = await createUser(stack, "identities");
    const { data, error } = await user.client.auth.getUserIdentities();
    expect(error).toBeNull();
    expect(data?.identities.map((i) => [i.provider, i.identity_data?.email])).toEqual([["email", user.email]]);
    const direct = (await (await fetch(`${stack.apiUrl}/auth/v1/user`, { headers: { apikey: stack.anonKey, authorization: `Bearer ${user.accessToken}` } })).json()) as { identities: unknown[] };
    expect(direct.identities).toHaveLength(1);
  });
});
