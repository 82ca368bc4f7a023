import { useMutation, useQueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { AppError, messageOf, unwrap } from "../../lib/errors.ts";
import { toast } from "../../components/ui/toast.tsx";
import { caseKeys } from "./queries.ts";
import type { Comment } from "./types.ts";

const byCreated = (a: Comment, b: Comment) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0);

/**
 * Editing and deleting comments, optimistically: the list changes at once and the request follows.
 * On a refusal only the comment concerned is put back (other people's live changes that arrived
 * meanwhile stay), the person is told, and the list is read again to match the server.
 */
export function useCommentActions(caseId: string) {
  const qc = useQueryClient();
  const key = caseKeys.comments(caseId);
  const reconcile = () => void qc.invalidateQueries({ queryKey: key, exact: true });

  const edit = useMutation({
    mutationFn: async ({ id, body }: { id: string; body: string }) => {
      const rows = unwrap(await supabase.from("comments").update({ body }).eq("id", id).select("*")) as Comment[];
      // RLS narrows an update to nothing rather than failing: that must not look like success.
      if (!rows.length) throw new AppError("not_changed", "The comment is gone or no longer yours to edit.");
      return rows[0]!;
    },
    onMutate: async ({ id, body }) => {
      await qc.cancelQueries({ queryKey: key, exact: true });
      const before = qc.getQueryData<Comment[]>(key)?.find((c) => c.id === id);
      qc.setQueryData<Comment[]>(key, (old = []) => old.map((c) => (c.id === id ? { ...c, body } : c)));
      return { before };
    },
    onSuccess: (row) => qc.setQueryData<Comment[]>(key, (old = []) => old.map((c) => (c.id === row.id ? row : c))),
    onError: (err, { id, body }, ctx) => {
      // Only if the comment still shows our text: a newer live edit is not overwritten with the old one.
      if (ctx?.before) qc.setQueryData<Comment[]>(key, (old = []) => old.map((c) => (c.id === id && c.body === body ? ctx.before! : c)));
      toast.error("Could not edit the comment", `${messageOf(err)} Your change was undone.`);
      reconcile();
    },
  });

  const remove = useMutation({
    mutationFn: async (id: string) => {
      const rows = unwrap(await supabase.from("comments").delete().eq("id", id).select("id")) as Array<{ id: string }>;
      if (!rows.length) throw new AppError("not_deleted", "The comment is gone already or not yours to delete.");
    },
    onMutate: async (id: string) => {
      await qc.cancelQueries({ queryKey: key, exact: true });
      const before = qc.getQueryData<Comment[]>(key)?.find((c) => c.id === id);
      qc.setQueryData<Comment[]>(key, (old = []) => old.filter((c) => c.id !== id));
      return { before };
    },
    onError: (err, id, ctx) => {
      if (ctx?.before) qc.setQueryData<Comment[]>(key, (old = []) => (old.some((c) => c.id === id) ? old : [...old, ctx.before!].sort(byCreated)));
      toast.error("Could not delete the comment", `${messageOf(err)} It was put back.`);
      reconcile();
    },
  });

  return { edit, remove };
}
