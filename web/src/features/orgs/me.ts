import { useUserId } from "../auth/index.ts";
import { useMembers } from "./queries.ts";
import { useSessionStore } from "../auth/index.ts";

/** The signed-in person as teammates see them (name and colour from their profile). */
export function useMe(orgId: string) {
  const userId = useUserId();
  const email = useSessionStore((s) => s.session?.user.email ?? "");
  const { byId } = useMembers(orgId);
  const m = byId.get(userId);
  return { userId, name: m?.name ?? email.split("@")[0] ?? "Me", color: m?.color ?? "#6366f1" };
}
