import { useEffect } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { callFunction } from "../../lib/functions.ts";
import { openChannel } from "../../lib/realtime.ts";
import type { CaseWithFeedback, Comment, ImprovementCase } from "./types.ts";

export const caseKeys = {
  detail: (id: string) => ["case", id] as const,
  comments: (id: string) => ["case", id, "comments"] as const,
  list: (orgId: string) => ["cases", orgId] as const,
};

export function useCase(caseId: string) {
  return useQuery({
    queryKey: caseKeys.detail(caseId),
    // The case → feedback reference is a composite (org_id, id) foreign key; the hint names it.
    queryFn: async () =>
      unwrap(
        await supabase.from("improvement_cases").select("*, feedback:feedback!improvement_cases_org_id_feedback_id_fkey(rating, comment, labels, model)").eq("id", caseId).maybeSingle(),
      ) as CaseWithFeedback | null,
    staleTime: Infinity,
  });
}

export function useComments(caseId: string) {
  return useQuery({
    queryKey: caseKeys.comments(caseId),
    queryFn: async () => unwrap(await supabase.from("comments").select("*").eq("case_id", caseId).order("created_at")) as Comment[],
    staleTime: Infinity,
  });
}

/**
 * The case row and its comments, live: a decision, the answer's stored copy (the worker writes it
 * from the document) or a new, edited or deleted comment reaches everyone in the room at once. Reconciles once after a reconnect (the detail key is
 * a prefix of the comments key, so both are read again).
 */
export function useCaseLive(caseId: string) {
  const qc = useQueryClient();
  useEffect(
    () =>
      openChannel(`case-changes:${caseId}`, {
        setup: (ch) => {
          ch.on("postgres_changes", { event: "UPDATE", schema: "public", table: "improvement_cases", filter: `id=eq.${caseId}` }, (msg) => {
            qc.setQueryData<CaseWithFeedback | null>(caseKeys.detail(caseId), (old) => (old ? { ...old, ...(msg.new as ImprovementCase) } : old));
          });
          const upsert = (c: Comment) =>
            qc.setQueryData<Comment[]>(caseKeys.comments(caseId), (old = []) => [...old.filter((x) => x.id !== c.id), c].sort((a, b) => (a.created_at < b.created_at ? -1 : 1)));
          ch.on("postgres_changes", { event: "INSERT", schema: "public", table: "comments", filter: `case_id=eq.${caseId}` }, (msg) => upsert(msg.new as Comment));
          ch.on("postgres_changes", { event: "UPDATE", schema: "public", table: "comments", filter: `case_id=eq.${caseId}` }, (msg) => upsert(msg.new as Comment));
          // A delete carries only the primary key (comments keeps the default replica identity), so it
          // cannot be filtered by case: take every comment delete and drop the id if it is ours.
          ch.on("postgres_changes", { event: "DELETE", schema: "public", table: "comments" }, (msg) => {
            const id = (msg.old as Partial<Comment>).id;
            if (id) qc.setQueryData<Comment[]>(caseKeys.comments(caseId), (old) => (old?.some((c) => c.id === id) ? old.filter((c) => c.id !== id) : old));
          });
        },
        onSubscribed: (_ch, again) => {
          if (again) void qc.invalidateQueries({ queryKey: caseKeys.detail(caseId) });
        },
      }),
    [caseId, qc],
  );
}

export function useAddComment(caseId: string, orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: string) => unwrap(await supabase.from("comments").insert({ case_id: caseId, org_id: orgId, body }).select("*").single()) as Comment,
    onSuccess: (c) => qc.setQueryData<Comment[]>(caseKeys.comments(caseId), (old = []) => (old.some((x) => x.id === c.id) ? old : [...old, c])),
  });
}

export function useDecide(caseId: string) {
  const qc = useQueryClient();
  const apply = (c: ImprovementCase) => qc.setQueryData<CaseWithFeedback | null>(caseKeys.detail(caseId), (old) => (old ? { ...old, ...c } : old));
  return {
    approve: useMutation({
      mutationFn: (tags: string[]) => callFunction("approve-improvement-case", { caseId, tags: tags.length ? tags : undefined }),
      onSuccess: (r) => apply(r.case as ImprovementCase), // the row, with status narrowed by the table's check
    }),
    reject: useMutation({
      mutationFn: (reason: string) => callFunction("reject-improvement-case", { caseId, reason }),
      onSuccess: (r) => apply(r.case as ImprovementCase), // the row, with status narrowed by the table's check
    }),
  };
}
