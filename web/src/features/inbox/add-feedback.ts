import { useMutation, useQueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { AppError, messageOf, unwrap } from "../../lib/errors.ts";
import { toInsert, type NewFeedback } from "./feedback-form.ts";
import { inboxKeys, writeRowToCaches } from "./queries.ts";
import { LIST_COLUMNS, type FeedbackRow } from "./types.ts";

export type AddFeedbackInput = { id: string; value: NewFeedback };

const UNIQUE_VIOLATION = "23505";
const NOT_ALLOWED = "42501";

/**
 * Inserts feedback as the signed-in person (RLS and the insert guard decide), then shows it at once
 * in every cached inbox view, as a live event would; teammates get it through the live feed.
 * The row's id is chosen by the form and kept across retries, so a retry after an answer that was
 * lost on the way back finds the row it already stored instead of adding it twice.
 */
export function useAddFeedback(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, value }: AddFeedbackInput): Promise<FeedbackRow> => {
      const res = await supabase.from("feedback").insert({ id, ...toInsert(orgId, value) }).select(LIST_COLUMNS).single();
      if (res.error?.code === UNIQUE_VIOLATION) {
        const stored = unwrap(await supabase.from("feedback").select(LIST_COLUMNS).eq("id", id).eq("org_id", orgId).maybeSingle());
        if (stored) return stored as FeedbackRow;
      }
      if (res.error?.code === NOT_ALLOWED) throw new AppError("forbidden", "Your role in this organization does not allow adding feedback.", res.status);
      return unwrap(res) as FeedbackRow;
    },
    onSuccess: (row) => {
      writeRowToCaches(qc, orgId, row);
      if (row.labels.length) qc.setQueryData<string[]>(inboxKeys.labels(orgId), (old) => (old ? [...old, ...row.labels.filter((l) => !old.includes(l))] : old));
    },
  });
}

/** A fresh row id (v4 UUID). randomUUID exists only in secure contexts; getRandomValues everywhere. */
export function newRowId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The sentence for a failed add; the form keeps what was typed, and says so. */
export const addFailureMessage = (err: unknown) => `${messageOf(err)} Everything you typed is still in the form.`;
