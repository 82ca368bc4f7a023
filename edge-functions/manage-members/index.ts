import { z } from "zod";
import { getCaller, requireRole, serviceClient } from "../_shared/auth.ts";
import { AppError, handler, json, notFound, parseBody } from "../_shared/http.ts";

const Role = z.enum(["admin", "curator", "reviewer", "manager"]);
const Input = z.discriminatedUnion("action", [
  z.object({ action: z.literal("invite"), orgId: z.string().uuid(), email: z.string().trim().toLowerCase().email(), role: Role }),
  z.object({ action: z.literal("change_role"), orgId: z.string().uuid(), userId: z.string().uuid(), role: Role }),
  z.object({ action: z.literal("remove"), orgId: z.string().uuid(), userId: z.string().uuid() }),
]);

// Admins manage members. Role changes and removals run with the admin's own rights (RLS and the
// last-admin trigger decide); only the lookup of an existing account by email needs the service role.
Deno.serve(handler(async (req) => {
  const input = await parseBody(req, Input);
  const caller = await getCaller(req);
  await requireRole(caller, input.orgId, ["admin"]);

  if (input.action === "invite") {
    const service = serviceClient();
    const userId = await findUserByEmail(service, input.email);
    if (userId) {
      const { error } = await caller.client.from("memberships").insert({ org_id: input.orgId, user_id: userId, role: input.role });
      if (error?.code === "23505") throw new AppError(409, "already_member", `${input.email} is already a member`);
      if (error) throw new AppError(500, "invite_failed", error.message);
      return json({ status: "added", userId }, 201);
    }
    const { error } = await caller.client.from("invitations").upsert({ org_id: input.orgId, email: input.email, role: input.role, invited_by: caller.userId, accepted_at: null }, { onConflict: "org_id,email" });
    if (error) throw new AppError(500, "invite_failed", error.message);
    return json({ status: "invited", email: input.email }, 201);
  }

  if (input.action === "change_role") {
    const { data, error } = await caller.client.from("memberships").update({ role: input.role }).eq("org_id", input.orgId).eq("user_id", input.userId).select("user_id, role");
    if (error) throw membershipError(error);
    if (!data?.length) throw notFound("The member");
    return json({ status: "changed", member: data[0] });
  }

  const { data, error } = await caller.client.from("memberships").delete().eq("org_id", input.orgId).eq("user_id", input.userId).select("user_id");
  if (error) throw membershipError(error);
  if (!data?.length) throw notFound("The member");
  return json({ status: "removed", userId: input.userId });
}));

function membershipError(error: { code?: string; message: string }) {
  if (error.code === "last_admin") return new AppError(409, "last_admin", error.message);
  return new AppError(500, "membership_update_failed", error.message);
}

async function findUserByEmail(service: ReturnType<typeof serviceClient>, email: string): Promise<string | null> {
  const { data, error } = await service.rpc("user_id_by_email", { p_email: email });
  if (error) throw new AppError(500, "user_lookup_failed", error.message);
  return (data as string | null) ?? null;
}
