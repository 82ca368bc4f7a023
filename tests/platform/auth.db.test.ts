import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { client, getStack, serviceClient, sql, waitFor } from "../helpers/stack.ts";
import { followLink, verifyLink, waitForMail } from "../helpers/mail.ts";

let stack: StackInfo;
beforeAll(async () => {
  stack = await getStack();
});

describe("auth through supabase-js", () => {
  it("signs up, confirms by email, signs in, refreshes and signs out", async () => {
    const email = `signup-${randomUUID().slice(0, 8)}@test.example.com`;
    const c = client(stack);
    const up = await c.auth.signUp({ email, password: "correct-horse-1" });
    expect(up.error).toBeNull();
    expect(up.data.session).toBeNull();
    expect((await followLink(verifyLink(await waitForMail(stack, email)))).fragment.get("access_token")).toBeTruthy();

    const bad = await client(stack).auth.signInWithPassword({ email, password: "wrong-password" });
    expect(bad.error?.status).toBe(400);

    const inn = await c.auth.signInWithPassword({ email, password: "correct-horse-1" });
    expect(inn.error).toBeNull();
    const first = inn.data.session!;

    const refreshed = await c.auth.refreshSession({ refresh_token: first.refresh_token });
    expect(refreshed.error).toBeNull();
    expect(refreshed.data.session!.refresh_token).not.toBe(first.refresh_token);

    const user = await c.auth.getUser(refreshed.data.session!.access_token);
    expect(user.data.user?.email).toBe(email);

    expect((await c.auth.signOut()).error).toBeNull();
    const afterSignOut = await client(stack).auth.refreshSession({ refresh_token: refreshed.data.session!.refresh_token });
    expect(afterSignOut.error).not.toBeNull();
  });

  it("issues tokens with GoTrue's claims, which RLS policies read through auth.jwt()", async () => {
    const email = `claims-${randomUUID().slice(0, 8)}@test.example.com`;
    const c = client(stack);
    const up = await c.auth.signUp({ email, password: "correct-horse-1", options: { data: { team: "support" } } });
    expect(up.error).toBeNull();
    // The session from the confirmation link, then one from the password.
    const confirmed = await followLink(verifyLink(await waitForMail(stack, email)));
    const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    const expected = {
      sub: up.data.user!.id,
      role: "authenticated",
      aud: "authenticated",
      email,
      phone: "",
      iss: `${stack.apiUrl}/auth/v1`,
      app_metadata: expect.objectContaining({ provider: "email" }),
      user_metadata: expect.objectContaining({ team: "support" }),
      aal: "aal1",
      amr: [{ method: "password", timestamp: expect.any(Number) }],
      is_anonymous: false,
      session_id: expect.any(String),
    };
    expect(claimsOf(confirmed.fragment.get("access_token")!)).toMatchObject({ ...expected, amr: [{ method: "otp", timestamp: expect.any(Number) }] });
    const inn = await c.auth.signInWithPassword({ email, password: "correct-horse-1" });
    expect(claimsOf(inn.data.session!.access_token)).toMatchObject(expected);
    const refreshed = await c.auth.refreshSession({ refresh_token: inn.data.session!.refresh_token });
    expect(claimsOf(refreshed.data.session!.access_token)).toMatchObject({ ...expected, session_id: claimsOf(inn.data.session!.access_token).session_id });

    // The re-signed token is accepted everywhere: the user endpoint, and REST, where SQL sees the claims.
    expect((await c.auth.getUser()).data.user?.email).toBe(email);
    const fn = `claims_probe_${randomUUID().slice(0, 8)}`;
    // Grants are explicit in this project (its migrations revoke Supabase's blanket defaults).
    await sql(stack).unsafe(`create function public.${fn}() returns jsonb language sql stable as $$ select auth.jwt() $$; grant execute on function public.${fn}() to authenticated`);
    try {
      const seen = await waitFor(async () => (await c.rpc(fn)).data as Record<string, unknown> | null, { message: "rpc served" });
      expect(seen).toMatchObject({ app_metadata: { provider: "email" }, user_metadata: { team: "support" }, aal: "aal1" });
    } finally {
      await sql(stack).unsafe(`drop function public.${fn}()`);
    }
  });

  it("lists users a page at a time, newest first, as GoTrue pages them", async () => {
    const admin = serviceClient(stack);
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await admin.auth.admin.createUser({ email: `listed-${i}-${randomUUID().slice(0, 8)}@test.example.com`, password: "correct-horse-1", email_confirm: true });
      made.push(r.data.user!.id);
    }
    const first = await admin.auth.admin.listUsers({ page: 1, perPage: 2 });
    expect(first.error).toBeNull();
    expect(first.data.users).toHaveLength(2);
    expect((first.data as unknown as { total: number }).total).toBeGreaterThanOrEqual(3);
    expect((first.data as unknown as { nextPage: number | null }).nextPage).toBe(2);
    // Other suites add users meanwhile; the ones made here keep their order, the newest first.
    const everyone = (await admin.auth.admin.listUsers({ page: 1, perPage: 100_000 })).data.users.map((u) => u.id);
    const positions = made.map((id) => everyone.indexOf(id));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => b - a));
    const headers = { apikey: stack.serviceRoleKey, authorization: `Bearer ${stack.serviceRoleKey}` };
    expect((await fetch(`${stack.apiUrl}/auth/v1/admin/users?page=0`, { headers })).status).toBe(400);
    expect((await fetch(`${stack.apiUrl}/auth/v1/admin/users?per_page=many`, { headers })).status).toBe(400);
  });

  it("lets the service key create, read, update and delete users, and nobody else", async () => {
    const admin = serviceClient(stack);
    const email = `admin-made-${randomUUID().slice(0, 8)}@test.example.com`;
    const created = await admin.auth.admin.createUser({ email, password: "made-by-admin-1", email_confirm: true, user_metadata: { display_name: "Made" } });
    expect(created.error).toBeNull();
    const id = created.data.user!.id;
    const identities = await sql(stack)`select provider, provider_id from auth.identities where user_id = ${id}`;
    expect(identities).toEqual([{ provider: "email", provider_id: id }]);

    const signedIn = await client(stack).auth.signInWithPassword({ email, password: "made-by-admin-1" });
    expect(signedIn.error).toBeNull();

    const dup = await admin.auth.admin.createUser({ email, password: "made-by-admin-1" });
    expect(dup.error?.status).toBe(422);

    const got = await admin.auth.admin.getUserById(id);
    expect(got.data.user?.user_metadata).toMatchObject({ display_name: "Made" });

    const updated = await admin.auth.admin.updateUserById(id, { password: "changed-by-admin-2" });
    expect(updated.error).toBeNull();
    expect((await client(stack).auth.signInWithPassword({ email, password: "changed-by-admin-2" })).error).toBeNull();

    const asAnon = await client(stack).auth.admin.createUser({ email: `x-${email}`, password: "nope-nope-1" });
    expect(asAnon.error?.status).toBe(403);

    expect((await admin.auth.admin.deleteUser(id)).error).toBeNull();
    expect((await admin.auth.admin.getUserById(id)).error?.status).toBe(404);
  });
});
