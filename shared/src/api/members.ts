/** Contract of manage-members: invite, change a role, remove (admins; the database checks again). */
import { z } from "zod";
import type { Tables } from "../database.types.ts";
import { ROLES } from "../domain/capabilities.ts";

const Role = z.enum(ROLES);
export const ManageMembersRequest = z.discriminatedUnion("action", [
  z.object({ action: z.literal("invite"), orgId: z.string().uuid(), email: z.string().trim().toLowerCase().email(), role: Role }),
  z.object({ action: z.literal("change_role"), orgId: z.string().uuid(), userId: z.string().uuid(), role: Role }),
  z.object({ action: z.literal("remove"), orgId: z.string().uuid(), userId: z.string().uuid() }),
]);
export type ManageMembersRequest = z.input<typeof ManageMembersRequest>;
export type ManageMembersResponse =
  | { status: "invited"; email: string }
  | { status: "changed"; member: Pick<Tables<"memberships">, "user_id" | "role"> }
  | { status: "removed"; userId: string };
