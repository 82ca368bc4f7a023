import { useUserId } from "../auth/session.ts";
import { useMembers } from "./queries.ts";
import { useSessionStore } from "../auth/session.ts";

/** The signed-in person as teammates see them (name and colour from their profile). */
export function useMe(orgId: string) {
  const userId = useUserId();
  const email = useSessionStore((s) => s.session?.user.email ?? "");
  const { byId } = useMembers(orgId);
  const m = byId.get(userId);
  return { userId, name: m?.name ?? email.split("@")[0] ?? "Me", color: m?.color ?? "#6366f1" };
}
