import { useMemo } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router";
import { supabase } from "../../lib/supabase.ts";
import { AppError, unwrap } from "../../lib/errors.ts";
import type { Role } from "../../lib/permissions.ts";

export type MyOrg = { org_id: string; name: string; slug: string; role: Role };
export type Member = { userId: string; role: Role; name: string; color: string; joinedAt: string };

export const orgKeys = {
  mine: ["my-organizations"] as const,
  members: (orgId: string) => ["members", orgId] as const,
};

export function useMyOrganizations() {
  return useQuery({
    queryKey: orgKeys.mine,
    queryFn: async () => unwrap(await supabase.rpc("my_organizations")) as MyOrg[],
    staleTime: 60_000,
  });
}

/** The organization named by the URL (`/o/:slug/...`) with the caller's role in it. */
export function useCurrentOrg(): MyOrg {
  const { slug } = useParams();
  const { data } = useMyOrganizations();
  const org = data?.find((o) => o.slug === slug);
  if (!org) throw new AppError("no_org", "This organization does not exist or you are not a member.");
  return org;
}

/** Members with their display names and colours: who is who in presence, cursors, comments. */
export function useMembers(orgId: string) {
  const q = useQuery({
    queryKey: orgKeys.members(orgId),
    queryFn: async () => {
      const memberships = unwrap(await supabase.from("memberships").select("user_id, role, created_at").eq("org_id", orgId)) as Array<{ user_id: string; role: Role; created_at: string }>;
      const ids = memberships.map((m) => m.user_id);
      const profiles = ids.length
        ? (unwrap(await supabase.from("profiles").select("id, display_name, avatar_color").in("id", ids)) as Array<{ id: string; display_name: string; avatar_color: string }>)
        : [];
      const byId = new Map(profiles.map((p) => [p.id, p]));
      return memberships.map<Member>((m) => ({
        userId: m.user_id,
        role: m.role,
        name: byId.get(m.user_id)?.display_name || "Unknown member",
        color: byId.get(m.user_id)?.avatar_color ?? "#64748b",
        joinedAt: m.created_at,
      }));
    },
    staleTime: 60_000,
  });
  const byId = useMemo(() => new Map((q.data ?? []).map((m) => [m.userId, m])), [q.data]);
  return { ...q, byId };
}

export function useCreateOrganization() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ name, slug }: { name: string; slug: string }) => {
      unwrap(await supabase.from("organizations").insert({ name, slug }).select("id").single());
      return slug;
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: orgKeys.mine }),
  });
}

export function slugify(name: string): string {
  return name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 50) || "team";
}

export type MyInvitation = { id: string; org_id: string; org_name: string; role: Role; invited_by_name: string | null; created_at: string };

/** Invitations waiting for the signed-in user's confirmed address (the database matches the address, not the UI). */
export function useMyInvitations() {
  return useQuery({
    queryKey: ["my-invitations"] as const,
    queryFn: async () => unwrap(await supabase.rpc("my_invitations")) as MyInvitation[],
    staleTime: 60_000,
  });
}

export function useAcceptInvitation() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => unwrap(await supabase.rpc("accept_invitation", { p_invitation_id: id })) as { org_id: string },
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: orgKeys.mine }), qc.invalidateQueries({ queryKey: ["my-invitations"] })]),
  });
}
