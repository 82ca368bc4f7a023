import { ManageMembersRequest } from "../../shared/src/api/members.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { AppError, fromDb, handler, json, notFound, parseBody } from "../_shared/http.ts";

// Admins manage members, with their own rights (RLS and the last-admin trigger decide). An invitation
// is the only way in: it becomes a membership when its addressee, signed in with that confirmed
// address, accepts it (or confirms a new account with it). The answer is the same whether the address
// has an account or not, so inviting cannot be used to find out who uses the product.
Deno.serve(handler(async (req) => {
  const input = await parseBody(req, ManageMembersRequest);
  const caller = await getCaller(req);
  await requireCapability(caller, input.orgId, "member:manage");

  if (input.action === "invite") {
    const inserted = await caller.client.from("invitations").insert({ org_id: input.orgId, email: input.email, role: input.role }).select("id").maybeSingle();
    if (inserted.error?.code === "23505") {
      // Invited before: the newest role wins, as long as the invitation is still pending.
      const updated = fromDb(
        await caller.client.from("invitations").update({ role: input.role }).eq("org_id", input.orgId).eq("email", input.email).is("accepted_at", null).select("id"),
        "invite_failed",
      ) as unknown[];
      if (!updated.length) throw new AppError(409, "already_accepted", `${input.email} already accepted an invitation to this organization`);
    } else {
      fromDb(inserted, "invite_failed");
    }
    return json({ status: "invited", email: input.email }, 201);
  }

  if (input.action === "change_role") {
    const data = fromDb(
      await caller.client.from("memberships").update({ role: input.role }).eq("org_id", input.orgId).eq("user_id", input.userId).select("user_id, role"),
      "membership_update_failed",
    ) as Array<{ user_id: string; role: string }>;
    if (!data.length) throw notFound("The member");
    return json({ status: "changed", member: data[0] });
  }

  const data = fromDb(
    await caller.client.from("memberships").delete().eq("org_id", input.orgId).eq("user_id", input.userId).select("user_id"),
    "membership_update_failed",
  ) as unknown[];
  if (!data.length) throw notFound("The member");
  return json({ status: "removed", userId: input.userId });
}));
