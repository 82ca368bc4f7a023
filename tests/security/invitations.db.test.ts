import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { client, createUser, getStack, sql } from "../helpers/stack.ts";
import { followLink, verifyLink, waitForMail } from "../helpers/mail.ts";

// Issue "Secure by default", item 4, as the attack: an invitation turns into a membership only for
// someone who proves they own the address (a confirmation link, or a confirmed account whose owner
// accepts it), never by signing up with the same address in any letter case.

let stack: StackInfo;
let org: TestOrg;

beforeAll(async () => {
  stack = await getStack();
  org = await createOrg(stack, "invites");
});

const membersOf = async (orgId: string, userId: string) =>
  (await sql(stack)`select role from public.memberships where org_id = ${orgId} and user_id = ${userId}`).map((r) => r.role);

describe("invitations", () => {
  it("signing up with an invited address in another letter case gets nobody in; confirming the address does", async () => {
    const address = `invitee-${randomUUID().slice(0, 8)}@test.example.com`;
    const invited = await callFunction(stack, "manage-members", { action: "invite", orgId: org.id, email: address, role: "curator" }, org.users.admin.accessToken);
    expect(invited.status).toBe(201);

    // The attacker signs up with the address, shouting, and a password of their own.
    const attacker = client(stack);
    const spoof = address.toUpperCase();
    const up = await attacker.auth.signUp({ email: spoof, password: "attacker-pass-1" });
    expect(up.error).toBeNull();
    expect(up.data.session).toBeNull();
    const [user] = await sql(stack)`select id from auth.users where lower(email) = ${address}`;
    expect(await membersOf(org.id, user!.id)).toEqual([]);
    // Nor can they accept it by id without the confirmed address.
    const [inv] = await sql(stack)`select id from public.invitations where org_id = ${org.id} and email = ${address}`;
    const signedIn = await attacker.auth.signInWithPassword({ email: spoof, password: "attacker-pass-1" });
    expect(signedIn.error?.code).toBe("email_not_confirmed");

    // A signed-in stranger (another confirmed account) tries the invitation's id: not found.
    const stranger = await createUser(stack, "stranger");
    const stolen = await stranger.client.rpc("accept_invitation", { p_invitation_id: inv!.id });
    expect(stolen.error?.code).toBe("not_found");
    expect(await membersOf(org.id, stranger.id)).toEqual([]);

    // The owner of the mailbox confirms the address: only now is the invitation honoured.
    const mail = await waitForMail(stack, address);
    const followed = await followLink(verifyLink(mail));
    expect(followed.fragment.get("access_token")).toBeTruthy();
    expect(await membersOf(org.id, user!.id)).toEqual(["curator"]);
    const [row] = await sql(stack)`select accepted_by from public.invitations where id = ${inv!.id}`;
    expect(row!.accepted_by).toBe(user!.id);
  });

  it("an existing account sees its invitation and accepts it itself; nothing is added behind its back", async () => {
    const person = await createUser(stack, "existing");
    const r = await callFunction(stack, "manage-members", { action: "invite", orgId: org.id, email: person.email, role: "reviewer" }, org.users.admin.accessToken);
    // The same answer as for an address without an account: inviting reveals nothing.
    expect(r.body).toEqual({ status: "invited", email: person.email.toLowerCase() });
    expect(await membersOf(org.id, person.id)).toEqual([]);
    const mine = await person.client.rpc("my_invitations");
    expect(mine.data).toEqual([expect.objectContaining({ org_id: org.id, role: "reviewer" })]);
    const accepted = await person.client.rpc("accept_invitation", { p_invitation_id: (mine.data as Array<{ id: string }>)[0]!.id });
    expect(accepted.error).toBeNull();
    expect(await membersOf(org.id, person.id)).toEqual(["reviewer"]);
    // Admins cannot skip the invitation by inserting a membership for someone.
    const other = await createUser(stack, "other");
    const forced = await org.users.admin.client.from("memberships").insert({ org_id: org.id, user_id: other.id, role: "admin" });
    expect(forced.error).not.toBeNull();
    expect(await membersOf(org.id, other.id)).toEqual([]);
  });
});
