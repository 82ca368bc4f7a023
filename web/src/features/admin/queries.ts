import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { callFunction } from "../../lib/functions.ts";
import type { Role } from "../../lib/permissions.ts";
import { orgKeys } from "../orgs/index.ts";

export type Invitation = { id: string; email: string; role: Role; created_at: string; accepted_at: string | null };
export type IngestKey = { id: string; name: string; prefix: string; created_at: string; last_used_at: string | null; revoked_at: string | null };
export type AuditEntry = { id: number; actor_id: string | null; action: string; entity_type: string; entity_id: string | null; details: Record<string, unknown>; created_at: string };

export const adminKeys = {
  invitations: (orgId: string) => ["invitations", orgId] as const,
  keys: (orgId: string) => ["ingest-keys", orgId] as const,
  audit: (orgId: string, before: number | null) => ["audit", orgId, before] as const,
};

export function useInvitations(orgId: string) {
  return useQuery({
    queryKey: adminKeys.invitations(orgId),
    queryFn: async () => unwrap(await supabase.from("invitations").select("id, email, role, created_at, accepted_at").eq("org_id", orgId).is("accepted_at", null).order("created_at", { ascending: false })) as Invitation[],
  });
}

export function useIngestKeys(orgId: string) {
  return useQuery({
    queryKey: adminKeys.keys(orgId),
    queryFn: async () => unwrap(await supabase.from("ingest_keys").select("id, name, prefix, created_at, last_used_at, revoked_at").eq("org_id", orgId).order("created_at", { ascending: false })) as IngestKey[],
  });
}

export function useAudit(orgId: string, before: number | null) {
  return useQuery({
    queryKey: adminKeys.audit(orgId, before),
    queryFn: async () => {
      let q = supabase.from("audit_logs").select("id, actor_id, action, entity_type, entity_id, details, created_at").eq("org_id", orgId);
      if (before !== null) q = q.lt("id", before);
      return unwrap(await q.order("id", { ascending: false }).limit(100)) as AuditEntry[];
    },
    placeholderData: (prev) => prev,
  });
}

type MemberAction =
  | { action: "invite"; email: string; role: Role }
  | { action: "change_role"; userId: string; role: Role }
  | { action: "remove"; userId: string };

export function useManageMembers(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (a: MemberAction) => callFunction("manage-members", { ...a, orgId }),
    meta: { silent: true },
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: orgKeys.members(orgId) });
      void qc.invalidateQueries({ queryKey: adminKeys.invitations(orgId) });
    },
  });
}

export function useWithdrawInvitation(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => unwrap(await supabase.from("invitations").delete().eq("id", id).select("id")),
    onSettled: () => qc.invalidateQueries({ queryKey: adminKeys.invitations(orgId) }),
  });
}

export function useCreateIngestKey(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (name: string) => unwrap(await supabase.rpc("create_ingest_key", { p_org: orgId, p_name: name })) as string,
    meta: { silent: true },
    onSettled: () => qc.invalidateQueries({ queryKey: adminKeys.keys(orgId) }),
  });
}

export function useRevokeIngestKey(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => unwrap(await supabase.from("ingest_keys").delete().eq("id", id).select("id")),
    onSettled: () => qc.invalidateQueries({ queryKey: adminKeys.keys(orgId) }),
  });
}
