import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { callFunction } from "../../lib/functions.ts";
import type { StartJobRequest } from "@review/shared/jobs/kinds";
import type { Row } from "../../lib/rows.ts";

export type Theme = Omit<Row<"feedback_themes">, "is_current">;
export type ThemeItem = Pick<Row<"feedback_theme_items">, "feedback_id" | "similarity"> & {
  feedback: Pick<Row<"feedback">, "id" | "query" | "comment" | "rating" | "labels" | "case_id"> | null;
};

export const themeKeys = {
  list: (orgId: string) => ["themes", orgId] as const,
  items: (themeId: string) => ["theme-items", themeId] as const,
};

export function useThemes(orgId: string) {
  return useQuery({
    queryKey: themeKeys.list(orgId),
    queryFn: async () => unwrap(await supabase.from("feedback_themes").select("*").eq("org_id", orgId).eq("is_current", true).order("size", { ascending: false })) as Theme[],
  });
}

/** A theme's items, most typical first (up to 1,000: actions work on these). */
export function useThemeItems(themeId: string) {
  return useQuery({
    queryKey: themeKeys.items(themeId),
    queryFn: async () =>
      unwrap(await supabase.from("feedback_theme_items").select("feedback_id, similarity, feedback(id, query, comment, rating, labels, case_id)").eq("theme_id", themeId)
        .order("similarity", { ascending: false }).limit(1000)) as ThemeItem[],
  });
}

export function useRecomputeThemes(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async () =>
      callFunction("start-job", { kind: "themes", orgId, name: "Feedback themes", jobKey: "themes" } satisfies StartJobRequest),
    onSettled: () => qc.invalidateQueries({ queryKey: themeKeys.list(orgId) }),
  });
}

/** Adds one label to every item of a theme (each row keeps its other labels). */
export function useLabelTheme(themeId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ items, label }: { items: ThemeItem[]; label: string }) => {
      const rows = items.map((i) => i.feedback).filter((f): f is NonNullable<ThemeItem["feedback"]> => !!f && !f.labels.includes(label));
      for (let i = 0; i < rows.length; i += 20) {
        const results = await Promise.all(rows.slice(i, i + 20).map((r) => supabase.from("feedback").update({ labels: [...r.labels, label] }).eq("id", r.id).select("id")));
        for (const res of results) unwrap(res);
      }
      return rows.length;
    },
    onSettled: () => qc.invalidateQueries({ queryKey: themeKeys.items(themeId) }),
  });
}

/** Opens improvement cases for the given feedback, one at a time (each asks the LLM for a better answer). */
export function useOpenCases(themeId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (feedbackIds: string[]) => {
      let opened = 0;
      for (const id of feedbackIds) {
        await callFunction("create-improvement-case", { feedbackId: id });
        opened++;
      }
      return opened;
    },
    onSettled: () => qc.invalidateQueries({ queryKey: themeKeys.items(themeId) }),
  });
}
